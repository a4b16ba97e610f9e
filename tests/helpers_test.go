//go:build !hotpath

package tests

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hotpath-go/hotpath/kithara/stream"
	"github.com/hotpath-go/hotpath/kithara/worker"
)

// These tests check the channel helpers themselves, in both builds.

func TestRecvAndSend(t *testing.T) {
	ctx := context.Background()
	ch := make(chan int, 1)
	if err := send(ctx, ch, 7); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := recv(ctx, ch); v != 7 || !ok || err != nil {
		t.Fatalf("recv = %d, %v, %v; want 7, true, nil", v, ok, err)
	}
	closeChan(ch)
	if _, ok, err := recv(ctx, ch); ok || err != nil {
		t.Fatalf("recv on a closed channel = %v, %v; want false, nil", ok, err)
	}

	done, cancel := context.WithCancel(ctx)
	cancel()
	if err := send(done, make(chan int), 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("send with a done context: %v", err)
	}
	if _, _, err := recv(done, make(chan int)); !errors.Is(err, context.Canceled) {
		t.Fatalf("recv with a done context: %v", err)
	}
}

func TestDrain(t *testing.T) {
	ctx := context.Background()
	ch := make(chan int, 5)
	for i := range 5 {
		ch <- i
	}
	var got []int
	n, err := drain(ctx, ch, func(v int) bool { got = append(got, v); return v < 2 })
	if n != 3 || err != nil || len(got) != 3 || got[2] != 2 {
		t.Fatalf("drain stopping at 2: %d, %v, %v", n, err, got)
	}
	close(ch)
	if n, err := drain(ctx, ch, func(int) bool { return true }); n != 2 || err != nil {
		t.Fatalf("drain to the close: %d, %v; want the 2 left", n, err)
	}

	tctx, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	if _, err := drain(tctx, make(chan int), func(int) bool { return true }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("drain of a silent channel: %v", err)
	}
}

// releasable counts its releases.
type releasable struct{ released *int }

func (r releasable) Release() { *r.released++ }

func TestAwaitEpoch(t *testing.T) {
	ctx := context.Background()
	released := 0
	ch := make(chan worker.Fetch[releasable], 4)
	for _, e := range []uint64{0, 0, 1, 2} {
		ch <- worker.Fetch[releasable]{Data: releasable{&released}, Epoch: e}
	}
	f, dropped, err := awaitEpoch(ctx, ch, 1)
	if err != nil || f.Epoch != 1 || dropped != 2 || released != 2 {
		t.Fatalf("awaitEpoch(1) = epoch %d, %d dropped, %d released, %v; want 1, 2, 2, nil", f.Epoch, dropped, released, err)
	}
	close(ch)
	if _, dropped, err := awaitEpoch(ctx, ch, 5); err == nil || dropped != 1 {
		t.Fatalf("awaitEpoch past the close: %d dropped, %v; want 1 and an error", dropped, err)
	}
}

// noLend hides the Lend method of a MemSource (a stream.Lender): a SyncReader
// over it prefetches through its worker, as over a download, where over the
// MemSource itself it would read the lent bytes without one.
type noLend struct{ stream.Source }

func TestSeekRead(t *testing.T) {
	data := []byte("0123456789")
	buf := make([]byte, 3)
	if err := seekRead(bytes.NewReader(data), 4, buf); err != nil || string(buf) != "456" {
		t.Fatalf("seekRead at 4 = %q, %v", buf, err)
	}
	if err := seekRead(bytes.NewReader(data), 9, buf); err == nil {
		t.Fatal("seekRead past the end succeeded")
	}
	// Through a SyncReader, whose worker goroutine TestMain checks for.
	r := stream.NewSyncReader(testContext(t), noLend{stream.NewMemSource(data)})
	defer r.Close()
	if err := seekRead(r, 7, buf); err != nil || string(buf) != "789" {
		t.Fatalf("seekRead on a SyncReader = %q, %v", buf, err)
	}
}

// testContext returns a context that ends with the test, or after 30
// seconds: every wait in this package is bounded, so that a hang fails the
// test instead of stalling the run.
func testContext(tb testing.TB) context.Context {
	c, cancel := context.WithTimeout(tb.Context(), 30*time.Second)
	tb.Cleanup(cancel)
	return c
}

// seekLog records the seeks it is asked for.
type seekLog []time.Duration

func (l *seekLog) Seek(t time.Duration) error {
	*l = append(*l, t)
	return nil
}

func TestSeekPlayback(t *testing.T) {
	var l seekLog
	if err := seekPlayback(&l, 3*time.Second); err != nil || len(l) != 1 || l[0] != 3*time.Second {
		t.Fatalf("seekPlayback: %v, seeks %v", err, l)
	}
}

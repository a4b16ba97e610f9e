//go:build !hotpath

package worker

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// syncCounter is a SyncSource of the ints pos, pos+1, ... n-1, then an EOF item
// with Data -1. It has no Epoch method.
type syncCounter struct {
	n     int
	pos   int
	epoch uint64

	fetches atomic.Int64
	handled atomic.Int64
	fetched chan int // if set, receives every fetched position
}

func (c *syncCounter) FetchNext() Fetch[int] {
	c.fetches.Add(1)
	if c.fetched != nil {
		c.fetched <- c.pos
	}
	if c.pos >= c.n {
		return Fetch[int]{Data: -1, EOF: true, Epoch: c.epoch}
	}
	v := c.pos
	c.pos++
	return Fetch[int]{Data: v, Epoch: c.epoch}
}

// HandleCommand moves the source; a negative position leaves it where it is
// (a command that changes a setting, not the position).
func (c *syncCounter) HandleCommand(cmd seek) {
	c.handled.Add(1)
	if cmd.pos >= 0 {
		c.pos = cmd.pos
	}
	c.epoch = cmd.epoch
}

// epochCounter is a syncCounter that reports its epoch.
type epochCounter struct{ *syncCounter }

func (c epochCounter) Epoch() uint64 { return c.epoch }

func TestSyncThroughputInOrderExactlyOnce(t *testing.T) {
	const n = 1000
	src := &syncCounter{n: n}
	w := NewSyncWorker(src)
	errc := runAsync(t.Context(), w.Run)
	for want := 0; want < n; want++ {
		if f := recv(t, w.Data()); f.EOF || f.Data != want {
			t.Fatalf("item %d: got %+v", want, f)
		}
	}
	if f := recv(t, w.Data()); !f.EOF {
		t.Fatalf("got %+v, want EOF", f)
	}
	close(w.Commands())
	if err := runResult(t, errc); err != nil {
		t.Fatal(err)
	}
	expectClosed(t, w.Data())
	if got := src.fetches.Load(); got != n+1 {
		t.Errorf("fetches = %d, want %d", got, n+1)
	}
}

func TestSyncBackpressureBoundsFetches(t *testing.T) {
	const dataCap = 3
	src := &syncCounter{n: 100, fetched: make(chan int, 100)}
	w := NewSyncWorker(src, WithDataCapacity(dataCap))
	errc := runAsync(t.Context(), w.Run)
	for i := 0; i <= dataCap; i++ {
		recv(t, src.fetched)
	}
	time.Sleep(20 * time.Millisecond) // see TestAsyncBackpressureBoundsFetches
	if got := src.fetches.Load(); got != dataCap+1 {
		t.Fatalf("fetches while the consumer is idle = %d, want %d", got, dataCap+1)
	}
	for i := 0; i < 5; i++ {
		if f := recv(t, w.Data()); f.Data != i {
			t.Fatalf("item %d: %+v", i, f)
		}
		if pos := recv(t, src.fetched); pos != dataCap+1+i {
			t.Fatalf("fetch after taking item %d at %d", i, pos)
		}
	}
	close(w.Commands())
	if err := runResult(t, errc); err != nil {
		t.Fatal(err)
	}
}

// TestSyncCommandWhileSendBlocked is the fix of the Rust worker, which exits
// when a command arrives while it waits for room in the data channel.
func TestSyncCommandWhileSendBlocked(t *testing.T) {
	tests := []struct {
		name      string
		epochs    bool
		cmd       seek
		wantAfter []int // items after item 0, which was queued before the command
	}{
		// The command moves the source: the blocked item 1 is stale.
		{"seek with epochs", true, seek{pos: 50, epoch: 1}, []int{50, 51, 52}},
		// The command keeps the source where it is and in its epoch: item 1
		// is still good and is sent.
		{"setting with epochs", true, seek{pos: -1, epoch: 0}, []int{1, 2, 3}},
		// Without epochs the worker cannot tell: every command drops it.
		{"setting without epochs", false, seek{pos: -1, epoch: 0}, []int{2, 3, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := &syncCounter{n: 1000, fetched: make(chan int, 100)}
			var src SyncSource[int, seek] = sc
			if tt.epochs {
				src = epochCounter{sc}
			}
			w := NewSyncWorker(src, WithDataCapacity(1))
			errc := runAsync(t.Context(), w.Run)

			recv(t, sc.fetched) // item 0, queued
			recv(t, sc.fetched) // item 1, blocked in the send
			w.Commands() <- tt.cmd
			if tt.wantAfter[0] != 1 {
				// The worker refetches while item 0 is still unread.
				if pos := recv(t, sc.fetched); pos != tt.wantAfter[0] {
					t.Fatalf("refetch at %d, want %d", pos, tt.wantAfter[0])
				}
			}
			if f := recv(t, w.Data()); f.Data != 0 {
				t.Fatalf("first item %+v, want 0", f)
			}
			for _, want := range tt.wantAfter {
				if f := recv(t, w.Data()); f.Data != want || f.Epoch != tt.cmd.epoch {
					t.Fatalf("got %+v, want %d in epoch %d", f, want, tt.cmd.epoch)
				}
			}
			if got := sc.handled.Load(); got != 1 {
				t.Errorf("HandleCommand ran %d times, want 1", got)
			}
			close(w.Commands())
			if err := runResult(t, errc); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestSyncCommandClearsEOF(t *testing.T) {
	src := &syncCounter{n: 2}
	w := NewSyncWorker(src)
	errc := runAsync(t.Context(), w.Run)
	for _, want := range []int{0, 1} {
		if f := recv(t, w.Data()); f.Data != want {
			t.Fatalf("got %+v, want %d", f, want)
		}
	}
	if f := recv(t, w.Data()); !f.EOF {
		t.Fatalf("got %+v, want EOF", f)
	}
	time.Sleep(20 * time.Millisecond) // a polling worker would fetch again here
	if got := src.fetches.Load(); got != 3 {
		t.Fatalf("fetches at EOF = %d, want 3", got)
	}
	w.Commands() <- seek{pos: 1, epoch: 1}
	if f := recv(t, w.Data()); f.Data != 1 || f.Epoch != 1 {
		t.Fatalf("after the command: %+v", f)
	}
	if f := recv(t, w.Data()); !f.EOF {
		t.Fatalf("got %+v, want EOF", f)
	}
	close(w.Commands())
	if err := runResult(t, errc); err != nil {
		t.Fatal(err)
	}
}

// gatedSync blocks in FetchNext until the test lets it go, to stop the worker
// while a fetch is running.
type gatedSync struct {
	syncCounter
	entered chan struct{}
	gate    chan struct{}
}

func (g *gatedSync) FetchNext() Fetch[int] {
	g.entered <- struct{}{}
	<-g.gate
	return g.syncCounter.FetchNext()
}

func TestSyncShutdown(t *testing.T) {
	for _, how := range []string{"close commands", "cancel context"} {
		stop := func(w *SyncWorker[int, seek], cancel context.CancelFunc) error {
			if how == "close commands" {
				close(w.Commands())
				return nil
			}
			cancel()
			return context.Canceled
		}
		t.Run("fetching/"+how, func(t *testing.T) {
			src := &gatedSync{syncCounter: syncCounter{n: 10}, entered: make(chan struct{}, 1), gate: make(chan struct{})}
			w := NewSyncWorker[int, seek](src)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			errc := runAsync(ctx, w.Run)
			wait(t, src.entered, "the fetch")
			want := stop(w, cancel)
			close(src.gate) // the fetch finishes; the worker must notice the stop
			if err := runResult(t, errc); !errors.Is(err, want) {
				t.Fatalf("Run = %v, want %v", err, want)
			}
			expectClosed(t, w.Data())
		})
		t.Run("blocked on send/"+how, func(t *testing.T) {
			src := &syncCounter{n: 10, fetched: make(chan int, 10)}
			w := NewSyncWorker(src, WithDataCapacity(1))
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			errc := runAsync(ctx, w.Run)
			recv(t, src.fetched)
			recv(t, src.fetched)
			want := stop(w, cancel)
			if err := runResult(t, errc); !errors.Is(err, want) {
				t.Fatalf("Run = %v, want %v", err, want)
			}
			expectClosed(t, w.Data())
		})
		t.Run("at EOF/"+how, func(t *testing.T) {
			w := NewSyncWorker(&syncCounter{n: 0})
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			errc := runAsync(ctx, w.Run)
			if f := recv(t, w.Data()); !f.EOF {
				t.Fatalf("got %+v, want EOF", f)
			}
			want := stop(w, cancel)
			if err := runResult(t, errc); !errors.Is(err, want) {
				t.Fatalf("Run = %v, want %v", err, want)
			}
			wait(t, w.Done(), "Done")
		})
	}
}

func TestSyncRunTwice(t *testing.T) {
	w := NewSyncWorker[int, seek](&syncCounter{n: 1})
	errc := runAsync(t.Context(), w.Run)
	recv(t, w.Data()) // the first Run is under way
	if err := w.Run(t.Context()); !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("second Run = %v, want ErrAlreadyRunning", err)
	}
	close(w.Commands())
	if err := runResult(t, errc); err != nil {
		t.Fatal(err)
	}
}

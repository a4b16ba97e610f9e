//go:build hotpath

package tests

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotpath-go/hotpath/kithara/worker"
)

// Seed section 8, kithara-worker: throughput, blocking fetches, command
// latency, epoch invalidation and backpressure, each read back from the
// worker's runWorker row and its worker_data and worker_commands channels.

// stopWorker closes a worker's command channel and waits for Run to return
// nil.
func stopWorker[Cmd any](t *testing.T, ctx context.Context, cmds chan<- Cmd, errc <-chan error) {
	t.Helper()
	closeChan(cmds)
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("Run did not return after the command channel was closed")
	}
}

// consumeInts drains a worker's data channel to its EOF item, checking that
// the ints arrive in order from 0, and returns how many items arrived. each,
// when not nil, is called after receiving the k-th item (from 0).
func consumeInts(t *testing.T, ctx context.Context, data <-chan worker.Fetch[int], each func(k int)) int {
	t.Helper()
	next := 0
	n, err := drain(ctx, data, func(f worker.Fetch[int]) bool {
		if each != nil {
			each(next)
		}
		if f.EOF {
			return false
		}
		if f.Data != next {
			t.Errorf("item %d holds %d", next, f.Data)
		}
		next++
		return true
	})
	if err != nil {
		t.Fatalf("after %d items: %v", n, err)
	}
	return n
}

// TestProfileAsyncWorkerThroughput moves 1000 items through an AsyncWorker
// with a data channel of 16, as the seed's example does. Every item sent is
// received, so the channel row's counts are exact.
func TestProfileAsyncWorkerThroughput(t *testing.T) {
	const items, capacity = 1000, 16
	ctx := testContext(t)
	g := profileGuard(t)

	w := worker.NewAsyncWorker(worker.AsyncSource[int, seek](&counter{n: items}), worker.WithDataCapacity(capacity))
	errc := run(ctx, w.Run)
	got := consumeInts(t, ctx, w.Data(), nil)
	stopWorker(t, ctx, w.Commands(), errc)
	rep := stopProfile(t, g)

	if got != items+1 {
		t.Fatalf("%d items, want %d and the EOF item", got, items)
	}
	wantCalls(t, rep, fnAsyncRunWorker, 1)
	wantCalls(t, rep, fnDrain, 1)
	data := wantTraffic(t, rep, asyncData, items+1, items+1)
	if data.Capacity != capacity || data.Created != 1 || data.Closed != 1 {
		t.Errorf("worker_data: capacity %d, %d made, %d closed; want %d, 1, 1", data.Capacity, data.Created, data.Closed, capacity)
	}
	if data.MaxDepth < 1 || data.MsgsPerSec <= 0 {
		t.Errorf("worker_data: max depth %d, %.0f msgs/s; want traffic", data.MaxDepth, data.MsgsPerSec)
	}
	cmds := wantTraffic(t, rep, asyncCmds, 0, 0)
	if cmds.Created != 1 || cmds.Closed != 1 {
		t.Errorf("worker_commands: %d made, %d closed; want 1 and 1", cmds.Created, cmds.Closed)
	}
}

// TestProfileSyncWorkerBlocking runs a SyncWorker over a source whose every
// fetch blocks for a millisecond. The blocking happens inside runWorker, so
// its one call lasts at least as long as the fetches together, and the
// consumer, faster than the source, waits on worker_data: those waits are
// the recv-blocked column.
func TestProfileSyncWorkerBlocking(t *testing.T) {
	const items, pause = 100, time.Millisecond
	ctx := testContext(t)
	g := profileGuard(t)

	w := worker.NewSyncWorker(worker.SyncSource[int, seek](&syncCounter{counter: counter{n: items}, pause: pause}))
	errc := run(ctx, w.Run)
	got := consumeInts(t, ctx, w.Data(), nil)
	stopWorker(t, ctx, w.Commands(), errc)
	rep := stopProfile(t, g)

	if got != items+1 {
		t.Fatalf("%d items, want %d and the EOF item", got, items)
	}
	wantCalls(t, rep, fnSyncRunWorker, 1)
	// (Unless HOTPATH_SAMPLE left the one call untimed.)
	if rw := row(t, rep, fnSyncRunWorker); rw.Timed > 0 && rw.TotalNS < int64((items+1)*pause) {
		t.Errorf("runWorker took %v, less than its %d blocking fetches of %v", time.Duration(rw.TotalNS), items+1, pause)
	}
	data := wantTraffic(t, rep, syncData, items+1, items+1)
	if data.RecvBlocked.Count == 0 || data.RecvBlocked.TotalNS <= 0 {
		t.Errorf("worker_data: recv blocked %+v; the consumer outruns a blocking source, so it must wait", data.RecvBlocked)
	}
	if data.SendBlocked.Count > data.Sent {
		t.Errorf("worker_data: %d blocked sends of %d", data.SendBlocked.Count, data.Sent)
	}
}

// stallSource delivers one item per epoch, the one at the seek target, and
// then stalls: its next fetch waits until its context is cancelled, like a
// download from a server that went silent. Only a command gets the worker
// out of such a fetch.
type stallSource struct {
	pos       int
	epoch     uint64
	fresh     bool
	stalled   chan struct{} // a token each time a fetch stalls
	handled   atomic.Int64
	cancelled atomic.Int64
}

func (s *stallSource) FetchNext(ctx context.Context) worker.Fetch[int] {
	if s.fresh {
		s.fresh = false
		return worker.Fetch[int]{Data: s.pos, Epoch: s.epoch}
	}
	s.stalled <- struct{}{}
	<-ctx.Done()
	s.cancelled.Add(1)
	return worker.Fetch[int]{Data: -1, Epoch: s.epoch}
}

func (s *stallSource) HandleCommand(cmd seek) uint64 {
	s.handled.Add(1)
	s.pos, s.epoch, s.fresh = cmd.pos, cmd.epoch, true
	return s.epoch
}

func (s *stallSource) Epoch() uint64 { return s.epoch }

// TestProfileWorkerCommandLatency seeks an AsyncWorker whose fetch in
// flight never returns by itself: each command must cancel it, be applied
// and produce the item at its target. awaitEpoch's row is the latency the
// consumer sees, from sending a seek to holding its first item.
func TestProfileWorkerCommandLatency(t *testing.T) {
	const seeks = 50
	ctx := testContext(t)
	g := profileGuard(t)

	src := &stallSource{fresh: true, stalled: make(chan struct{}, 1)}
	w := worker.NewAsyncWorker(worker.AsyncSource[int, seek](src))
	errc := run(ctx, w.Run)
	if f, _, err := awaitEpoch(ctx, w.Data(), 0); err != nil || f.Data != 0 {
		t.Fatalf("first item %+v, %v", f, err)
	}
	for i := 1; i <= seeks; i++ {
		// Seek only once the worker is stuck in a fetch, so that every
		// command has a fetch to cancel.
		select {
		case <-src.stalled:
		case <-ctx.Done():
			t.Fatalf("seek %d: the worker never stalled", i)
		}
		if err := send(ctx, w.Commands(), seek{pos: i * 10, epoch: uint64(i)}); err != nil {
			t.Fatal(err)
		}
		f, dropped, err := awaitEpoch(ctx, w.Data(), uint64(i))
		if err != nil {
			t.Fatalf("seek %d: %v", i, err)
		}
		if f.Data != i*10 || dropped != 0 {
			t.Errorf("seek %d: item %d after %d stale ones, want %d and none", i, f.Data, dropped, i*10)
		}
	}
	stopWorker(t, ctx, w.Commands(), errc)
	rep := stopProfile(t, g)

	// One cancelled fetch per seek, and the last one cancelled by the close.
	if h, c := src.handled.Load(), src.cancelled.Load(); h != seeks || c != seeks+1 {
		t.Errorf("%d commands handled, %d fetches cancelled; want %d and %d", h, c, seeks, seeks+1)
	}
	wantCalls(t, rep, fnAsyncRunWorker, 1)
	wantCalls(t, rep, fnAwaitEpoch, seeks+1)
	wantTraffic(t, rep, asyncCmds, seeks, seeks)
	wantTraffic(t, rep, asyncData, seeks+1, seeks+1)
}

// token is a payload that counts its releases, as pooled buffers would go
// back to their pool.
type token struct {
	v        int
	released *atomic.Int64
}

func (k token) Release() { k.released.Add(1) }

// tokenSource is an endless counter of tokens. It counts the fetches of the
// current epoch and reports every command it applies.
type tokenSource struct {
	pos      int
	epoch    uint64
	released atomic.Int64
	fetched  atomic.Int64 // fetches in the current epoch
	handled  chan uint64
}

func (s *tokenSource) FetchNext(context.Context) worker.Fetch[token] {
	s.fetched.Add(1)
	s.pos++
	return worker.Fetch[token]{Data: token{v: s.pos - 1, released: &s.released}, Epoch: s.epoch}
}

func (s *tokenSource) HandleCommand(cmd seek) uint64 {
	s.fetched.Store(0)
	s.pos, s.epoch = cmd.pos, cmd.epoch
	s.handled <- cmd.epoch
	return s.epoch
}

func (s *tokenSource) Epoch() uint64 { return s.epoch }

// TestProfileEpochInvalidation seeks while the data channel is full of
// items for the old position: the consumer drops exactly those four, the
// worker drops the one it was holding, and the report shows every item sent
// as received and the channel at its capacity.
func TestProfileEpochInvalidation(t *testing.T) {
	const seeks, capacity = 40, 4
	ctx := testContext(t)
	g := profileGuard(t)

	src := &tokenSource{handled: make(chan uint64, seeks)}
	w := worker.NewAsyncWorker(worker.AsyncSource[token, seek](src), worker.WithDataCapacity(capacity))
	errc := run(ctx, w.Run)
	received := 0
	for i := 0; i <= seeks; i++ {
		if i > 0 {
			// Let the worker fill the channel and fetch one more item, which
			// it holds while waiting for room.
			waitFor(t, ctx, "a full data channel", func() bool {
				return len(w.Data()) == capacity && src.fetched.Load() >= capacity+2
			})
			if err := send(ctx, w.Commands(), seek{pos: i * 1000, epoch: uint64(i)}); err != nil {
				t.Fatal(err)
			}
			// Drain only once the command is applied, so that no stale item
			// can slip into the room the consumer makes.
			select {
			case <-src.handled:
			case <-ctx.Done():
				t.Fatalf("seek %d was never applied", i)
			}
		}
		f, dropped, err := awaitEpoch(ctx, w.Data(), uint64(i))
		if err != nil {
			t.Fatalf("seek %d: %v", i, err)
		}
		received += dropped + 1
		if f.Data.v != i*1000 {
			t.Errorf("seek %d: first item %d, want %d", i, f.Data.v, i*1000)
		}
		if i > 0 && dropped != capacity {
			t.Errorf("seek %d: %d stale items dropped, want the %d queued", i, dropped, capacity)
		}
	}
	// Per seek: four released by the consumer, one by the worker.
	if got := src.released.Load(); got != seeks*(capacity+1) {
		t.Errorf("%d items released, want %d", got, seeks*(capacity+1))
	}
	closeChan(w.Commands())
	rest, err := drain(ctx, w.Data(), func(worker.Fetch[token]) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	received += rest
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	rep := stopProfile(t, g)

	wantCalls(t, rep, fnAsyncRunWorker, 1)
	wantCalls(t, rep, fnAwaitEpoch, seeks+1)
	wantTraffic(t, rep, asyncCmds, seeks, seeks)
	data := wantTraffic(t, rep, asyncData, received, received)
	if data.MaxDepth != capacity {
		t.Errorf("worker_data: max depth %d, want the capacity %d", data.MaxDepth, capacity)
	}
}

// waitFor polls cond until it holds, failing the test when ctx ends first.
// The suite polls only state that no channel or callback announces.
func waitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(100 * time.Microsecond):
		}
	}
}

// TestProfileChannelBackpressure gives both workers a consumer that is
// always behind: after each item it waits until the producer has filled the
// channel and fetched one more item, then takes a millisecond more, so the
// producer's send of that item finds no room. Those waits are the
// send-blocked column.
func TestProfileChannelBackpressure(t *testing.T) {
	const items, capacity, pause = 40, 4, time.Millisecond
	ctx := testContext(t)
	g := profileGuard(t)

	// behind returns the consumer's pace for a source: after item k the
	// channel holds k+1..k+capacity and the producer holds k+capacity+1.
	behind := func(src *counter) func(k int) {
		return func(k int) {
			ahead := int64(min(k+capacity+2, items+1))
			waitFor(t, ctx, "the producer to fill the channel", func() bool { return src.fetched.Load() >= ahead })
			time.Sleep(pause)
		}
	}
	asrc := &counter{n: items}
	aw := worker.NewAsyncWorker(worker.AsyncSource[int, seek](asrc), worker.WithDataCapacity(capacity))
	aerr := run(ctx, aw.Run)
	got := consumeInts(t, ctx, aw.Data(), behind(asrc))
	stopWorker(t, ctx, aw.Commands(), aerr)
	ssrc := &syncCounter{counter: counter{n: items}}
	sw := worker.NewSyncWorker(worker.SyncSource[int, seek](ssrc), worker.WithDataCapacity(capacity))
	serr := run(ctx, sw.Run)
	got += consumeInts(t, ctx, sw.Data(), behind(&ssrc.counter))
	stopWorker(t, ctx, sw.Commands(), serr)
	rep := stopProfile(t, g)

	if got != 2*(items+1) {
		t.Fatalf("%d items, want %d from each worker with its EOF item", got, items+1)
	}
	wantCalls(t, rep, fnAsyncRunWorker, 1)
	wantCalls(t, rep, fnSyncRunWorker, 1)
	for _, s := range []site{asyncData, syncData} {
		data := wantTraffic(t, rep, s, items+1, items+1)
		if data.MaxDepth != capacity {
			t.Errorf("%s: max depth %d, want the capacity %d", s.file, data.MaxDepth, capacity)
		}
		// Every send after the first capacity+1 waits for the consumer,
		// unless the producer was descheduled for the whole millisecond
		// between fetching its item and sending it; half of them is a floor
		// that no scheduler misses.
		if b := data.SendBlocked; b.Count < items/2 || b.TotalNS <= 0 || b.MaxNS <= 0 {
			t.Errorf("%s: send blocked %d times for %v, want at least %d under backpressure",
				s.file, b.Count, time.Duration(b.TotalNS), items/2)
		}
	}
}

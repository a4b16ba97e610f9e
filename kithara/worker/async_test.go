//go:build !hotpath

package worker

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestAsyncThroughputInOrderExactlyOnce(t *testing.T) {
	const n = 1000
	src := &counter{n: n}
	w := NewAsyncWorker(src)
	errc := runAsync(t.Context(), w.Run)

	for want := 0; want < n; want++ {
		f := recv(t, w.Data())
		if f.EOF || f.Data != want || f.Epoch != 0 {
			t.Fatalf("item %d: got %+v", want, f)
		}
	}
	if f := recv(t, w.Data()); !f.EOF {
		t.Fatalf("after %d items: got %+v, want EOF", n, f)
	}
	close(w.Commands())
	if err := runResult(t, errc); err != nil {
		t.Fatalf("Run after closing commands: %v", err)
	}
	expectClosed(t, w.Data())
	// n items and one EOF: nothing was fetched twice or in excess.
	if got := src.fetches.Load(); got != n+1 {
		t.Errorf("fetches = %d, want %d", got, n+1)
	}
}

func TestAsyncBackpressureBoundsFetches(t *testing.T) {
	for _, dataCap := range []int{0, 1, 4, 8} {
		t.Run(fmt.Sprint("cap", dataCap), func(t *testing.T) {
			fetched := make(chan int, 100)
			src := &counter{n: 100, onFetch: func(_ context.Context, pos int) error {
				fetched <- pos
				return nil
			}}
			w := NewAsyncWorker(src, WithDataCapacity(dataCap))
			errc := runAsync(t.Context(), w.Run)

			// The worker fills the channel, then fetches one more item and
			// blocks sending it.
			for i := 0; i <= dataCap; i++ {
				if pos := recv(t, fetched); pos != i {
					t.Fatalf("fetch %d at %d", i, pos)
				}
			}
			// Give a runaway producer a chance to show itself. Passing does
			// not depend on this pause; only catching a bug does.
			time.Sleep(20 * time.Millisecond)
			if got, want := src.fetches.Load(), int64(dataCap+1); got != want {
				t.Fatalf("fetches while the consumer is idle = %d, want data cap + in-flight = %d", got, want)
			}
			if len(w.Data()) != dataCap {
				t.Fatalf("queued = %d, want %d", len(w.Data()), dataCap)
			}

			// Each item taken lets exactly one more fetch happen.
			for i := 0; i < 10; i++ {
				if f := recv(t, w.Data()); f.Data != i {
					t.Fatalf("item %d: got %+v", i, f)
				}
				if pos := recv(t, fetched); pos != dataCap+1+i {
					t.Fatalf("fetch after taking item %d at %d, want %d", i, pos, dataCap+1+i)
				}
			}
			close(w.Commands())
			if err := runResult(t, errc); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestAsyncEpochInvalidation(t *testing.T) {
	src := &counter{n: 1 << 20}
	w := NewAsyncWorker(src, WithDataCapacity(4))
	errc := runAsync(t.Context(), w.Run)

	var v EpochValidator
	for i := 0; i < 3; i++ {
		if f := recv(t, w.Data()); f.Data != i || !v.Valid(f.Epoch) {
			t.Fatalf("item %d: %+v", i, f)
		}
	}
	w.Commands() <- seek{pos: 500, epoch: v.Next()}

	// Items of the old epoch may still arrive, those queued before the
	// command and any sent before the worker saw it, but only before the
	// first item of the new epoch, and they carry on where the consumer was.
	stale, want := 3, 500
	for want < 600 {
		f := recv(t, w.Data())
		if !v.Valid(f.Epoch) {
			if want != 500 {
				t.Fatalf("item of epoch %d arrived after items of epoch %d", f.Epoch, v.Epoch())
			}
			if f.Data != stale {
				t.Fatalf("stale item %d, want %d", f.Data, stale)
			}
			stale++
			continue
		}
		if f.Data != want {
			t.Fatalf("epoch %d: got %d, want %d", f.Epoch, f.Data, want)
		}
		want++
	}
	close(w.Commands())
	if err := runResult(t, errc); err != nil {
		t.Fatal(err)
	}
}

// staleSource produces every third item in an epoch that is not its current
// one, as a source whose state moves on behind the worker's back might.
type staleSource struct {
	counter
}

func (s *staleSource) FetchNext(ctx context.Context) Fetch[int] {
	f := s.counter.FetchNext(ctx)
	if !f.EOF && f.Data%3 == 2 {
		f.Epoch = s.epoch + 7
	}
	return f
}

func TestAsyncDropsFetchOfOtherEpoch(t *testing.T) {
	src := &staleSource{counter{n: 30}}
	w := NewAsyncWorker[int, seek](src)
	errc := runAsync(t.Context(), w.Run)
	var got []int
	for f := range w.Data() {
		if f.EOF {
			break
		}
		got = append(got, f.Data)
	}
	for i, d := range got {
		if d%3 == 2 || (i > 0 && d <= got[i-1]) {
			t.Fatalf("items %v: stale or out of order at %d", got, i)
		}
	}
	if len(got) != 20 {
		t.Fatalf("got %d items, want 20: %v", len(got), got)
	}
	close(w.Commands())
	if err := runResult(t, errc); err != nil {
		t.Fatal(err)
	}
}

func TestAsyncCommandCancelsFetchInFlight(t *testing.T) {
	inFetch := make(chan int, 10)
	cancelled := make(chan int, 10)
	src := &counter{n: 1000, onFetch: func(ctx context.Context, pos int) error {
		if pos != 5 {
			return nil
		}
		// Position 5 never arrives: only a cancellation ends this fetch.
		inFetch <- pos
		<-ctx.Done()
		cancelled <- pos
		return ctx.Err()
	}}
	w := NewAsyncWorker(src, WithDataCapacity(16))
	errc := runAsync(t.Context(), w.Run)

	for i := 0; i < 5; i++ {
		if f := recv(t, w.Data()); f.Data != i {
			t.Fatalf("item %d: %+v", i, f)
		}
	}
	wait(t, inFetch, "the fetch of position 5")
	w.Commands() <- seek{pos: 100, epoch: 1}
	if pos := recv(t, cancelled); pos != 5 {
		t.Fatalf("cancelled fetch at %d", pos)
	}
	for want := 100; want < 110; want++ {
		f := recv(t, w.Data())
		if f.Data != want || f.Epoch != 1 {
			t.Fatalf("after seek: got %+v, want %d in epoch 1", f, want)
		}
	}
	close(w.Commands())
	if err := runResult(t, errc); err != nil {
		t.Fatal(err)
	}
}

func TestAsyncCommandPreemptsBlockedSend(t *testing.T) {
	fetched := make(chan int, 100)
	src := &counter{n: 1000, onFetch: func(_ context.Context, pos int) error {
		fetched <- pos
		return nil
	}}
	w := NewAsyncWorker(src, WithDataCapacity(1))
	errc := runAsync(t.Context(), w.Run)

	// Item 0 is queued, item 1 is blocked in the send.
	recv(t, fetched)
	recv(t, fetched)
	w.Commands() <- seek{pos: 50, epoch: 1}
	// The worker drops item 1 and fetches from the new position while item 0
	// is still unread.
	if pos := recv(t, fetched); pos != 50 {
		t.Fatalf("fetch after the command at %d, want 50", pos)
	}
	if f := recv(t, w.Data()); f.Data != 0 || f.Epoch != 0 {
		t.Fatalf("first item %+v, want 0 in epoch 0", f)
	}
	if f := recv(t, w.Data()); f.Data != 50 || f.Epoch != 1 {
		t.Fatalf("second item %+v, want 50 in epoch 1 (item 1 must be dropped)", f)
	}
	close(w.Commands())
	if err := runResult(t, errc); err != nil {
		t.Fatal(err)
	}
}

func TestAsyncEOFWaitsForCommand(t *testing.T) {
	src := &counter{n: 3}
	w := NewAsyncWorker(src)
	errc := runAsync(t.Context(), w.Run)
	for i := 0; i < 3; i++ {
		recv(t, w.Data())
	}
	if f := recv(t, w.Data()); !f.EOF {
		t.Fatalf("got %+v, want EOF", f)
	}
	// At EOF the worker waits; it fetches nothing more on its own.
	time.Sleep(20 * time.Millisecond)
	if got := src.fetches.Load(); got != 4 {
		t.Fatalf("fetches at EOF = %d, want 4", got)
	}
	w.Commands() <- seek{pos: 1, epoch: 1}
	for _, want := range []int{1, 2} {
		if f := recv(t, w.Data()); f.Data != want || f.Epoch != 1 {
			t.Fatalf("after resuming: %+v, want %d", f, want)
		}
	}
	if f := recv(t, w.Data()); !f.EOF || f.Epoch != 1 {
		t.Fatalf("got %+v, want EOF in epoch 1", f)
	}
	close(w.Commands())
	if err := runResult(t, errc); err != nil {
		t.Fatal(err)
	}
}

func TestAsyncSlowConsumer(t *testing.T) {
	const n = 200
	src := &counter{n: n}
	w := NewAsyncWorker(src, WithDataCapacity(2))
	errc := runAsync(t.Context(), w.Run)
	for want := 0; want < n; want++ {
		if want%20 == 0 {
			time.Sleep(time.Millisecond)
		}
		if f := recv(t, w.Data()); f.Data != want {
			t.Fatalf("got %+v, want %d", f, want)
		}
	}
	if f := recv(t, w.Data()); !f.EOF {
		t.Fatalf("got %+v, want EOF", f)
	}
	close(w.Commands())
	if err := runResult(t, errc); err != nil {
		t.Fatal(err)
	}
}

func TestAsyncCommandsCoalesce(t *testing.T) {
	entered := make(chan seek, 10)
	release := make(chan struct{})
	src := &counter{n: 1 << 20}
	src.onCommand = func(cmd seek) {
		entered <- cmd
		if cmd.epoch == 1 {
			<-release
		}
	}
	w := NewAsyncWorker(src, WithCommandCapacity(4))
	errc := runAsync(t.Context(), w.Run)

	w.Commands() <- seek{pos: 10, epoch: 1}
	if cmd := recv(t, entered); cmd.epoch != 1 {
		t.Fatalf("first command handled: %+v", cmd)
	}
	// While the worker is inside HandleCommand, queue four more.
	for e := uint64(2); e <= 5; e++ {
		w.Commands() <- seek{pos: int(e) * 10, epoch: e}
	}
	close(release)
	if cmd := recv(t, entered); cmd.epoch != 5 {
		t.Fatalf("second command handled: %+v, want the newest (epoch 5)", cmd)
	}
	var v EpochValidator
	for v.Epoch() < 5 {
		v.Next()
	}
	for {
		f := recv(t, w.Data())
		if v.Valid(f.Epoch) {
			if f.Data != 50 {
				t.Fatalf("first item of epoch 5 is %d, want 50", f.Data)
			}
			break
		}
	}
	close(w.Commands())
	if err := runResult(t, errc); err != nil {
		t.Fatal(err)
	}
	if got := src.handled.Load(); got != 2 {
		t.Errorf("HandleCommand ran %d times, want 2", got)
	}
}

func TestAsyncCommandFlood(t *testing.T) {
	const cmds = 1000
	src := &counter{n: 1 << 30}
	w := NewAsyncWorker(src)
	errc := runAsync(t.Context(), w.Run)

	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for e := uint64(1); e <= cmds; e++ {
			w.Commands() <- seek{pos: int(e) * 1000, epoch: e}
		}
	}()
	// Consume concurrently, as a player would, until the newest state shows.
	var v EpochValidator
	for v.Epoch() < cmds {
		v.Next()
	}
	for {
		f := recv(t, w.Data())
		if v.Valid(f.Epoch) {
			if f.Data != cmds*1000 {
				t.Fatalf("first item of the newest epoch is %d, want %d", f.Data, cmds*1000)
			}
			break
		}
	}
	wait(t, sent, "the command sender")
	for want := cmds*1000 + 1; want < cmds*1000+10; want++ {
		if f := recv(t, w.Data()); f.Data != want || f.Epoch != cmds {
			t.Fatalf("got %+v, want %d in epoch %d", f, want, cmds)
		}
	}
	close(w.Commands())
	if err := runResult(t, errc); err != nil {
		t.Fatal(err)
	}
	if got := src.handled.Load(); got < 1 || got > cmds {
		t.Errorf("HandleCommand ran %d times for %d commands", got, cmds)
	}
	t.Logf("%d commands, %d handled", cmds, src.handled.Load())
}

// TestAsyncShutdown stops the worker in each state it can wait in, by closing
// the command channel and by cancelling its context.
func TestAsyncShutdown(t *testing.T) {
	states := []struct {
		name string
		// setup returns a source and a function that returns once the worker
		// is in the state.
		setup func(t *testing.T) (*counter, func(w *AsyncWorker[int, seek]))
	}{
		{"fetching", func(t *testing.T) (*counter, func(*AsyncWorker[int, seek])) {
			inFetch := make(chan struct{})
			src := &counter{n: 10, onFetch: func(ctx context.Context, _ int) error {
				close(inFetch)
				<-ctx.Done()
				return ctx.Err()
			}}
			return src, func(*AsyncWorker[int, seek]) { wait(t, inFetch, "the fetch") }
		}},
		{"blocked on send", func(t *testing.T) (*counter, func(*AsyncWorker[int, seek])) {
			fetched := make(chan int, 10)
			src := &counter{n: 10, onFetch: func(_ context.Context, pos int) error {
				fetched <- pos
				return nil
			}}
			return src, func(*AsyncWorker[int, seek]) {
				recv(t, fetched) // queued
				recv(t, fetched) // blocked in the send
			}
		}},
		{"at EOF", func(t *testing.T) (*counter, func(*AsyncWorker[int, seek])) {
			return &counter{n: 0}, func(w *AsyncWorker[int, seek]) {
				if f := recv(t, w.Data()); !f.EOF {
					t.Fatalf("got %+v, want EOF", f)
				}
			}
		}},
	}
	for _, st := range states {
		for _, how := range []string{"close commands", "cancel context"} {
			t.Run(st.name+"/"+how, func(t *testing.T) {
				src, reach := st.setup(t)
				w := NewAsyncWorker(src, WithDataCapacity(1))
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				errc := runAsync(ctx, w.Run)
				reach(w)

				var want error
				if how == "close commands" {
					close(w.Commands())
				} else {
					cancel()
					want = context.Canceled
				}
				if err := runResult(t, errc); !errors.Is(err, want) {
					t.Fatalf("Run = %v, want %v", err, want)
				}
				wait(t, w.Done(), "Done")
				expectClosed(t, w.Data())
			})
		}
	}
}

func TestAsyncRunTwice(t *testing.T) {
	w := NewAsyncWorker[int, seek](&counter{n: 1})
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

func TestOptionsSetCapacities(t *testing.T) {
	w := NewAsyncWorker[int, seek](&counter{}, WithCommandCapacity(7), WithDataCapacity(0), WithDataCapacity(-3), nil)
	if got := cap(w.Commands()); got != 7 {
		t.Errorf("command capacity %d, want 7", got)
	}
	if got := cap(w.Data()); got != 0 {
		t.Errorf("data capacity %d, want 0", got)
	}
	s := NewSyncWorker[int, seek](&syncCounter{})
	if cap(s.Commands()) != DefaultCommandCapacity || cap(s.Data()) != DefaultDataCapacity {
		t.Errorf("default capacities %d/%d", cap(s.Commands()), cap(s.Data()))
	}
}

package worker

import (
	"context"
	"sync/atomic"
)

// AsyncWorker drives an [AsyncSource] on a background goroutine.
//
// Create it with [NewAsyncWorker], start it with `go w.Run(ctx)`, send commands
// on [AsyncWorker.Commands] and receive items from [AsyncWorker.Data]. To stop
// it, close the command channel or cancel ctx; Run returns once every
// goroutine it started has ended, and then closes the data channel and Done.
type AsyncWorker[C, Cmd any] struct {
	src     AsyncSource[C, Cmd]
	cmds    chan Cmd
	data    chan Fetch[C]
	done    chan struct{}
	started atomic.Bool
}

// NewAsyncWorker returns a worker for src with its command channel (capacity
// [DefaultCommandCapacity]) and data channel (capacity [DefaultDataCapacity])
// made and ready; options change the capacities.
func NewAsyncWorker[C, Cmd any](src AsyncSource[C, Cmd], opts ...Option) *AsyncWorker[C, Cmd] {
	cfg := newConfig(opts)
	cmds := make(chan Cmd, cfg.cmdCap)
	data := make(chan Fetch[C], cfg.dataCap)
	return &AsyncWorker[C, Cmd]{src: src, cmds: cmds, data: data, done: make(chan struct{})}
}

// Commands returns the send side of the command channel. The consumer owns it:
// closing it stops the worker. A send may wait while the channel is full; use
// Done in the same select to avoid waiting on a worker that has stopped.
func (w *AsyncWorker[C, Cmd]) Commands() chan<- Cmd { return w.cmds }

// Data returns the receive side of the data channel. The worker closes it when
// Run returns.
func (w *AsyncWorker[C, Cmd]) Data() <-chan Fetch[C] { return w.data }

// Done returns a channel that is closed when Run has returned.
func (w *AsyncWorker[C, Cmd]) Done() <-chan struct{} { return w.done }

// Run drives the source until the command channel is closed (it returns nil)
// or ctx is done (it returns ctx.Err()). A second call returns
// [ErrAlreadyRunning] at once.
func (w *AsyncWorker[C, Cmd]) Run(ctx context.Context) error {
	if !w.started.CompareAndSwap(false, true) {
		return ErrAlreadyRunning
	}
	defer close(w.done)
	defer close(w.data)
	return w.runWorker(ctx)
}

// runWorker is the worker loop. FetchNext runs on a helper goroutine so the
// loop can wait for a command and the fetch at the same time; the source is
// handed back and forth through req and res, so it is never used by both
// goroutines at once.
func (w *AsyncWorker[C, Cmd]) runWorker(ctx context.Context) error {
	req := make(chan context.Context)
	res := make(chan Fetch[C], 1)
	fetcherDone := make(chan struct{})
	go func() {
		defer close(fetcherDone)
		for fctx := range req {
			res <- w.src.FetchNext(fctx)
		}
	}()

	// One fetch context serves every fetch until a command cancels one; only
	// then is a new one made, so the steady state allocates nothing per item.
	var fetch fetchScope
	fetch.renew(ctx)
	defer func() {
		fetch.cancel()
		close(req)
		<-fetcherDone
	}()

	for {
		if !w.applyQueued() {
			return nil
		}

		req <- fetch.ctx
		var item Fetch[C]
		select {
		case item = <-res:
		case cmd, ok := <-w.cmds:
			// The command wins the race: cancel the fetch and wait for the
			// source to come back before touching it.
			fetch.cancel()
			release(<-res)
			if !ok || !w.apply(cmd) {
				return nil
			}
			fetch.renew(ctx)
			continue
		case <-ctx.Done():
			fetch.cancel()
			release(<-res)
			return ctx.Err()
		}
		if err := ctx.Err(); err != nil {
			release(item)
			return err
		}
		if item.Epoch != w.src.Epoch() {
			release(item)
			continue
		}

		select {
		case w.data <- item:
		case cmd, ok := <-w.cmds:
			// The consumer is behind and has moved on: the item it has not
			// taken is for a position it no longer wants.
			release(item)
			if !ok || !w.apply(cmd) {
				return nil
			}
			continue
		case <-ctx.Done():
			release(item)
			return ctx.Err()
		}

		if item.EOF {
			select {
			case cmd, ok := <-w.cmds:
				if !ok || !w.apply(cmd) {
					return nil
				}
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
}

// applyQueued applies the newest queued command, if any. It reports false when
// the command channel has been closed.
func (w *AsyncWorker[C, Cmd]) applyQueued() bool {
	select {
	case cmd, ok := <-w.cmds:
		return ok && w.apply(cmd)
	default:
		return true
	}
}

// apply applies cmd, or the newest command queued behind it. It reports false
// when the command channel has been closed.
func (w *AsyncWorker[C, Cmd]) apply(cmd Cmd) bool {
	cmd, open := newest(w.cmds, cmd)
	if !open {
		return false
	}
	w.src.HandleCommand(cmd)
	return true
}

// newest returns the last command queued behind cmd without waiting, and
// false if the channel turned out to be closed.
func newest[Cmd any](cmds <-chan Cmd, cmd Cmd) (Cmd, bool) {
	for {
		select {
		case next, ok := <-cmds:
			if !ok {
				return cmd, false
			}
			cmd = next
		default:
			return cmd, true
		}
	}
}

// fetchScope is the cancellable context the current fetch runs under.
type fetchScope struct {
	ctx    context.Context
	cancel context.CancelFunc
}

func (s *fetchScope) renew(parent context.Context) {
	s.ctx, s.cancel = context.WithCancel(parent)
}

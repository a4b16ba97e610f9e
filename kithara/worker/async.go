//go:build !hotpath

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
//
// A command cancels the fetch in flight (through the context FetchNext got)
// and is applied as soon as FetchNext returns; the worker then fetches from
// the new state. A command that arrives while an item waits for room in the
// data channel is applied at once, and the item is dropped if its epoch is no
// longer the source's. Commands are taken off the channel as they arrive, so
// sends on it do not wait for the worker to finish a fetch.
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
	//hotpath:channel label=worker_commands
	cmds := make(chan Cmd, cfg.cmdCap)
	//hotpath:channel label=worker_data
	data := make(chan Fetch[C], cfg.dataCap)
	return &AsyncWorker[C, Cmd]{src: src, cmds: cmds, data: data, done: make(chan struct{})}
}

// Commands returns the send side of the command channel. The consumer owns it:
// closing it stops the worker. Once the worker has stopped, a send can wait
// for ever; select on Done as well.
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

// runWorker is the worker loop. FetchNext runs on this goroutine; meanwhile a
// watcher goroutine receives commands, keeps the newest in an inbox and
// cancels the fetch in flight. Commands thus pre-empt fetches without a
// goroutine hand-off per item, and the source is only ever touched here.
//
//hotpath:measure
func (w *AsyncWorker[C, Cmd]) runWorker(ctx context.Context) error {
	in := newInbox[Cmd](ctx)
	quit := make(chan struct{})
	watcherDone := make(chan struct{})
	//hotpath:go label=worker_watcher
	go func() {
		defer close(watcherDone)
		in.watch(ctx, w.cmds, quit)
	}()
	defer func() {
		close(quit)
		<-watcherDone
		in.cancelFetch()
	}()

next:
	for {
		fctx, _, open := w.applyInbox(in)
		if !open {
			return nil
		}
		item := w.src.FetchNext(fctx)
		if fctx.Err() != nil {
			// A command, now in the inbox, or the end of ctx interrupted the
			// fetch: what it returned is not to be trusted.
			release(item)
			if err := ctx.Err(); err != nil {
				return err
			}
			continue
		}
		if item.Epoch != w.src.Epoch() {
			release(item)
			continue
		}

		for sent := false; !sent; {
			select {
			case w.data <- item:
				sent = true
			case <-in.notify:
				// The consumer has moved on while the item waited for room;
				// unless the command left the epoch alone, the item is for a
				// position nobody wants any more.
				_, applied, open := w.applyInbox(in)
				if !open {
					release(item)
					return nil
				}
				if applied && item.Epoch != w.src.Epoch() {
					release(item)
					continue next
				}
			case <-ctx.Done():
				release(item)
				return ctx.Err()
			}
		}

		if item.EOF {
			if ok, err := w.awaitCommand(ctx, in); !ok {
				return err
			}
		}
	}
}

// applyInbox applies the newest command waiting in the inbox, if any. It
// returns the context for the next fetch, whether a command was applied, and
// false when the command channel has been closed.
func (w *AsyncWorker[C, Cmd]) applyInbox(in *inbox[Cmd]) (fetch context.Context, applied, open bool) {
	cmd, has, closed, fetch := in.take()
	if closed {
		return fetch, false, false
	}
	if has {
		w.src.HandleCommand(cmd)
	}
	return fetch, has, true
}

// awaitCommand blocks until a command has been applied, the command channel is
// closed or ctx is done; it reports false (with ctx's error, if that was the
// cause) when the worker must stop.
func (w *AsyncWorker[C, Cmd]) awaitCommand(ctx context.Context, in *inbox[Cmd]) (bool, error) {
	for {
		select {
		case <-in.notify:
			_, applied, open := w.applyInbox(in)
			if !open {
				return false, nil
			}
			if applied {
				return true, nil
			}
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
}

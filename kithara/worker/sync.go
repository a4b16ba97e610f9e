//go:build !hotpath

package worker

import (
	"context"
	"sync/atomic"
)

// SyncWorker drives a [SyncSource] whose FetchNext blocks.
//
// Use it like [AsyncWorker]: `go w.Run(ctx)`, commands on Commands, items on
// Data, stop by closing the command channel or cancelling ctx. A FetchNext
// that is running cannot be interrupted; the worker notices the stop as soon
// as it returns.
//
// A command that arrives while an item waits for room in the data channel is
// applied at once and the worker goes on. If the source implements
// [EpochSource] and the item's epoch still matches after the command (a
// command that did not move the source, say a speed change), the item is still
// sent; otherwise it is dropped and the worker fetches from the new state.
// (Kithara's Rust worker exits in this case; that is a bug, not a contract.)
type SyncWorker[C, Cmd any] struct {
	src     SyncSource[C, Cmd]
	cmds    chan Cmd
	data    chan Fetch[C]
	done    chan struct{}
	started atomic.Bool
}

// NewSyncWorker returns a worker for src with its command channel (capacity
// [DefaultCommandCapacity]) and data channel (capacity [DefaultDataCapacity])
// made and ready; options change the capacities.
func NewSyncWorker[C, Cmd any](src SyncSource[C, Cmd], opts ...Option) *SyncWorker[C, Cmd] {
	cfg := newConfig(opts)
	//hotpath:channel label=sync_worker_commands
	cmds := make(chan Cmd, cfg.cmdCap)
	//hotpath:channel label=sync_worker_data
	data := make(chan Fetch[C], cfg.dataCap)
	return &SyncWorker[C, Cmd]{src: src, cmds: cmds, data: data, done: make(chan struct{})}
}

// Commands returns the send side of the command channel. The consumer owns it:
// closing it stops the worker. A send may wait while the channel is full; use
// Done in the same select to avoid waiting on a worker that has stopped.
func (w *SyncWorker[C, Cmd]) Commands() chan<- Cmd { return w.cmds }

// Data returns the receive side of the data channel. The worker closes it when
// Run returns.
func (w *SyncWorker[C, Cmd]) Data() <-chan Fetch[C] { return w.data }

// Done returns a channel that is closed when Run has returned.
func (w *SyncWorker[C, Cmd]) Done() <-chan struct{} { return w.done }

// Run drives the source on the calling goroutine until the command channel is
// closed (it returns nil) or ctx is done (it returns ctx.Err()). A second call
// returns [ErrAlreadyRunning] at once.
func (w *SyncWorker[C, Cmd]) Run(ctx context.Context) error {
	if !w.started.CompareAndSwap(false, true) {
		return ErrAlreadyRunning
	}
	defer close(w.done)
	defer close(w.data)
	return w.runWorker(ctx)
}

// runWorker is the worker loop. It never polls: every wait is a select on the
// command channel, ctx and, when an item is ready, the data channel.
//
//hotpath:measure
func (w *SyncWorker[C, Cmd]) runWorker(ctx context.Context) error {
	epochs, hasEpochs := w.src.(EpochSource)
	atEOF := false
	for {
		select {
		case cmd, ok := <-w.cmds:
			if !ok || !w.apply(cmd) {
				return nil
			}
			atEOF = false
		default:
		}
		if err := ctx.Err(); err != nil {
			return err
		}

		if atEOF {
			select {
			case cmd, ok := <-w.cmds:
				if !ok || !w.apply(cmd) {
					return nil
				}
				atEOF = false
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		}

		item := w.src.FetchNext()
	send:
		for {
			select {
			case w.data <- item:
				atEOF = item.EOF
				break send
			case cmd, ok := <-w.cmds:
				if !ok || !w.apply(cmd) {
					release(item)
					return nil
				}
				if !hasEpochs || item.Epoch != epochs.Epoch() {
					release(item)
					break send
				}
			case <-ctx.Done():
				release(item)
				return ctx.Err()
			}
		}
	}
}

// apply applies cmd, or the newest command queued behind it. It reports false
// when the command channel has been closed.
func (w *SyncWorker[C, Cmd]) apply(cmd Cmd) bool {
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

//go:build !hotpath

package worker

import (
	"context"
	"sync"
)

// inbox is where an AsyncWorker's watcher goroutine leaves commands for the
// worker loop. It holds only the newest command, which is how commands
// coalesce, and it owns the context of the current fetch, which delivering a
// command cancels.
type inbox[Cmd any] struct {
	parent context.Context
	// notify holds a token when the inbox may have changed since the loop
	// last looked. A token can be stale; take tells.
	notify chan struct{}

	mu     sync.Mutex
	cmd    Cmd
	has    bool
	closed bool
	fetch  context.Context
	cancel context.CancelFunc
}

func newInbox[Cmd any](parent context.Context) *inbox[Cmd] {
	in := &inbox[Cmd]{parent: parent, notify: make(chan struct{}, 1)}
	in.fetch, in.cancel = context.WithCancel(parent)
	return in
}

// watch moves commands from cmds into the inbox until cmds is closed, ctx is
// done or quit is closed.
func (in *inbox[Cmd]) watch(ctx context.Context, cmds <-chan Cmd, quit <-chan struct{}) {
	for {
		select {
		case cmd, ok := <-cmds:
			in.mu.Lock()
			if ok {
				in.cmd, in.has = cmd, true
			} else {
				in.closed = true
			}
			// Cancelled under the lock, after the command is in place: a loop
			// that sees its fetch cancelled finds the command in take.
			in.cancel()
			in.mu.Unlock()
			select {
			case in.notify <- struct{}{}:
			default:
			}
			if !ok {
				return
			}
		case <-ctx.Done():
			return
		case <-quit:
			return
		}
	}
}

// take empties the inbox and returns the context for the next fetch, which is
// a fresh one after a command, as delivering the command cancelled the last.
func (in *inbox[Cmd]) take() (cmd Cmd, has, closed bool, fetch context.Context) {
	in.mu.Lock()
	defer in.mu.Unlock()
	cmd, has, closed = in.cmd, in.has, in.closed
	if has {
		var zero Cmd
		in.cmd, in.has = zero, false
		in.fetch, in.cancel = context.WithCancel(in.parent)
	}
	return cmd, has, closed, in.fetch
}

// cancelFetch releases the fetch context when the worker stops.
func (in *inbox[Cmd]) cancelFetch() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.cancel()
}

// Package worker runs a data source on a background goroutine and hands its
// items to a consumer over a bounded channel, while the consumer steers the
// source with commands (typically seeks) over a second channel.
//
// Two workers share one protocol:
//
//   - [AsyncWorker] drives an [AsyncSource], whose FetchNext takes a context:
//     a command that arrives while a fetch is in flight cancels that fetch.
//   - [SyncWorker] drives a [SyncSource], whose FetchNext blocks and cannot be
//     interrupted (a decoder, for instance); commands are applied between
//     fetches.
//
// In both, a command that arrives while a finished item waits for room in the
// data channel (the consumer is behind) is applied at once; the item is then
// sent only if the source's epoch did not change, and dropped otherwise.
// Neither worker polls: every wait is a select.
//
// Commands coalesce: when several are queued, only the newest is applied, so a
// command must describe a complete target state (seek to position P with epoch
// E), not a delta. Items carry the epoch of the source state that produced
// them; the consumer keeps its own epoch in an [EpochValidator], bumps it on
// every seek and ignores items of any other epoch, which makes items that were
// already queued before the seek harmless.
//
// Ownership: the constructor makes both channels. The consumer owns the send
// side of the command channel and stops the worker by closing it (or by
// cancelling the context given to Run); the worker owns the data channel and
// closes it when Run returns, so a consumer can range over Data.
package worker

//go:generate go tool hotpathgen

import (
	"context"
	"errors"
)

// ErrAlreadyRunning is returned by Run when the worker has been started before.
// A worker runs once; its channels are closed when it stops.
var ErrAlreadyRunning = errors.New("worker: Run called more than once")

// Fetch is one item produced by a source.
type Fetch[C any] struct {
	// Data is the payload.
	Data C
	// EOF marks the last item before the source has nothing more to produce
	// until a command moves it. Data may still carry a payload (or an error
	// the payload type can express).
	EOF bool
	// Epoch is the source epoch the item was produced in.
	Epoch uint64
}

// AsyncSource is a source whose fetches can be cancelled.
//
// The worker never calls its methods concurrently: HandleCommand and Epoch are
// only called while no FetchNext is running.
type AsyncSource[C, Cmd any] interface {
	// FetchNext produces the next item. It must return promptly once ctx is
	// done; the worker discards what it returns then.
	FetchNext(ctx context.Context) Fetch[C]
	// HandleCommand applies cmd and returns the source's epoch afterwards.
	HandleCommand(cmd Cmd) (epoch uint64)
	// Epoch reports the source's current epoch.
	Epoch() uint64
}

// SyncSource is a source whose fetches block until they are done.
//
// The worker never calls its methods concurrently. A SyncSource may also
// implement [EpochSource]; see [SyncWorker] for how that changes the handling
// of an item that was waiting to be sent when a command arrived.
type SyncSource[C, Cmd any] interface {
	// FetchNext produces the next item.
	FetchNext() Fetch[C]
	// HandleCommand applies cmd.
	HandleCommand(cmd Cmd)
}

// EpochSource is implemented by sources that report the epoch of their
// current state. It is part of [AsyncSource] and optional for a [SyncSource].
type EpochSource interface {
	Epoch() uint64
}

// Releaser is implemented by item payloads that hold pooled resources. The
// workers call Release on the payload of every item they drop (a stale item,
// or one pre-empted by a command) so the resources go back to their pool; items
// that reach the data channel are the consumer's to release.
type Releaser interface {
	Release()
}

// release returns a dropped item's resources, if it holds any.
func release[C any](f Fetch[C]) {
	if r, ok := any(f.Data).(Releaser); ok {
		r.Release()
	}
}

//go:build !hotpath

package worker

import (
	"context"
	"testing"
)

// relay is a source over another worker's output: each of its items is one
// upstream item times ten, and its commands are forwarded upstream, so a seek
// at the end of the chain travels to its head.
type relay struct {
	up    <-chan Fetch[int]
	upCmd chan<- seek
	upV   EpochValidator
	epoch uint64
}

func (r *relay) next(ctx context.Context) Fetch[int] {
	for {
		var f Fetch[int]
		var ok bool
		select {
		case f, ok = <-r.up:
		case <-ctx.Done():
			return Fetch[int]{Data: -1, Epoch: r.epoch}
		}
		if !ok {
			return Fetch[int]{Data: -1, EOF: true, Epoch: r.epoch}
		}
		if !r.upV.Valid(f.Epoch) {
			continue
		}
		if f.EOF {
			return Fetch[int]{Data: -1, EOF: true, Epoch: r.epoch}
		}
		return Fetch[int]{Data: f.Data * 10, Epoch: r.epoch}
	}
}

func (r *relay) forward(cmd seek) {
	r.epoch = cmd.epoch
	for r.upV.Epoch() != cmd.epoch {
		r.upV.Next()
	}
	r.upCmd <- cmd
}

type asyncRelay struct{ relay }

func (r *asyncRelay) FetchNext(ctx context.Context) Fetch[int] { return r.next(ctx) }
func (r *asyncRelay) HandleCommand(cmd seek) uint64            { r.forward(cmd); return r.epoch }
func (r *asyncRelay) Epoch() uint64                            { return r.epoch }

type syncRelay struct{ relay }

func (r *syncRelay) FetchNext() Fetch[int]  { return r.next(context.Background()) }
func (r *syncRelay) HandleCommand(cmd seek) { r.forward(cmd) }
func (r *syncRelay) Epoch() uint64          { return r.epoch }

// TestChainedWorkers runs worker A's output through worker B, with seeks
// issued at B travelling to A, and checks that the chain delivers the right
// items and shuts down without deadlock.
func TestChainedWorkers(t *testing.T) {
	for _, kind := range []string{"async->async", "async->sync"} {
		t.Run(kind, func(t *testing.T) {
			head := NewAsyncWorker(&counter{n: 5000}, WithDataCapacity(2))
			headErr := runAsync(t.Context(), head.Run)
			r := relay{up: head.Data(), upCmd: head.Commands()}

			var data <-chan Fetch[int]
			var cmds chan<- seek
			var tailErr <-chan error
			switch kind {
			case "async->async":
				tail := NewAsyncWorker[int, seek](&asyncRelay{r}, WithDataCapacity(2))
				data, cmds, tailErr = tail.Data(), tail.Commands(), runAsync(t.Context(), tail.Run)
			default:
				tail := NewSyncWorker[int, seek](&syncRelay{r}, WithDataCapacity(2))
				data, cmds, tailErr = tail.Data(), tail.Commands(), runAsync(t.Context(), tail.Run)
			}

			var v EpochValidator
			for want := 0; want < 1000; want++ {
				if f := recv(t, data); f.Data != want*10 {
					t.Fatalf("item %d: got %+v", want, f)
				}
			}
			for _, pos := range []int{4000, 10, 2500, 4990} {
				cmds <- seek{pos: pos, epoch: v.Next()}
				for want := pos; want < pos+10; {
					f := recv(t, data)
					if !v.Valid(f.Epoch) {
						continue
					}
					if f.Data != want*10 {
						t.Fatalf("after seek to %d: got %+v, want %d", pos, f, want*10)
					}
					want++
				}
			}
			if f := recv(t, data); !f.EOF {
				t.Fatalf("got %+v, want EOF at the end of the chain", f)
			}

			// Stop the tail first, then the head, as an owner would.
			close(cmds)
			if err := runResult(t, tailErr); err != nil {
				t.Fatalf("tail: %v", err)
			}
			close(head.Commands())
			if err := runResult(t, headErr); err != nil {
				t.Fatalf("head: %v", err)
			}
		})
	}
}

package worker_test

import (
	"context"
	"fmt"

	"github.com/hotpath-go/hotpath/kithara/worker"
)

// squares produces n*n for n = pos, pos+1, ... up to limit.
type squares struct {
	pos, limit int
	epoch      uint64
}

type seekTo struct {
	pos   int
	epoch uint64
}

func (s *squares) FetchNext(ctx context.Context) worker.Fetch[int] {
	if s.pos >= s.limit {
		return worker.Fetch[int]{EOF: true, Epoch: s.epoch}
	}
	n := s.pos
	s.pos++
	return worker.Fetch[int]{Data: n * n, Epoch: s.epoch}
}

func (s *squares) HandleCommand(cmd seekTo) uint64 {
	s.pos, s.epoch = cmd.pos, cmd.epoch
	return s.epoch
}

func (s *squares) Epoch() uint64 { return s.epoch }

func ExampleAsyncWorker() {
	w := worker.NewAsyncWorker(&squares{limit: 10})
	go w.Run(context.Background())
	defer close(w.Commands()) // stops the worker

	var epochs worker.EpochValidator
	fmt.Println((<-w.Data()).Data, (<-w.Data()).Data)

	// Seek: items already queued for the old position are skipped.
	w.Commands() <- seekTo{pos: 7, epoch: epochs.Next()}
	for f := range w.Data() {
		if !epochs.Valid(f.Epoch) {
			continue
		}
		if f.EOF {
			break
		}
		fmt.Println(f.Data)
	}
	// Output:
	// 0 1
	// 49
	// 64
	// 81
}

package hotpath

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/hotpath-go/hotpath/runtime/internal/core"
)

// benchFuncs registers n Funcs, each with durations spanning three
// decades recorded from two goroutines, once per process.
func benchFuncs(n int) []*core.Func {
	benchFuncsOnce.Do(func() {
		benchFuncsList = make([]*core.Func, n)
		for i := range benchFuncsList {
			benchFuncsList[i] = &core.Func{Name: fmt.Sprintf("benchreport.f%05d", i)}
		}
		var wg sync.WaitGroup
		for w := range 2 {
			wg.Go(func() {
				r := rand.New(rand.NewPCG(uint64(w), 1))
				for _, f := range benchFuncsList {
					for range 500 {
						core.RecordDuration(f, logUniform(r, 1e3, 1e6))
					}
				}
			})
		}
		wg.Wait()
	})
	return benchFuncsList
}

var (
	benchFuncsOnce sync.Once
	benchFuncsList []*core.Func
)

// BenchmarkSnapshot10k merges the shards and histograms of 10,000
// measured functions (1,000 durations each over three decades, from two
// goroutines): what a live view or a report does before it computes
// percentiles. Goal: at most 50 ms per op.
func BenchmarkSnapshot10k(b *testing.B) {
	fs := benchFuncs(10000)
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		for _, f := range fs {
			_ = f.State().Snapshot()
		}
	}
	reportCPU(b, cpu)
}

// reportCPU reports the process's CPU time per op since start.
func reportCPU(b *testing.B, start time.Duration) {
	if start > 0 {
		b.ReportMetric(float64(processCPU()-start)/float64(b.N)/1e6, "cpu-ms/op")
	}
}

// BenchmarkReport10k builds a guard's report of the same 10,000 functions,
// percentiles and sorting included. Goal: at most 1 s per op.
func BenchmarkReport10k(b *testing.B) {
	benchFuncs(10000)
	g := Start(Options{Name: "bench", Format: FormatNone, Focus: "benchreport."})
	g.base = baseline{funcs: map[*core.Func]core.FuncSnapshot{}, chans: map[*core.ChanSite]core.ChanSnapshot{}}
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		if rep := g.Snapshot(); len(rep.Functions) != 10000 {
			b.Fatalf("%d rows", len(rep.Functions))
		}
	}
	reportCPU(b, cpu)
	_ = g.Stop()
}

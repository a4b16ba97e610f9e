package hotpathimpl

import (
	"sync"
	"testing"

	"github.com/hotpath-go/hotpath/runtime/internal/core"
)

var (
	benchGoSite = core.GoSite{Label: "bench", Func: "example.com/p.F", Site: "example.com/p/bench_test.go:1"}
	benchGoWG   sync.WaitGroup
	benchGoSink int
)

//go:noinline
func benchGoDone() { benchGoWG.Done() }

//go:noinline
func benchGoWork(n int, wg *sync.WaitGroup) {
	benchGoSink = n
	wg.Done()
}

// BenchmarkGo starts goroutines that end at once, with a raw go statement
// and as hotpathgen rewrites it, in one run: "noargs" is go f() of a
// package function, "args" go f(i, &wg), "parallel" go f(i, &wg) from
// GOMAXPROCS goroutines at once (the site's alive counter contended).
// The ratio watched/raw is the figure the design asks for (the recording
// alone is core's BenchmarkGoBeginEnd); allocations
// must not grow but for the noargs case, whose goroutine gets the
// function and the go statement's time as arguments.
func BenchmarkGo(b *testing.B) {
	b.Run("noargs/raw", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			benchGoWG.Add(1)
			go benchGoDone()
		}
		benchGoWG.Wait()
	})
	b.Run("noargs/watched", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			benchGoWG.Add(1)
			go GoFunc0R0(&benchGoSite, benchGoDone).Run()
		}
		benchGoWG.Wait()
	})
	b.Run("args/raw", func(b *testing.B) {
		b.ReportAllocs()
		var wg sync.WaitGroup
		for i := range b.N {
			wg.Add(1)
			go benchGoWork(i, &wg)
		}
		wg.Wait()
	})
	b.Run("args/watched", func(b *testing.B) {
		b.ReportAllocs()
		var wg sync.WaitGroup
		for i := range b.N {
			wg.Add(1)
			go GoFunc2R0(&benchGoSite, benchGoWork).Run(i, &wg)
		}
		wg.Wait()
	})
	b.Run("parallel/raw", func(b *testing.B) {
		b.ReportAllocs()
		var wg sync.WaitGroup
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i++ {
				wg.Add(1)
				go benchGoWork(i, &wg)
			}
		})
		wg.Wait()
	})
	b.Run("parallel/watched", func(b *testing.B) {
		b.ReportAllocs()
		var wg sync.WaitGroup
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i++ {
				wg.Add(1)
				go GoFunc2R0(&benchGoSite, benchGoWork).Run(i, &wg)
			}
		})
		wg.Wait()
	})
}

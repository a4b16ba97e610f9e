package hotpath

import (
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hotpath-go/hotpath/runtime/internal/core"
)

// The cost of allocation mode, on an allocation-heavy function, against
// the same function in timing mode and untagged, in one run:
//
//	go test -run '^$' -bench 'BenchmarkAllocMode|BenchmarkAllocReport' -count 6 ./runtime/
//
// untagged/alloc-guard shows that the cost is the runtime's heap profiler
// at rate 1, which every allocation of the process pays while an
// alloc-mode guard is alive, and not hotpath's.

var (
	benchAllocFn   = core.Func{Name: "bench.allocHeavy", Symbol: selfPackage + ".benchAllocMeasured", File: "alloc_bench_test.go"}
	benchRecFn     = core.Func{Name: "bench.rec", Symbol: selfPackage + ".benchRec", File: "alloc_bench_test.go"}
	allocBenchSink atomic.Int64
)

// benchAllocBody formats n numbers, joins them and indexes them in a map:
// about 40 allocations of assorted sizes for n = 32.
//
//go:noinline
func benchAllocBody(n int) int {
	parts := make([]string, 0, n)
	for i := range n {
		parts = append(parts, strconv.Itoa(1000+i*7919))
	}
	s := strings.Join(parts, ",")
	m := make(map[string]int, n)
	for i, p := range parts {
		m[p] = i
	}
	return len(s) + len(m)
}

func benchAllocPlain(n int) int { return benchAllocBody(n) }

func benchAllocMeasured(n int) int {
	defer benchAllocFn.Begin().End()
	return benchAllocBody(n)
}

func BenchmarkAllocMode(b *testing.B) {
	const n = 32
	run := func(b *testing.B, f func(int) int, alloc bool) {
		if alloc {
			g := Start(Options{Name: b.Name(), Alloc: true, Format: FormatNone})
			defer func() {
				b.StopTimer()
				if err := g.Stop(); err != nil {
					b.Fatal(err)
				}
			}()
		}
		b.ReportAllocs()
		var sum int
		for b.Loop() {
			sum += f(n)
		}
		allocBenchSink.Add(int64(sum))
	}
	b.Run("untagged", func(b *testing.B) { run(b, benchAllocPlain, false) })
	b.Run("timing", func(b *testing.B) { run(b, benchAllocMeasured, false) })
	b.Run("alloc", func(b *testing.B) { run(b, benchAllocMeasured, true) })
	b.Run("untagged/alloc-guard", func(b *testing.B) { run(b, benchAllocPlain, true) })
}

// benchRec allocates size bytes at each of depth+1 levels of recursion:
// every level is a distinct stack, and every size a distinct record.
func benchRec(depth, size int) {
	defer benchRecFn.Begin().End()
	b := make([]byte, size)
	allocBenchSink.Add(int64(len(b)))
	if depth > 0 {
		benchRec(depth-1, size)
	}
}

// benchStacks makes sure the heap profile has records for stacks 1..depth
// deep (plus the caller's) in sizes 1..sizes times 16 bytes, recorded at
// rate 1. Records last for the life of the process.
func benchStacks(depth, sizes int) {
	prev := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	for s := 1; s <= sizes; s++ {
		benchRec(depth, s*16)
	}
	runtime.MemProfileRate = prev
}

func profileRecords() int {
	n, _ := runtime.MemProfile(nil, true)
	return n
}

// BenchmarkAllocReport measures what Stop (or Snapshot) adds in allocation
// mode, for a process whose heap profile has many records: the GC, the
// two reads of the profile, and the attribution. "records" is the number
// of records in the process's profile, all of which are read.
func BenchmarkAllocReport(b *testing.B) {
	for _, c := range []struct {
		name         string
		depth, sizes int
	}{
		{"stacks=100", 9, 10},   // 10 stacks x 10 sizes, up to ~20 frames deep
		{"stacks=2000", 39, 50}, // 40 stacks x 50 sizes, up to ~50 frames deep
	} {
		benchStacks(c.depth, c.sizes)
		b.Run(c.name+"/snapshot", func(b *testing.B) {
			g := Start(Options{Name: b.Name(), Alloc: true, Format: FormatNone})
			defer g.Stop()
			b.ReportAllocs()
			for b.Loop() {
				benchRec(3, 64)
				if rep := g.Snapshot(); rep.Func(benchRecFn.Name) == nil {
					b.Fatal("no row")
				}
			}
			b.ReportMetric(float64(profileRecords()), "records")
		})
		b.Run(c.name+"/read", func(b *testing.B) {
			base, err := startAllocMode()
			if err != nil {
				b.Fatal(err)
			}
			defer stopAllocMode()
			_ = base
			b.ReportAllocs()
			for b.Loop() {
				if _, err := readHeapProfile(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(profileRecords()), "records")
		})
		b.Run(c.name+"/attribute", func(b *testing.B) {
			base, err := startAllocMode()
			if err != nil {
				b.Fatal(err)
			}
			defer stopAllocMode()
			benchRec(3, 64)
			runtime.GC()
			p, err := readHeapProfile()
			if err != nil {
				b.Fatal(err)
			}
			funcs := core.Funcs()
			b.ReportAllocs()
			for b.Loop() {
				if res := base.attributeProfile(p, funcs); res.incl[&benchRecFn].objects == 0 {
					b.Fatal("nothing attributed")
				}
			}
			b.ReportMetric(float64(len(p.Samples)), "records")
		})
	}
	b.Run("gc", func(b *testing.B) {
		for b.Loop() {
			runtime.GC()
		}
	})
}

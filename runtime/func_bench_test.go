package hotpath_test

import (
	"sync/atomic"
	"testing"
	"time"

	hotpath "github.com/hotpath-go/hotpath/runtime"
	"github.com/hotpath-go/hotpath/runtime/hotpathimpl"
)

// BenchmarkOverhead measures what a measured call costs against the least
// any timing can cost, in one run so that the ratios are taken under the
// same conditions:
//
//	go test -run '^$' -bench BenchmarkOverhead -benchmem -count 6 -cpu 1,2 ./runtime/ | tee overhead.txt
//	go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da -col /probe overhead.txt
//
// benchstat's -col /probe puts the probes side by side, each against the
// first, floor. The comparison with Prometheus and OpenTelemetry lives in
// the nested module bench/, which has the same floor and measured probes:
//
//	cd bench && go test -run '^$' -bench . -benchmem -count 6 -cpu 1,2 .
//
// The probes, each around the same empty function:
//
//	floor     two reads of the runtime's monotonic clock around the call
//	measured  the call instrumented as hotpathgen writes it (the goal is
//	          at most 1.25x floor serially, 1.5x in parallel, 0 allocs)
//	sample64  the same with one call in 64 timed: ns/op is the mean over
//	          63 counted-only calls and one timed call
//	untimed   the same with sampling so sparse that no call is timed: the
//	          cost of the path that only counts
//	call      the bare call, for reference
//	measured-tsc     measured, on the TSC clock (HOTPATH_CLOCK=tsc); its
//	                 goal is at most 0.7x floor, the monotonic floor
//	measured-polled  measured while a reader takes a snapshot of every
//	                 function and reads its percentiles every 100 ms, as
//	                 the live view does: it should not move measured
//
// Under par=parallel every probe runs in b.RunParallel; -cpu 2 gives two
// goroutines. measured-own (parallel only) gives each goroutine a Func of
// its own, so the difference from measured (one Func shared by both) is
// the cost of two goroutines recording into the same Func, which per-P
// shards keep small.
func BenchmarkOverhead(b *testing.B) {
	probes := []struct {
		name   string
		sample int    // Options.SampleEvery; 0 leaves sampling off
		clock  string // "tsc" runs the probe on the TSC clock
		poll   bool   // a reader takes a snapshot every 100 ms meanwhile
		run    func(b *testing.B)
		par    func(b *testing.B)
	}{
		{name: "floor", run: serialFloor, par: parallelFloor},
		{name: "measured", run: serialMeasured, par: parallelMeasured},
		{name: "measured-tsc", clock: "tsc", run: serialMeasured, par: parallelMeasured},
		{name: "measured-polled", poll: true, run: serialMeasured, par: parallelMeasured},
		{name: "sample64", sample: 64, run: serialMeasured, par: parallelMeasured},
		{name: "untimed", sample: 1 << 30, run: serialMeasured, par: parallelMeasured},
		{name: "measured-own", par: parallelMeasuredOwn},
		{name: "call", run: serialBare, par: parallelBare},
	}
	for _, mode := range []string{"serial", "parallel"} {
		for _, p := range probes {
			f := p.run
			if mode == "parallel" {
				f = p.par
			}
			if f == nil {
				continue
			}
			b.Run("par="+mode+"/probe="+p.name, func(b *testing.B) {
				withSampling(b, p.sample)
				if p.clock != "" {
					on, restore := hotpath.SetClock(p.clock)
					defer restore()
					if !on {
						b.Skip("no TSC clock here")
					}
				}
				if p.poll {
					withPolling(b)
				}
				b.ReportAllocs()
				f(b)
			})
		}
	}
}

// The measured function, written as hotpathgen writes it, and an
// identical second one with a Func of its own.
var (
	fnMeasured = hotpathimpl.Func{Name: "benchtest.measured", Symbol: "github.com/hotpath-go/hotpath/runtime_test.measured", File: "func_bench_test.go", Line: 80}
	fnOther    = hotpathimpl.Func{Name: "benchtest.measuredOther", Symbol: "github.com/hotpath-go/hotpath/runtime_test.measuredOther", File: "func_bench_test.go", Line: 85}
)

//go:noinline
func measured() {
	if !fnMeasured.Skip() {
		if _hotpath_s := fnMeasured.BeginAfterSkip(); _hotpath_s.Timed() {
			defer _hotpath_s.End()
		}
	}
}

//go:noinline
func measuredOther() {
	if !fnOther.Skip() {
		if _hotpath_s := fnOther.BeginAfterSkip(); _hotpath_s.Timed() {
			defer _hotpath_s.End()
		}
	}
}

// bare is the function before instrumentation.
//
//go:noinline
func bare() {}

// benchClockBase and benchNanotime are the runtime's clock (clock.go),
// which the floor must read the same way.
var benchClockBase = time.Now()

func benchNanotime() int64 { return int64(time.Since(benchClockBase)) }

// floorSink keeps the floor's durations alive. Each goroutine sums into a
// local and adds once, so that the floor shares no cache line between
// goroutines while it runs.
var floorSink atomic.Int64

func serialFloor(b *testing.B) {
	var sum int64
	for b.Loop() {
		start := benchNanotime()
		bare()
		sum += benchNanotime() - start
	}
	floorSink.Add(sum)
}

func parallelFloor(b *testing.B) {
	b.RunParallel(func(pb *testing.PB) {
		var sum int64
		for pb.Next() {
			start := benchNanotime()
			bare()
			sum += benchNanotime() - start
		}
		floorSink.Add(sum)
	})
}

// The loops call the functions directly, as the floor does, so that every
// probe pays the same for the call itself.

func serialBare(b *testing.B) {
	for b.Loop() {
		bare()
	}
}

func serialMeasured(b *testing.B) {
	for b.Loop() {
		measured()
	}
}

func parallelBare(b *testing.B) {
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			bare()
		}
	})
}

func parallelMeasured(b *testing.B) {
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			measured()
		}
	})
}

// parallelMeasuredOwn runs measured in odd goroutines and measuredOther in
// even ones: with -cpu 2, each of the two goroutines records into a Func
// of its own.
func parallelMeasuredOwn(b *testing.B) {
	var started atomic.Int32
	b.RunParallel(func(pb *testing.PB) {
		if started.Add(1)%2 == 1 {
			for pb.Next() {
				measured()
			}
			return
		}
		for pb.Next() {
			measuredOther()
		}
	})
}

// withPolling runs a reader for the rest of b that, every 100 ms, takes a
// snapshot and reads the window's percentiles for every function, as the
// live view polls.
func withPolling(b *testing.B) {
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		prev := hotpath.TakeSnapshot()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			cur := hotpath.TakeSnapshot()
			for _, f := range cur.Funcs(prev) {
				pollSink.Add(f.Durations.ValueAtQuantile(99))
			}
			prev = cur
		}
	}()
	b.Cleanup(func() {
		close(stop)
		<-done
	})
}

var pollSink atomic.Int64

// withSampling times one call in n for the rest of b (n > 1), through a
// guard as a program would set it, and turns sampling off again after.
func withSampling(b *testing.B, n int) {
	if n <= 1 {
		return
	}
	g := hotpath.Start(hotpath.Options{Name: b.Name(), SampleEvery: n, Format: hotpath.FormatNone})
	b.Cleanup(func() {
		if err := g.Stop(); err != nil {
			b.Error(err)
		}
		off := hotpath.Start(hotpath.Options{Format: hotpath.FormatNone})
		if err := off.Stop(); err != nil {
			b.Error(err)
		}
	})
}

package core

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// histPercentiles are the percentiles the comparisons ask for: the
// report's defaults, the extremes and ranks that fall between counts.
var histPercentiles = []float64{0, 0.001, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 99.999, 100}

// histCase is one set of recorded durations.
type histCase struct {
	name   string
	values func(r *rand.Rand) []int64
}

func histCases() []histCase {
	repeat := func(v int64, n int) []int64 {
		s := make([]int64, n)
		for i := range s {
			s[i] = v
		}
		return s
	}
	return []histCase{
		{"one 1ns", func(*rand.Rand) []int64 { return []int64{1} }},
		{"one 1h", func(*rand.Rand) []int64 { return []int64{histHighest} }},
		{"1ns and 1h", func(*rand.Rand) []int64 { return []int64{1, histHighest, 1, histHighest, histHighest} }},
		{"clamped", func(*rand.Rand) []int64 { return []int64{0, -5, histHighest + 1, 1 << 62} }},
		{"uniform 1h", func(r *rand.Rand) []int64 {
			s := make([]int64, 20000)
			for i := range s {
				s[i] = 1 + r.Int64N(histHighest)
			}
			return s
		}},
		{"log-uniform 1ns..1h", func(r *rand.Rand) []int64 {
			s := make([]int64, 20000)
			for i := range s {
				s[i] = logUniform(r, 1, histHighest)
			}
			return s
		}},
		{"three decades", func(r *rand.Rand) []int64 {
			s := make([]int64, 50000)
			for i := range s {
				s[i] = logUniform(r, 1e3, 1e6)
			}
			return s
		}},
		{"power-of-two edges", func(*rand.Rand) []int64 {
			var s []int64
			for shift := range 42 {
				v := int64(1) << shift
				s = append(s, v-1, v, v+1, v+v/2)
			}
			return s
		}},
		{"wide counts", func(r *rand.Rand) []int64 {
			// One bucket past 8 and 16 bits, neighbours with few counts.
			s := append(repeat(1500, 70000), repeat(1501, 300)...)
			s = append(s, repeat(2047, 256)...)
			for range 1000 {
				s = append(s, 1400+r.Int64N(200))
			}
			return s
		}},
		{"bimodal", func(r *rand.Rand) []int64 {
			s := make([]int64, 10001)
			for i := range s {
				if i%100 == 0 {
					s[i] = 5e9 + r.Int64N(1e9)
				} else {
					s[i] = 200 + r.Int64N(50)
				}
			}
			return s
		}},
	}
}

// TestHistWindowMatchesLibrary compares the sparse layout with
// hdrhistogram-go's histogram, the layout reports used before, on random
// and adversarial durations: the same buckets, and the same percentile,
// minimum and maximum values to the nanosecond (so the same to any number
// of significant digits).
func TestHistWindowMatchesLibrary(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, c := range histCases() {
		t.Run(c.name, func(t *testing.T) {
			vals := c.values(r)
			lib := newHistogram()
			var w HistWindow
			for _, v := range vals {
				if err := lib.RecordValue(clampHist(v)); err != nil {
					t.Fatal(err)
				}
				w.record(v)
			}
			compareWithLibrary(t, "window", lib, w)
			compareWithLibrary(t, "clone", lib, w.clone())
			if got := w.histogram().Export().Counts; fmt.Sprint(got) != fmt.Sprint(lib.Export().Counts) {
				t.Errorf("bucket counts differ from the library's")
			}
		})
	}
}

// TestFuncPercentilesMatchLibrary records the same durations through a
// Func — shards on several Ps, buffers flushed into the histogram while a
// reader takes snapshots — and checks the report's histogram against the
// library's for the same values.
func TestFuncPercentilesMatchLibrary(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	r := rand.New(rand.NewPCG(5, 6))
	for _, c := range histCases() {
		t.Run(c.name, func(t *testing.T) {
			vals := c.values(r)
			f := ftFunc(t, "lib")
			lib := newHistogram()
			for _, v := range vals {
				_ = lib.RecordValue(clampHist(v))
			}
			var wg sync.WaitGroup
			var done atomic.Bool
			wg.Go(func() {
				for !done.Load() {
					f.load().snapshot()
					runtime.Gosched()
				}
			})
			var rec sync.WaitGroup
			for part := range 4 {
				rec.Go(func() {
					for i := part; i < len(vals); i += 4 {
						RecordDuration(f, vals[i])
						if i%64 == 0 {
							runtime.Gosched()
						}
					}
				})
			}
			rec.Wait()
			done.Store(true)
			wg.Wait()
			s := f.load().snapshot()
			if s.count != uint64(len(vals)) || s.calls != uint64(len(vals)) {
				t.Fatalf("count %d calls %d, want %d", s.count, s.calls, len(vals))
			}
			compareWithLibrary(t, "func", lib, s.histogram())
		})
	}
}

func compareWithLibrary(t *testing.T, what string, lib *hdr.Histogram, w HistWindow) {
	t.Helper()
	if got, want := w.total(), uint64(lib.TotalCount()); got != want {
		t.Errorf("%s: %d counts, library %d", what, got, want)
	}
	for _, p := range histPercentiles {
		if got, want := w.valueAtPercentile(p), lib.ValueAtQuantile(p); got != want {
			t.Errorf("%s: p%v = %d, library %d", what, p, got, want)
		}
	}
	lo, hi := w.minMax()
	if lo != lib.Min() || hi != lib.Max() {
		t.Errorf("%s: min/max %d/%d, library %d/%d", what, lo, hi, lib.Min(), lib.Max())
	}
}

// TestHistWindowSince checks the difference of two states of a histogram
// against a library histogram of the values recorded in between.
func TestHistWindowSince(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	var w HistWindow
	for range 5000 {
		w.record(logUniform(r, 1, 1e7))
	}
	base := w.clone()
	lib := newHistogram()
	for range 7000 {
		v := logUniform(r, 1e2, 1e9)
		w.record(v)
		_ = lib.RecordValue(v)
	}
	compareWithLibrary(t, "since", lib, w.since(base))
	if d := w.since(w); d.total() != 0 {
		t.Errorf("a histogram since itself has %d counts", d.total())
	}
}

// TestRecordingStress records from many goroutines while GOMAXPROCS
// changes — past maxShards too, where the shared locked shard takes
// over — goroutines yield in the middle of measured calls (so they move
// between Ps between Begin and End), and readers take snapshots. The
// totals must match an independent count exactly, and every snapshot a
// reader takes must be consistent: a Func that records 1 ns each time has
// total == count == calls and min == max == 1 at every instant.
func TestRecordingStress(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	ones := ftFunc(t, "ones")
	varied := ftFunc(t, "varied")
	real := ftFunc(t, "real")
	const workers, iters = 32, 3000
	var wantTotal, wantCalls atomic.Int64
	var wantMin, wantMax atomic.Int64
	wantMin.Store(1 << 62)
	var stop atomic.Bool
	var bg sync.WaitGroup
	bg.Go(func() {
		procs := []int{1, 2, 3, 8, 70, 2, 64, 1, 100, 4}
		for i := 0; !stop.Load(); i++ {
			runtime.GOMAXPROCS(procs[i%len(procs)])
			time.Sleep(time.Millisecond)
		}
	})
	var bad atomic.Int64
	for range 2 {
		bg.Go(func() {
			for !stop.Load() {
				s := ones.load().snapshot()
				if s.count != s.calls || s.total != int64(s.count) || s.histogram().total() != s.count ||
					(s.count > 0 && (s.min != 1 || s.max != 1)) {
					if bad.Add(1) == 1 {
						t.Errorf("inconsistent snapshot: calls %d count %d total %d hist %d min %d max %d",
							s.calls, s.count, s.total, s.histogram().total(), s.min, s.max)
					}
				}
				varied.load().snapshot()
				runtime.Gosched()
			}
		})
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			var total int64
			lo, hi := int64(1<<62), int64(0)
			for i := range iters {
				RecordDuration(ones, 1)
				d := int64(w*iters+i)%100003 + 1
				RecordDuration(varied, d)
				total += d
				lo, hi = min(lo, d), max(hi, d)
				func() {
					defer real.Begin().End()
					if i%16 == 0 {
						runtime.Gosched()
					}
				}()
			}
			wantTotal.Add(total)
			wantCalls.Add(iters)
			for m := wantMin.Load(); lo < m && !wantMin.CompareAndSwap(m, lo); m = wantMin.Load() {
			}
			for m := wantMax.Load(); hi > m && !wantMax.CompareAndSwap(m, hi); m = wantMax.Load() {
			}
		})
	}
	wg.Wait()
	stop.Store(true)
	bg.Wait()
	n := uint64(wantCalls.Load())
	if s := ones.load().snapshot(); s.calls != n || s.count != n || s.total != int64(n) || s.histogram().total() != n {
		t.Errorf("ones: calls %d count %d total %d hist %d, want %d", s.calls, s.count, s.total, s.histogram().total(), n)
	}
	s := varied.load().snapshot()
	if s.calls != n || s.count != n || s.total != wantTotal.Load() || s.min != wantMin.Load() || s.max != wantMax.Load() || s.histogram().total() != n {
		t.Errorf("varied: calls %d count %d total %d min %d max %d hist %d; want %d calls, total %d, min %d, max %d",
			s.calls, s.count, s.total, s.min, s.max, s.histogram().total(), n, wantTotal.Load(), wantMin.Load(), wantMax.Load())
	}
	if s := real.load().snapshot(); s.calls != n || s.count != n || s.histogram().total() != n {
		t.Errorf("real: calls %d count %d hist %d, want %d", s.calls, s.count, s.histogram().total(), n)
	}
}

// TestHistBucketRangeHoldsValue checks that every value lands in the
// bucket whose range holds it.
func TestHistBucketRangeHoldsValue(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	values := []int64{1, 2, 2047, 2048, 2049, 4095, 4096, 1e6, 123456789, histHighest}
	for range 2000 {
		values = append(values, 1+rng.Int64N(int64(1e10)))
	}
	for _, v := range values {
		lo, hi := histBucketRange(histIndex(clampHist(v)))
		if c := clampHist(v); c < lo || c > hi {
			t.Fatalf("value %d in bucket [%d, %d]", v, lo, hi)
		}
	}
}

// TestHistWindowAddFastAndSlow drives HistWindow.add through its one-pass
// case and through addSlow (new pages and chunks, counts that outgrow 8
// and 16 bits, tables and pages shared with a copy) and checks every
// bucket against a plain map, the copies' too: a copy keeps the counts it
// was taken with, whatever the original records after.
func TestHistWindowAddFastAndSlow(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 2))
	var w HistWindow
	want := map[int]uint64{}
	type frozen struct {
		w    HistWindow
		want map[int]uint64
	}
	var copies []frozen
	check := func(what string, w HistWindow, want map[int]uint64) {
		t.Helper()
		got := map[int]uint64{}
		w.each(func(i int, n uint64) { got[i] = n })
		if len(got) != len(want) {
			t.Fatalf("%s: %d buckets, want %d", what, len(got), len(want))
		}
		for i, n := range want {
			if got[i] != n {
				t.Fatalf("%s: bucket %d holds %d, want %d", what, i, got[i], n)
			}
		}
	}
	// A few hot buckets (the common case), some spread over every page.
	hot := []int{3, 77, 1500, 2047, 5000, 33000}
	for step := range 20000 {
		var i int
		if r.IntN(4) == 0 {
			i = r.IntN(histCountsLen)
		} else {
			i = hot[r.IntN(len(hot))]
		}
		n := uint64(1)
		switch r.IntN(500) {
		case 0:
			n = 300 // past 8 bits
		case 1:
			n = 70000 // past 16 bits
		}
		w.add(i, n)
		want[i] += n
		if step%2500 == 0 {
			c := w.clone()
			m := make(map[int]uint64, len(want))
			for k, v := range want {
				m[k] = v
			}
			copies = append(copies, frozen{c, m})
		}
	}
	check("original", w, want)
	for k, c := range copies {
		check(fmt.Sprintf("copy %d", k), c.w, c.want)
	}
}

// TestFuncFlushCountsEveryBucket records, through shards and their
// flushes, durations whose buckets pass every counter width (1, 2 and 8
// bytes: more than 65,535 calls in some buckets) and checks the Func's
// histogram bucket by bucket against an independent count, before and
// after a reader's snapshot makes its pages shared.
func TestFuncFlushCountsEveryBucket(t *testing.T) {
	f := ftFunc(t, "flush")
	want := map[int]uint64{}
	rec := func(d int64, n int) {
		for range n {
			RecordDuration(f, d)
		}
		want[histIndex(clampHist(d))] += uint64(n)
	}
	check := func(when string) {
		t.Helper()
		got := map[int]uint64{}
		s := f.load().snapshot()
		s.histogram().each(func(i int, n uint64) { got[i] = n })
		if len(got) != len(want) {
			t.Errorf("%s: %d buckets, want %d", when, len(got), len(want))
		}
		for i, n := range want {
			if got[i] != n {
				t.Errorf("%s: bucket %d holds %d, want %d", when, i, got[i], n)
			}
		}
	}
	for _, d := range []int64{60, 61, 75, 2_000, 1_000_000} {
		rec(d, 70_000) // past a 2-byte counter
	}
	rec(5_000, 300) // a 2-byte counter
	rec(90, 7)      // a 1-byte counter
	check("after recording")
	for _, d := range []int64{60, 2_000, 5_000, 90, 123_456} {
		rec(d, 100) // after the snapshot: copy on write, then the fast path again
	}
	check("after recording past a snapshot")
}

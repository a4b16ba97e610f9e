package hotpath

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hotpath-go/hotpath/runtime/internal/core"
	"go.uber.org/goleak"
)

// The functions below are instrumented as hotpathgen instruments code: a
// package-level Func per target, for a function Skip, BeginAfterSkip and a
// deferred End when the call is timed, and
// for a block a Span variable that is closed where control leaves the
// block and, deferred, once per function. Row names start with "functest."
// so that a guard focused on that prefix sees only this file's rows.

var (
	ftLeaf    = core.Func{Name: "functest.leaf", Symbol: selfPackage + ".ftLeafCall", File: "func_test.go"}
	ftPanics  = core.Func{Name: "functest.panics", Symbol: selfPackage + ".ftPanicCall", File: "func_test.go"}
	ftGoexit  = core.Func{Name: "functest.goexit", Symbol: selfPackage + ".ftGoexitCall", File: "func_test.go"}
	ftRec     = core.Func{Name: "functest.rec", Symbol: selfPackage + ".ftRecCall", File: "func_test.go"}
	ftLooper  = core.Func{Name: "functest.looper", Symbol: selfPackage + ".ftLooperCall", File: "func_test.go"}
	ftBlkBody = core.Func{Name: "functest.body", Kind: core.KindBlock, Parent: selfPackage + ".ftLooperCall",
		Symbol: selfPackage + ".ftLooperCall", File: "func_test.go"}
)

//go:noinline
func ftLeafCall() {
	if !ftLeaf.Skip() {
		if s := ftLeaf.BeginAfterSkip(); s.Timed() {
			defer s.End()
		}
	}
}

// ftPanicCall panics with v from inside a measured function.
func ftPanicCall(v any) {
	if !ftPanics.Skip() {
		if s := ftPanics.BeginAfterSkip(); s.Timed() {
			defer s.End()
		}
	}
	panic(v)
}

func ftGoexitCall() {
	if !ftGoexit.Skip() {
		if s := ftGoexit.BeginAfterSkip(); s.Timed() {
			defer s.End()
		}
	}
	runtime.Goexit()
}

func ftRecCall(depth int) {
	if !ftRec.Skip() {
		if s := ftRec.BeginAfterSkip(); s.Timed() {
			defer s.End()
		}
	}
	if depth > 1 {
		ftRecCall(depth - 1)
	}
}

// ftLooperCall runs a measured block n times; the block panics with
// panicAt when it is on iteration panicAt (never when panicAt < 0), and
// leaves the loop early with break on iteration breakAt.
func ftLooperCall(n, panicAt, breakAt int) (iterations int) {
	defer ftLooper.Begin().End()
	var span core.Span
	defer span.Close()
	for i := range n {
		span = ftBlkBody.Begin()
		if i == panicAt {
			panic(fmt.Sprintf("block %d", i))
		}
		iterations++
		if i == breakAt {
			span.Close()
			break
		}
		span.Close()
	}
	return iterations
}

// ftRecord records one call of f that took exactly d, as End does after
// reading the clock: tests that need exact durations use it.
func ftRecord(f *core.Func, d int64) { core.RecordDuration(f, d) }

// ftClearEnv empties the HOTPATH_* variables for the rest of the test,
// so that the environment the tests run in does not change their guards.
func ftClearEnv(t *testing.T) {
	for _, v := range []string{"HOTPATH_FORMAT", "HOTPATH_OUTPUT", "HOTPATH_PERCENTILES", "HOTPATH_LIMIT",
		"HOTPATH_FOCUS", "HOTPATH_SAMPLE", "HOTPATH_ALLOC"} {
		t.Setenv(v, "")
	}
}

// ftGuard starts a guard that sees only rows whose name contains focus
// and writes nothing.
func ftGuard(t *testing.T, focus string, opts Options) *Guard {
	t.Helper()
	ftClearEnv(t)
	opts.Focus = focus
	if opts.Format == "" {
		opts.Format = FormatNone
	}
	if opts.Name == "" {
		opts.Name = t.Name()
	}
	return Start(opts)
}

func ftStop(t *testing.T, g *Guard) *Report {
	t.Helper()
	if err := g.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	return g.Report()
}

// ftRow returns the report's row for f, failing the test when there is none.
func ftRow(t *testing.T, rep *Report, f *core.Func) *FuncRow {
	t.Helper()
	row := rep.Func(f.Name)
	if row == nil {
		t.Fatalf("no row %q in %+v", f.Name, rep.Functions)
	}
	return row
}

// ftFunc returns a Func of its own for one run of one test, so that
// numbers never mix across tests or -count runs.
func ftFunc(t *testing.T, label string) *core.Func {
	return &core.Func{Name: fmt.Sprintf("functest.%s.%s.%d", t.Name(), label, ftSeq.Add(1))}
}

var ftSeq atomic.Int64

func TestFuncExactCountsConcurrent(t *testing.T) {
	defer goleak.VerifyNone(t)
	g := ftGuard(t, "functest.leaf", Options{})
	const goroutines, calls = 16, 2000
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range goroutines {
		wg.Go(func() {
			<-start
			for range calls {
				ftLeafCall()
			}
		})
	}
	close(start)
	wg.Wait()
	row := ftRow(t, ftStop(t, g), &ftLeaf)
	if row.Calls != goroutines*calls || row.Timed != goroutines*calls {
		t.Errorf("calls %d timed %d, want %d each", row.Calls, row.Timed, goroutines*calls)
	}
	if row.MinNS < 1 || row.MinNS > row.MaxNS || row.AvgNS < row.MinNS || row.AvgNS > row.MaxNS {
		t.Errorf("min %d avg %d max %d out of order", row.MinNS, row.AvgNS, row.MaxNS)
	}
}

func TestFuncRecursionCountsEveryLevel(t *testing.T) {
	g := ftGuard(t, "functest.rec", Options{})
	ftRecCall(7)
	if row := ftRow(t, ftStop(t, g), &ftRec); row.Calls != 7 {
		t.Errorf("calls = %d, want 7", row.Calls)
	}
}

type ftPanicValue struct{ n int }

// TestFuncPanicPassesThrough checks that a panic leaves a measured
// function as the very value it was, and that the call is recorded.
func TestFuncPanicPassesThrough(t *testing.T) {
	g := ftGuard(t, "functest.panics", Options{})
	for _, v := range []any{&ftPanicValue{7}, errors.New("boom"), 42} {
		got := func() (r any) {
			defer func() { r = recover() }()
			ftPanicCall(v)
			return nil
		}()
		if got != v {
			t.Errorf("recovered %#v, want %#v", got, v)
		}
	}
	if row := ftRow(t, ftStop(t, g), &ftPanics); row.Calls != 3 || row.Timed != 3 {
		t.Errorf("calls %d timed %d, want 3 each", row.Calls, row.Timed)
	}
}

// TestFuncGoexitIsRecorded checks that a goroutine leaving through
// runtime.Goexit, as t.FailNow does, still records its call.
func TestFuncGoexitIsRecorded(t *testing.T) {
	g := ftGuard(t, "functest.goexit", Options{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		ftGoexitCall()
	}()
	<-done
	if row := ftRow(t, ftStop(t, g), &ftGoexit); row.Calls != 1 {
		t.Errorf("calls = %d, want 1", row.Calls)
	}
}

func TestSpanZeroValue(t *testing.T) {
	var s core.Span
	s.End()
	s.Close()
	s.Close()
	if s != (core.Span{}) {
		t.Errorf("zero span changed: %+v", s)
	}
}

// TestSpanCloseRecordsOnce covers the block pattern: Close records an open
// span and marks it closed, so the deferred Close after an explicit one
// records nothing more; a panic inside the block is recorded by the
// deferred Close alone.
func TestSpanCloseRecordsOnce(t *testing.T) {
	f := ftFunc(t, "block")
	g := ftGuard(t, f.Name, Options{})
	s := f.Begin()
	s.Close()
	s.Close()
	func() {
		var s core.Span
		defer s.Close()
		s = f.Begin()
	}()
	if row := ftRow(t, ftStop(t, g), f); row.Calls != 2 {
		t.Errorf("calls = %d, want 2", row.Calls)
	}
}

func TestBlockInLoop(t *testing.T) {
	for _, c := range []struct {
		name                string
		n, panicAt, breakAt int
		blocks              uint64
	}{
		{"all", 5, -1, -1, 5},
		{"break", 5, -1, 2, 3},
		{"panic", 5, 3, -1, 4},
		{"none", 0, -1, -1, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := ftGuard(t, "functest.", Options{})
			func() {
				defer func() {
					if r := recover(); (r != nil) != (c.panicAt >= 0) {
						t.Errorf("recovered %v", r)
					}
				}()
				ftLooperCall(c.n, c.panicAt, c.breakAt)
			}()
			rep := ftStop(t, g)
			if row := ftRow(t, rep, &ftLooper); row.Calls != 1 {
				t.Errorf("function calls = %d, want 1", row.Calls)
			}
			row := rep.Func(ftBlkBody.Name)
			if c.blocks == 0 {
				if row != nil {
					t.Errorf("block row for a block that never ran: %+v", row)
				}
				return
			}
			if row == nil || row.Calls != c.blocks || row.Kind != "block" || row.Parent != ftBlkBody.Parent {
				t.Errorf("block row %+v, want %d calls of a block in %s", row, c.blocks, ftBlkBody.Parent)
			}
		})
	}
}

// TestFuncNoAllocs checks the design's promise: measuring allocates
// nothing once the Func is registered, sampled or not.
func TestFuncNoAllocs(t *testing.T) {
	ftLeafCall()
	if n := testing.AllocsPerRun(1000, ftLeafCall); n != 0 {
		t.Errorf("measured call allocates %v times", n)
	}
	g := ftGuard(t, "functest.leaf", Options{SampleEvery: 8})
	defer core.SetSampleEvery(1)
	if n := testing.AllocsPerRun(1000, ftLeafCall); n != 0 {
		t.Errorf("sampled call allocates %v times", n)
	}
	ftStop(t, g)
}

// TestFuncRegistersOnFirstUse checks that a Func joins the registry at
// its first call, not before, and once however many goroutines race to
// make that call.
// TestShardLayout checks that a shard fills a 128-byte allocation, which
// the allocator aligns to 128 bytes: each P's shard then has two cache
// lines to itself (the pair adjacent-line prefetchers fetch together).
// TestHistLayout checks that the shards' counts are laid out exactly as
// hdrhistogram-go lays out the histogram that snapshot builds from them:
// every value lands in the bucket the library would put it in.
// TestSamplingCountsExactly times one call in N: every call is counted,
// exactly one in N is timed, and the durations and percentiles come from
// the timed calls alone. The test runs on one P, so that one shard counts
// all calls and the timed ones are exactly the Nth, 2Nth, ...
func TestSamplingCountsExactly(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	const n, calls = 16, 16*5 + 3
	const slow = 2 * time.Millisecond
	f := ftFunc(t, "sampled")
	g := ftGuard(t, f.Name, Options{SampleEvery: n, Percentiles: []float64{50, 99.9}})
	defer core.SetSampleEvery(1)
	for i := range calls {
		func() {
			defer f.Begin().End()
			if (i+1)%n == 0 {
				time.Sleep(slow) // only the timed calls are slow
			}
		}()
	}
	rep := ftStop(t, g)
	if rep.SampleEvery != n {
		t.Errorf("report SampleEvery = %d, want %d", rep.SampleEvery, n)
	}
	row := ftRow(t, rep, f)
	if row.Calls != calls || row.Timed != calls/n {
		t.Fatalf("calls %d timed %d, want %d and %d", row.Calls, row.Timed, calls, calls/n)
	}
	if row.MinNS < int64(slow) || row.Percentiles["p50"] < int64(slow) || row.Percentiles["p99.9"] < int64(slow) {
		t.Errorf("durations do not come from the timed calls: min %d, percentiles %v", row.MinNS, row.Percentiles)
	}
	// The total is scaled from the timed calls to every call.
	sum := row.AvgNS * int64(row.Timed)
	if want := float64(sum) * calls / float64(row.Timed); float64(row.TotalNS) < want-float64(calls) || float64(row.TotalNS) > want+float64(calls) {
		t.Errorf("total %d, want about %.0f (avg %d x %d calls)", row.TotalNS, want, row.AvgNS, calls)
	}
	var tab bytes.Buffer
	if err := rep.Write(&tab, FormatTable); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tab.String(), fmt.Sprintf("[one call in %d timed]", n)) {
		t.Errorf("table title does not say it sampled:\n%s", tab.String())
	}
}

// TestSamplingExactTwinShape is TestSamplingCountsExactly through the
// shape generated code has (Skip, BeginAfterSkip, End deferred only for a
// timed call), from many goroutines on many Ps: every call is counted
// exactly, and about one in N timed (exactly one in N per P).
func TestSamplingExactTwinShape(t *testing.T) {
	const n, workers, each = 8, 16, 1000
	f := ftFunc(t, "exacttwin")
	g := ftGuard(t, f.Name, Options{SampleEvery: n})
	defer core.SetSampleEvery(1)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				func() {
					if !f.Skip() {
						if s := f.BeginAfterSkip(); s.Timed() {
							defer s.End()
						}
					}
				}()
			}
		})
	}
	wg.Wait()
	rep := ftStop(t, g)
	if rep.CallsEstimated {
		t.Error("exact sampling reported as estimated")
	}
	row := ftRow(t, rep, f)
	const calls = workers * each
	if row.Calls != calls {
		t.Errorf("calls %d, want exactly %d", row.Calls, calls)
	}
	// Each P's countdown times one call in n of the calls made on it.
	if p := uint64(runtime.GOMAXPROCS(0)); row.Timed < calls/n-p || row.Timed > calls/n+p {
		t.Errorf("timed %d, want %d within %d", row.Timed, calls/n, p)
	}
}

// TestSamplingEstimated checks the opt-in estimated sampling: each call
// is timed with probability 1/N, whether the code calls Begin or
// generated code's Skip and BeginAfterSkip, a timed call counts as N, and
// the reports say that the counts are estimates.
func TestSamplingEstimated(t *testing.T) {
	const n, calls = 16, 64000
	const slow = time.Millisecond
	for _, shape := range []string{"twin", "begin"} {
		t.Run(shape, func(t *testing.T) {
			f := ftFunc(t, "estimated-"+shape)
			g := ftGuard(t, f.Name, Options{SampleEvery: n, SampleEstimated: true})
			defer core.SetSampleEvery(1)
			if !core.SampleEstimated() || core.SampleEvery() != n {
				t.Fatalf("sampling %d estimated %v, want %d, true", core.SampleEvery(), core.SampleEstimated(), n)
			}
			for range calls {
				if shape == "twin" {
					func() {
						if !f.Skip() {
							if s := f.BeginAfterSkip(); s.Timed() {
								defer s.End()
							}
						}
					}()
				} else {
					f.Begin().End()
				}
			}
			// A call that BeginAfterSkip begins is timed: Skip drew for it.
			for range 3 {
				func() {
					s := f.BeginAfterSkip()
					if !s.Timed() {
						t.Error("BeginAfterSkip did not time the call")
					}
					defer s.End()
					time.Sleep(slow)
				}()
			}
			rep := ftStop(t, g)
			if !rep.CallsEstimated || rep.SampleEvery != n {
				t.Errorf("report calls_estimated %v sample_every %d, want true, %d", rep.CallsEstimated, rep.SampleEvery, n)
			}
			row := ftRow(t, rep, f)
			if row.Calls != row.Timed*n {
				t.Errorf("calls %d, want timed (%d) x %d", row.Calls, row.Timed, n)
			}
			// Timed calls are binomial(calls, 1/n): mean 4000, sd 61.
			if mean := uint64(calls / n); row.Timed < mean-400+3 || row.Timed > mean+400+3 {
				t.Errorf("timed %d of %d calls, want about %d", row.Timed, calls, mean)
			}
			if row.MaxNS < int64(slow) {
				t.Errorf("max %d: the slow calls BeginAfterSkip began were not timed", row.MaxNS)
			}
			var tab, js bytes.Buffer
			if err := rep.Write(&tab, FormatTable); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(tab.String(), fmt.Sprintf("calls estimated: %d per timed call", n)) {
				t.Errorf("table title does not say the counts are estimated:\n%s", tab.String())
			}
			if err := rep.Write(&js, FormatJSON); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(js.String(), `"calls_estimated":true`) {
				t.Errorf("JSON does not say the counts are estimated:\n%s", js.String())
			}
		})
	}
}

// TestSampleEnvEstimated checks HOTPATH_SAMPLE's ~N syntax: the
// environment turns estimated sampling on, and off again with plain N.
func TestSampleEnvEstimated(t *testing.T) {
	for _, c := range []struct {
		opts Options
		env  string
		n    int
		est  bool
		err  string
	}{
		{env: "~64", n: 64, est: true},
		{opts: Options{SampleEvery: 8, SampleEstimated: true}, env: "32", n: 32},
		{opts: Options{SampleEvery: 8, SampleEstimated: true}, n: 8, est: true},
		{env: "~0", err: `HOTPATH_SAMPLE="~0": want N >= 1, or ~N for estimated counts`},
		{env: "~", err: `HOTPATH_SAMPLE="~"`},
		{env: "~~4", err: `HOTPATH_SAMPLE="~~4"`},
	} {
		r, err := resolveOptions(c.opts, func(k string) string {
			if k == "HOTPATH_SAMPLE" {
				return c.env
			}
			return ""
		})
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want one containing %q", c.env, err, c.err)
			}
			continue
		}
		if err != nil || r.SampleEvery != c.n || r.SampleEstimated != c.est {
			t.Errorf("%q over %+v: sample %d estimated %v err %v, want %d, %v", c.env, c.opts, r.SampleEvery, r.SampleEstimated, err, c.n, c.est)
		}
	}
}

// TestSamplingOffCountsEveryCall checks that a guard without sampling
// turns off the sampling an earlier guard asked for.
func TestSamplingOffCountsEveryCall(t *testing.T) {
	f := ftFunc(t, "unsampled")
	ftStop(t, ftGuard(t, f.Name, Options{SampleEvery: 1000}))
	g := ftGuard(t, f.Name, Options{})
	for range 10 {
		f.Begin().End()
	}
	rep := ftStop(t, g)
	if row := ftRow(t, rep, f); row.Calls != 10 || row.Timed != 10 || rep.SampleEvery != 1 {
		t.Errorf("calls %d timed %d sample_every %d, want 10, 10, 1", row.Calls, row.Timed, rep.SampleEvery)
	}
}

// TestGuardWindowsOverlap runs two overlapping guards: each reports the
// calls of its own window, and what was measured before a window does
// not leak into it, including minimum and maximum.
func TestGuardWindowsOverlap(t *testing.T) {
	before, fresh := ftFunc(t, "before"), ftFunc(t, "fresh")
	focus := "functest." + t.Name() + "."
	ftRecord(before, 5)    // before both windows
	ftRecord(before, 9000) // before both windows
	g1 := ftGuard(t, focus, Options{})
	ftRecord(before, 100)
	ftRecord(before, 300)
	g2 := ftGuard(t, focus, Options{})
	ftRecord(before, 200)
	ftRecord(fresh, 40)
	rep1 := ftStop(t, g1)
	ftRecord(before, 700)
	ftRecord(fresh, 60)
	rep2 := ftStop(t, g2)
	ftRecord(before, 1)
	ftRecord(fresh, 1)

	type nums struct {
		calls                     uint64
		total, min, max, avg, p50 int64
	}
	get := func(rep *Report, f *core.Func) nums {
		r := ftRow(t, rep, f)
		return nums{r.Calls, r.TotalNS, r.MinNS, r.MaxNS, r.AvgNS, r.Percentiles["p50"]}
	}
	for _, c := range []struct {
		name string
		got  nums
		want nums
	}{
		{"g1 before", get(rep1, before), nums{3, 600, 100, 300, 200, 200}},
		{"g1 fresh", get(rep1, fresh), nums{1, 40, 40, 40, 40, 40}},
		{"g2 before", get(rep2, before), nums{2, 900, 200, 700, 450, 200}},
		{"g2 fresh", get(rep2, fresh), nums{2, 100, 40, 60, 50, 40}},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, c.got, c.want)
		}
	}
	if rep1.Elapsed() <= 0 || rep2.Elapsed() <= 0 {
		t.Errorf("elapsed %v and %v", rep1.Elapsed(), rep2.Elapsed())
	}
}

// TestGuardStopTwiceAndSnapshot checks Stop's idempotence and that
// Snapshot reads a running guard without ending it.
func TestGuardStopTwiceAndSnapshot(t *testing.T) {
	f := ftFunc(t, "snap")
	g := ftGuard(t, f.Name, Options{})
	if g.Report() != nil {
		t.Errorf("report before Stop")
	}
	ftRecord(f, 10)
	snap := g.Snapshot()
	ftRecord(f, 20)
	rep := ftStop(t, g)
	ftRecord(f, 30)
	if err := g.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if g.Report() != rep || g.Snapshot() != rep {
		t.Errorf("Report or Snapshot after Stop is not the stopped report")
	}
	if a, b := ftRow(t, snap, f).Calls, ftRow(t, rep, f).Calls; a != 1 || b != 2 {
		t.Errorf("snapshot %d calls, report %d; want 1 and 2", a, b)
	}
}

// TestReportRows checks sorting by total (ties by name), limit, focus by
// substring and by regular expression, and exact percentiles, 99.9
// included.
func TestReportRows(t *testing.T) {
	prefix := "functest." + t.Name() + "."
	mk := func(name string) *core.Func { return &core.Func{Name: prefix + name} }
	fa, fb, fc, fd := mk("a"), mk("b"), mk("c"), mk("d.x")
	g := ftGuard(t, prefix, Options{Percentiles: []float64{50, 95, 99, 99.9}})
	for v := int64(1); v <= 1000; v++ {
		ftRecord(fa, v) // total 500500
	}
	ftRecord(fb, 1000)
	ftRecord(fc, 600000)
	ftRecord(fd, 500500) // ties with a: sorted by name
	rep := ftStop(t, g)
	var names []string
	for _, r := range rep.Functions {
		names = append(names, strings.TrimPrefix(r.Name, prefix))
	}
	if diff := cmp.Diff([]string{"c", "a", "d.x", "b"}, names); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	ra := ftRow(t, rep, fa)
	want := map[string]int64{"p50": 500, "p95": 950, "p99": 990, "p99.9": 999}
	if diff := cmp.Diff(want, ra.Percentiles); diff != "" {
		t.Errorf("percentiles (-want +got):\n%s", diff)
	}
	if ra.MinNS != 1 || ra.MaxNS != 1000 || ra.AvgNS != 500 || ra.TotalNS != 500500 || ra.Calls != 1000 {
		t.Errorf("row a: %+v", ra)
	}
	if diff := cmp.Diff([]float64{50, 95, 99, 99.9}, rep.Percentiles); diff != "" {
		t.Errorf("report percentiles (-want +got):\n%s", diff)
	}

	quoted := strings.ReplaceAll(prefix, ".", `\.`)
	for _, c := range []struct {
		name  string
		limit int
		focus string
		want  []string
	}{
		{"limit", 2, prefix, []string{"c", "a"}},
		{"no limit", 0, prefix, []string{"c", "a", "d.x", "b"}},
		{"substring", 0, prefix + "d", []string{"d.x"}},
		{"regexp", 0, "/^" + quoted + "[ab]$/", []string{"a", "b"}},
		{"regexp any", 0, "/" + quoted + `.\..$/`, []string{"d.x"}},
		{"nothing", 0, prefix + "zzz", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := ftGuard(t, c.focus, Options{Limit: c.limit})
			ftRecord(fa, 5)
			ftRecord(fb, 1)
			ftRecord(fc, 10)
			ftRecord(fd, 3)
			rep := ftStop(t, g)
			var got []string
			for _, r := range rep.Functions {
				got = append(got, strings.TrimPrefix(r.Name, prefix))
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

// ftReport is a report as a guard makes it, with round numbers, for the
// golden outputs: a function, a block, a row whose calls were never timed
// and a name wider than its column's title.
func ftReport() *Report {
	return &Report{
		Schema:      SchemaVersion,
		Name:        "demo",
		ElapsedNS:   2_500_000_000,
		Percentiles: []float64{50, 95, 99.9},
		SampleEvery: 1,
		Functions: []FuncRow{
			{
				Name: "example.com/p.(*Decoder).Decode", Kind: "func", Calls: 1200, Timed: 1200,
				TotalNS: 1_390_000_000, AvgNS: 1_158_333, MinNS: 950, MaxNS: 2_500_000_000,
				Percentiles:  map[string]int64{"p50": 950, "p95": 17_090, "p99.9": 1_160_000},
				PercentTotal: 55.6,
			},
			{
				Name: "fill", Kind: "block", Parent: "example.com/a/b.(*T).Run", Calls: 3, Timed: 3,
				TotalNS: 1500, AvgNS: 500, MinNS: 400, MaxNS: 600,
				Percentiles: map[string]int64{"p50": 500, "p95": 600, "p99.9": 600},
			},
			{
				Name: "example.com/p.idle", Kind: "func", Calls: 7,
				Percentiles: map[string]int64{"p50": 0, "p95": 0, "p99.9": 0},
			},
		},
		Channels:   []ChanRow{},
		Goroutines: []GoRow{},
		Mutexes:    []MutexRow{},
	}
}

const ftTableGolden = `[hotpath] timing - Performance summary from demo (Total time: 2.50s)
+---------------------------------+-------+--------+-------+---------+--------+--------+---------+
| Function                        | Calls |    Avg |   P50 |     P95 |  P99.9 |  Total | % Total |
+---------------------------------+-------+--------+-------+---------+--------+--------+---------+
| example.com/p.(*Decoder).Decode |  1200 | 1.16ms | 950ns | 17.09µs | 1.16ms |  1.39s |  55.60% |
| fill @ b.(*T).Run               |     3 |  500ns | 500ns |   600ns |  600ns | 1.50µs |   0.00% |
| example.com/p.idle              |     7 |    0ns |   0ns |     0ns |    0ns |    0ns |   0.00% |
+---------------------------------+-------+--------+-------+---------+--------+--------+---------+
`

func TestReportTableGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := ftReport().Write(&buf, FormatTable); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ftTableGolden, buf.String()); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}

	empty := &Report{Name: "quiet", ElapsedNS: 1500, Percentiles: []float64{50}, SampleEvery: 4}
	buf.Reset()
	if err := empty.Write(&buf, FormatTable); err != nil {
		t.Fatal(err)
	}
	const wantEmpty = `[hotpath] timing - Performance summary from quiet (Total time: 1.50µs) [one call in 4 timed]
+----------+-------+-----+-----+-------+---------+
| Function | Calls | Avg | P50 | Total | % Total |
+----------+-------+-----+-----+-------+---------+
| (no calls recorded)
+----------+-------+-----+-----+-------+---------+
`
	if diff := cmp.Diff(wantEmpty, buf.String()); diff != "" {
		t.Errorf("empty table (-want +got):\n%s", diff)
	}
}

const ftJSONGolden = `{"schema":1,"name":"demo","elapsed_ns":2500000000,"percentile_list":[50,95,99.9],"sample_every":1,"alloc_mode":false,"functions":[` +
	`{"name":"example.com/p.(*Decoder).Decode","kind":"func","calls":1200,"timed":1200,"total_ns":1390000000,"avg_ns":1158333,"min_ns":950,"max_ns":2500000000,"percentiles":{"p50":950,"p95":17090,"p99.9":1160000},"percent_total":55.6,"alloc_bytes":0,"alloc_objects":0,"self_alloc_bytes":0,"self_alloc_objects":0},` +
	`{"name":"fill","kind":"block","parent":"example.com/a/b.(*T).Run","calls":3,"timed":3,"total_ns":1500,"avg_ns":500,"min_ns":400,"max_ns":600,"percentiles":{"p50":500,"p95":600,"p99.9":600},"percent_total":0,"alloc_bytes":0,"alloc_objects":0,"self_alloc_bytes":0,"self_alloc_objects":0},` +
	`{"name":"example.com/p.idle","kind":"func","calls":7,"timed":0,"total_ns":0,"avg_ns":0,"min_ns":0,"max_ns":0,"percentiles":{"p50":0,"p95":0,"p99.9":0},"percent_total":0,"alloc_bytes":0,"alloc_objects":0,"self_alloc_bytes":0,"self_alloc_objects":0}` +
	`],"channels":[],"goroutines":[],"mutexes":[]}
`

func TestReportJSONGolden(t *testing.T) {
	rep := ftReport()
	var buf bytes.Buffer
	if err := rep.Write(&buf, FormatJSON); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ftJSONGolden, buf.String()); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}
	back, err := ReadReport(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rep, back); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}

	buf.Reset()
	if err := rep.Write(&buf, FormatJSONPretty); err != nil {
		t.Fatal(err)
	}
	pretty := buf.String()
	for _, want := range []string{"{\n  \"schema\": 1,\n  \"name\": \"demo\",\n", "\n      \"percentiles\": {\n        \"p50\": 950,\n        \"p95\": 17090,\n        \"p99.9\": 1160000\n      },\n"} {
		if !strings.Contains(pretty, want) {
			t.Errorf("pretty JSON lacks %q:\n%s", want, pretty)
		}
	}
	if back, err := ReadReport(strings.NewReader(pretty)); err != nil || !cmp.Equal(rep, back) {
		t.Errorf("pretty JSON reads back as %+v, %v", back, err)
	}

	buf.Reset()
	if err := rep.Write(&buf, FormatNone); err != nil || buf.Len() != 0 {
		t.Errorf("format none wrote %q, %v", buf.String(), err)
	}
	if err := rep.Write(&buf, "xml"); err == nil {
		t.Errorf("format xml: no error")
	}
}

func TestReadReportSchema(t *testing.T) {
	for _, c := range []struct {
		in, err string
	}{
		{`{"schema":2,"functions":[]}`, "report schema 2 is not supported (want 1..1)"},
		{`{"functions":[]}`, "report schema 0 is not supported (want 1..1)"},
		{`{"schema":`, "decode report: unexpected EOF"},
	} {
		if _, err := ReadReport(strings.NewReader(c.in)); err == nil || err.Error() != c.err {
			t.Errorf("ReadReport(%s): error %v, want %q", c.in, err, c.err)
		}
	}
}

func TestResolveOptionsEnv(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	type got struct {
		Format      Format
		Output      string
		Percentiles []float64
		Limit       int
		Focus       string
		SampleEvery int
		Alloc       bool
	}
	defaults := got{Format: FormatTable, Percentiles: []float64{50, 95, 99}}
	for _, c := range []struct {
		name string
		opts Options
		env  func(string) string
		want got
		err  string // substring of the error; "" for none
	}{
		{name: "defaults", env: env(), want: defaults},
		{
			name: "code",
			opts: Options{Format: FormatJSON, Output: "r.json", Percentiles: []float64{90}, Limit: 3, Focus: "x", SampleEvery: 8, Alloc: true},
			env:  env(),
			want: got{FormatJSON, "r.json", []float64{90}, 3, "x", 8, true},
		},
		{
			name: "env wins",
			opts: Options{Format: FormatJSON, Output: "r.json", Percentiles: []float64{90}, Limit: 3, Focus: "x", SampleEvery: 8},
			env: env("HOTPATH_FORMAT", "json-pretty", "HOTPATH_OUTPUT", "o.json", "HOTPATH_PERCENTILES", " 50, p99.9 ,100",
				"HOTPATH_LIMIT", "0", "HOTPATH_FOCUS", "/^kithara/", "HOTPATH_SAMPLE", "64", "HOTPATH_ALLOC", "true"),
			want: got{FormatJSONPretty, "o.json", []float64{50, 99.9, 100}, 0, "/^kithara/", 64, true},
		},
		{name: "bad format", env: env("HOTPATH_FORMAT", "xml"), want: defaults, err: `HOTPATH_FORMAT="xml": want table, json, json-pretty, pprof or none`},
		{name: "bad format in code", opts: Options{Format: "xml"}, env: env(), want: defaults, err: `Options.Format="xml": want table`},
		{name: "bad percentile", env: env("HOTPATH_PERCENTILES", "50,abc"), want: defaults, err: `HOTPATH_PERCENTILES="50,abc": "abc" is not a number`},
		{name: "every bad percentile", env: env("HOTPATH_PERCENTILES", "50,101,abc"), want: defaults, err: `HOTPATH_PERCENTILES="50,101,abc": 101 is not in (0, 100], "abc" is not a number`},
		{name: "percentile range", env: env("HOTPATH_PERCENTILES", "0,50"), want: defaults, err: `HOTPATH_PERCENTILES="0,50": 0 is not in (0, 100]`},
		{name: "percentile above 100", opts: Options{Percentiles: []float64{100.5}}, env: env(), want: defaults, err: `Options.Percentiles="100.5": 100.5 is not in (0, 100]`},
		{name: "percentiles in code", opts: Options{Percentiles: []float64{50, 101, -1}}, env: env(), want: defaults, err: `Options.Percentiles="50,101,-1": 101 is not in (0, 100], -1 is not in (0, 100]`},
		{name: "bad limit in code", opts: Options{Limit: -2}, env: env(), want: defaults, err: `Options.Limit="-2": want a count >= 0`},
		{name: "bad limit", opts: Options{Limit: 4}, env: env("HOTPATH_LIMIT", "-1"), want: got{Format: FormatTable, Percentiles: defaults.Percentiles, Limit: 4}, err: `HOTPATH_LIMIT="-1": want a count >= 0`},
		{name: "bad sample", env: env("HOTPATH_SAMPLE", "0"), want: defaults, err: `HOTPATH_SAMPLE="0": want N >= 1`},
		{name: "bad alloc", env: env("HOTPATH_ALLOC", "maybe"), want: defaults, err: `HOTPATH_ALLOC="maybe"`},
		{name: "bad regexp", env: env("HOTPATH_FOCUS", "/[/"), want: got{Format: FormatTable, Percentiles: defaults.Percentiles, Focus: "/[/"}, err: `HOTPATH_FOCUS="/[/": error parsing regexp`},
		{
			name: "every error",
			env:  env("HOTPATH_FORMAT", "xml", "HOTPATH_LIMIT", "many"),
			want: defaults,
			err:  `hotpath: bad options: HOTPATH_FORMAT="xml": want table, json, json-pretty, pprof or none; HOTPATH_LIMIT="many": want a count >= 0`,
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := resolveOptions(c.opts, c.env)
			g := got{r.Format, r.Output, r.Percentiles, r.Limit, r.Focus, r.SampleEvery, r.Alloc}
			if diff := cmp.Diff(c.want, g); diff != "" {
				t.Errorf("resolved (-want +got):\n%s", diff)
			}
			switch {
			case c.err == "" && err != nil:
				t.Errorf("error %v", err)
			case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
				t.Errorf("error %v, want one containing %q", err, c.err)
			}
			if r.focus == nil {
				t.Fatal("no focus filter")
			}
			if c.name == "bad regexp" && !r.focus("any row") {
				t.Error("a bad focus must keep every row, as no focus does")
			}
		})
	}
}

// TestGuardEnvironment runs a guard configured by the environment alone:
// it writes the report where HOTPATH_OUTPUT says, in the format
// HOTPATH_FORMAT says, and Stop returns the bad values it met.
func TestGuardEnvironment(t *testing.T) {
	f := ftFunc(t, "env")
	ftClearEnv(t)
	out := filepath.Join(t.TempDir(), "report.json")
	t.Setenv("HOTPATH_OUTPUT", out)
	t.Setenv("HOTPATH_FORMAT", "json")
	t.Setenv("HOTPATH_FOCUS", f.Name)
	t.Setenv("HOTPATH_LIMIT", "lots")
	g := Start(Options{Name: "env", Format: FormatTable})
	ftRecord(f, 123)
	err := g.Stop()
	if err == nil || !strings.Contains(err.Error(), `HOTPATH_LIMIT="lots"`) {
		t.Errorf("Stop: %v, want the bad limit", err)
	}
	rep, rerr := ReadReportFile(out)
	if rerr != nil {
		t.Fatal(rerr)
	}
	if len(rep.Functions) != 1 || rep.Functions[0].Name != f.Name || rep.Functions[0].TotalNS != 123 || rep.Name != "env" {
		t.Errorf("report in %s: %+v", out, rep)
	}

	t.Setenv("HOTPATH_OUTPUT", filepath.Join(t.TempDir(), "missing", "dir", "r.json"))
	t.Setenv("HOTPATH_LIMIT", "")
	g = Start(Options{})
	if err := g.Stop(); err == nil || !strings.Contains(err.Error(), "hotpath: write report") {
		t.Errorf("Stop with an unwritable output: %v", err)
	}
	if g.Report() == nil {
		t.Errorf("no report value when writing failed")
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("first report gone: %v", err)
	}
}

package compare

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	hotpath "github.com/hotpath-go/hotpath/runtime"
)

const pkg = "example.com/app/worker."

// fn is a function row whose every call took avg ns; its percentiles are
// fixed multiples of avg so that a test can tell them apart.
func fn(name string, calls uint64, avg int64) hotpath.FuncRow {
	return hotpath.FuncRow{
		Name:        pkg + name,
		Kind:        "func",
		Calls:       calls,
		Timed:       calls,
		TotalNS:     int64(calls) * avg,
		AvgNS:       avg,
		MinNS:       avg / 2,
		MaxNS:       avg * 4,
		Percentiles: map[string]int64{"p50": avg, "p95": 2 * avg, "p99": 3 * avg},
	}
}

func withAlloc(r hotpath.FuncRow, bytesPerCall, objectsPerCall int64) hotpath.FuncRow {
	r.AllocBytes = bytesPerCall * int64(r.Calls)
	r.AllocObjects = objectsPerCall * int64(r.Calls)
	return r
}

func report(name string, rows ...hotpath.FuncRow) *hotpath.Report {
	return &hotpath.Report{
		Schema:      hotpath.SchemaVersion,
		Name:        name,
		ElapsedNS:   1e9,
		Percentiles: []float64{50, 95, 99},
		SampleEvery: 1,
		Functions:   rows,
		Channels:    []hotpath.ChanRow{},
	}
}

// runs makes one report per avg, each with function F called 100 times.
func runs(name string, avgs ...int64) []*hotpath.Report {
	var reps []*hotpath.Report
	for _, a := range avgs {
		reps = append(reps, report(name, fn("F", 100, a)))
	}
	return reps
}

func onlyFunc(t *testing.T, res *Result) FuncDelta {
	t.Helper()
	if len(res.Groups) != 1 || len(res.Groups[0].Functions) != 1 {
		t.Fatalf("want one group with one function, got %+v", res.Groups)
	}
	return res.Groups[0].Functions[0]
}

func TestSingleRunUsesThresholdOnly(t *testing.T) {
	tests := []struct {
		name      string
		base, hd  int64
		verdict   Verdict
		change    float64
		threshold float64
	}{
		{"regression", 1000, 1200, Regression, 0.2, 0},
		{"within threshold", 1000, 1090, Unchanged, 0.09, 0},
		{"exactly at threshold", 1000, 1100, Unchanged, 0.1, 0},
		{"improvement", 1000, 800, Improvement, -0.2, 0},
		{"custom threshold", 1000, 1200, Unchanged, 0.2, 0.25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Compare(runs("T", tt.base), runs("T", tt.hd), Options{Threshold: tt.threshold})
			d := onlyFunc(t, res)
			if d.Verdict != tt.verdict || math.Abs(d.Change-tt.change) > 1e-12 || d.Test != nil {
				t.Errorf("got verdict %s, change %v, test %v; want %s, %v, no test", d.Verdict, d.Change, d.Test, tt.verdict, tt.change)
			}
			if res.Groups[0].Tested {
				t.Error("a single run a side must not count as tested")
			}
			if tt.verdict == Regression && (res.Summary.Regressions != 1 || !cmp.Equal(d.Reasons, []string{"avg"})) {
				t.Errorf("summary %+v, reasons %v", res.Summary, d.Reasons)
			}
		})
	}
}

func TestSeveralRunsUseRankTest(t *testing.T) {
	tests := []struct {
		name       string
		base, head []int64
		verdict    Verdict
		p          float64
	}{
		{
			name:    "clear regression",
			base:    []int64{1000, 1010, 990, 1005, 995},
			head:    []int64{1200, 1190, 1210, 1205, 1195},
			verdict: Regression,
			p:       2.0 / 252,
		},
		{
			name:    "clear improvement",
			base:    []int64{1000, 1010, 990, 1005, 995},
			head:    []int64{800, 810, 790, 805, 795},
			verdict: Improvement,
			p:       2.0 / 252,
		},
		{
			// Medians 1000 and 1150 (+15%), but the runs overlap: noise.
			name:    "past threshold within noise",
			base:    []int64{1000, 1300, 900, 1250, 950},
			head:    []int64{1150, 1000, 1300, 950, 1200},
			verdict: Unchanged,
			p:       MannWhitney([]float64{1000, 1300, 900, 1250, 950}, []float64{1150, 1000, 1300, 950, 1200}).P,
		},
		{
			// Every head run slower, but by 2%: significant, not material.
			name:    "significant below threshold",
			base:    []int64{1000, 1001, 1002, 1003, 1004},
			head:    []int64{1020, 1021, 1022, 1023, 1024},
			verdict: Unchanged,
			p:       2.0 / 252,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Compare(runs("T", tt.base...), runs("T", tt.head...), Options{})
			d := onlyFunc(t, res)
			if d.Verdict != tt.verdict || d.Test == nil || math.Abs(d.Test.P-tt.p) > 1e-12 {
				t.Fatalf("got verdict %s, test %+v; want %s with p %v", d.Verdict, d.Test, tt.verdict, tt.p)
			}
			g := res.Groups[0]
			if !g.Tested || g.BaseRuns != 5 || g.HeadRuns != 5 || len(res.Warnings) != 0 {
				t.Errorf("group %+v, warnings %q", g, res.Warnings)
			}
			if len(d.Base.Values) != 5 || len(d.Head.Values) != 5 {
				t.Errorf("values %v / %v, want the 5 runs", d.Base.Values, d.Head.Values)
			}
		})
	}
}

func TestTooFewRunsToReachAlpha(t *testing.T) {
	res := Compare(runs("T", 1000, 1001, 1002), runs("T", 2000, 2001, 2002), Options{})
	d := onlyFunc(t, res)
	if d.Verdict != Unchanged || d.Test == nil || d.Test.P != 0.1 {
		t.Errorf("3 runs a side: verdict %s, test %+v; want unchanged with p 0.1", d.Verdict, d.Test)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "no p-value can go below 0.1") {
		t.Errorf("warnings %q, want one about the p-value floor", res.Warnings)
	}
	// With alpha raised above the floor the same runs are a regression.
	res = Compare(runs("T", 1000, 1001, 1002), runs("T", 2000, 2001, 2002), Options{Alpha: 0.2})
	if d := onlyFunc(t, res); d.Verdict != Regression || len(res.Warnings) != 0 {
		t.Errorf("alpha 0.2: verdict %s, warnings %q", d.Verdict, res.Warnings)
	}
}

func TestMetrics(t *testing.T) {
	// Avg and p50 stay, p95 doubles, total follows the call count.
	base := report("T", fn("F", 100, 1000))
	headRow := fn("F", 150, 1000)
	headRow.Percentiles["p95"] = 4000
	head := report("T", headRow)
	tests := []struct {
		metric  Metric
		verdict Verdict
		change  float64
	}{
		{MetricAvg, Unchanged, 0},
		{"p50", Unchanged, 0},
		{"p95", Regression, 1},
		{MetricTotal, Regression, 0.5},
	}
	for _, tt := range tests {
		t.Run(string(tt.metric), func(t *testing.T) {
			res := Compare([]*hotpath.Report{base}, []*hotpath.Report{head}, Options{Metric: tt.metric})
			d := onlyFunc(t, res)
			if d.Verdict != tt.verdict || d.Change != tt.change || !d.CallsChanged {
				t.Errorf("verdict %s, change %v, calls changed %v; want %s, %v, true", d.Verdict, d.Change, d.CallsChanged, tt.verdict, tt.change)
			}
			if d.Base.Calls != 100 || d.Head.Calls != 150 {
				t.Errorf("calls %v -> %v", d.Base.Calls, d.Head.Calls)
			}
		})
	}
	// The percentile column follows a percentile metric, p95 otherwise.
	if got := Compare(nil, nil, Options{Metric: "p99"}).Percentile; got != "p99" {
		t.Errorf("percentile column for p99 = %q", got)
	}
	if got := Compare(nil, nil, Options{}).Percentile; got != "p95" {
		t.Errorf("percentile column for avg = %q", got)
	}
}

func TestMissingPercentile(t *testing.T) {
	res := Compare(runs("T", 1000), runs("T", 5000), Options{Metric: "p90"})
	d := onlyFunc(t, res)
	if d.Verdict != Unchanged || d.Base.PercentileNS != nil || !cmp.Equal(d.Notes, []string{"p90 missing from the base or the head reports"}) {
		t.Errorf("verdict %s, percentile %v, notes %q", d.Verdict, d.Base.PercentileNS, d.Notes)
	}
	want := []string{"T: a report has no p90 (it has p50, p95, p99); pick a percentile the guards report"}
	if !cmp.Equal(res.Warnings, want) {
		t.Errorf("warnings %q, want %q", res.Warnings, want)
	}
}

func TestUntimedRunsCarryNoMetric(t *testing.T) {
	// Sampling: the second base run counted calls but timed none.
	base := runs("T", 1000, 1000, 1000, 1000, 1000)
	base[1].Functions[0].Timed, base[1].Functions[0].AvgNS = 0, 0
	head := runs("T", 1000, 1000, 1000, 1000, 1000)
	d := onlyFunc(t, Compare(base, head, Options{}))
	if len(d.Base.Values) != 4 || d.Base.Runs != 5 {
		t.Errorf("base values %v over %d runs, want 4 values over 5 runs", d.Base.Values, d.Base.Runs)
	}
}

func TestNewRemovedAndPartialRows(t *testing.T) {
	base := []*hotpath.Report{
		report("T", fn("Kept", 10, 100), fn("Gone", 5, 100)),
		report("T", fn("Kept", 10, 100), fn("Gone", 5, 100)),
	}
	head := []*hotpath.Report{
		report("T", fn("Kept", 10, 100), fn("Added", 7, 100)),
		report("T", fn("Kept", 10, 100)),
	}
	res := Compare(base, head, Options{})
	got := map[string]FuncDelta{}
	for _, d := range res.Groups[0].Functions {
		got[strings.TrimPrefix(d.Name, pkg)] = d
	}
	if d := got["Gone"]; d.Verdict != Removed || d.Head != nil || d.Base.Runs != 2 {
		t.Errorf("Gone: %+v", d)
	}
	if d := got["Added"]; d.Verdict != New || d.Base != nil || d.Head.Runs != 1 || d.Head.Calls != 7 {
		t.Errorf("Added: %+v", d)
	}
	if d := got["Kept"]; d.Verdict != Unchanged || d.CallsChanged {
		t.Errorf("Kept: %+v", d)
	}
	want := Summary{New: 1, Removed: 1}
	if res.Summary != want {
		t.Errorf("summary %+v, want %+v", res.Summary, want)
	}
	if s := res.Summary.String(); s != "0 regressions, 0 improvements, 1 new, 1 removed" {
		t.Errorf("summary line %q", s)
	}

	// A row that ran in only one of several head runs cannot be tested.
	base = runs("T", 100, 100, 100)
	head = runs("T", 100, 100, 100)
	head[0].Functions = append(head[0].Functions, fn("Rare", 1, 100))
	base[0].Functions = append(base[0].Functions, fn("Rare", 1, 10))
	base[1].Functions = append(base[1].Functions, fn("Rare", 1, 10))
	for _, d := range Compare(base, head, Options{Alpha: 0.2}).Groups[0].Functions {
		if d.Name != pkg+"Rare" {
			continue
		}
		want := []string{"ran in 2 of 3 base runs", "ran in 1 of 3 head runs", "too few runs with timed calls to test"}
		if d.Verdict != Unchanged || !cmp.Equal(d.Notes, want) {
			t.Errorf("Rare: verdict %s, notes %q", d.Verdict, d.Notes)
		}
	}
}

func TestBlocksAndFunctionsKeyedApart(t *testing.T) {
	blk := fn("F", 10, 100)
	blk.Name, blk.Kind, blk.Parent = "F", "block", pkg+"F"
	res := Compare([]*hotpath.Report{report("T", fn("F", 10, 100))}, []*hotpath.Report{report("T", blk)}, Options{})
	var verdicts []string
	for _, d := range res.Groups[0].Functions {
		verdicts = append(verdicts, d.Kind+" "+string(d.Verdict))
	}
	if want := []string{"block new", "func removed"}; !cmp.Equal(verdicts, want) {
		t.Errorf("verdicts %q, want %q", verdicts, want)
	}
}

func TestAllocations(t *testing.T) {
	tests := []struct {
		name        string
		base, head  int64 // bytes per call
		verdict     Verdict
		allocChange float64
	}{
		{"doubles", 64, 128, Regression, 1},
		{"halves", 128, 64, Improvement, -0.5},
		{"within threshold", 640, 700, Unchanged, 60.0 / 640},
		{"past threshold under the floor", 10, 16, Unchanged, 0.6},
		{"from zero", 0, 16, Regression, 0},
		{"to zero", 16, 0, Improvement, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := report("T", withAlloc(fn("F", 100, 1000), tt.base, 1))
			h := report("T", withAlloc(fn("F", 100, 1000), tt.head, 2))
			b.Alloc, h.Alloc = true, true
			res := Compare([]*hotpath.Report{b}, []*hotpath.Report{h}, Options{})
			d := onlyFunc(t, res)
			if d.Verdict != tt.verdict || math.Abs(d.AllocChange-tt.allocChange) > 1e-12 {
				t.Errorf("verdict %s, alloc change %v; want %s, %v", d.Verdict, d.AllocChange, tt.verdict, tt.allocChange)
			}
			if tt.verdict != Unchanged && !cmp.Equal(d.Reasons, []string{"alloc"}) {
				t.Errorf("reasons %q, want alloc", d.Reasons)
			}
			if *d.Base.AllocBytesPerCall != float64(tt.base) || *d.Head.AllocObjectsPerCall != 2 {
				t.Errorf("per call: %v B, %v objects", *d.Base.AllocBytesPerCall, *d.Head.AllocObjectsPerCall)
			}
		})
	}

	t.Run("timing and alloc", func(t *testing.T) {
		b := report("T", withAlloc(fn("F", 100, 1000), 64, 1))
		h := report("T", withAlloc(fn("F", 100, 2000), 128, 1))
		b.Alloc, h.Alloc = true, true
		d := onlyFunc(t, Compare([]*hotpath.Report{b}, []*hotpath.Report{h}, Options{}))
		if d.Verdict != Regression || !cmp.Equal(d.Reasons, []string{"avg", "alloc"}) {
			t.Errorf("verdict %s, reasons %q", d.Verdict, d.Reasons)
		}
	})

	t.Run("one side only", func(t *testing.T) {
		b := report("T", fn("F", 100, 1000))
		h := report("T", withAlloc(fn("F", 100, 1000), 4096, 1))
		h.Alloc = true
		res := Compare([]*hotpath.Report{b}, []*hotpath.Report{h}, Options{})
		d := onlyFunc(t, res)
		if d.Verdict != Unchanged || res.Groups[0].Alloc || d.Head.AllocBytesPerCall != nil {
			t.Errorf("verdict %s, group alloc %v, head alloc %v", d.Verdict, res.Groups[0].Alloc, d.Head.AllocBytesPerCall)
		}
		if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "allocations are not compared") {
			t.Errorf("warnings %q", res.Warnings)
		}
	})
}

func chanRow(label string, sent uint64, blockedNS int64) hotpath.ChanRow {
	return hotpath.ChanRow{
		Label:       label,
		Type:        "chan int",
		Capacity:    4,
		Sent:        sent,
		Received:    sent,
		SendBlocked: hotpath.BlockedStats{Count: uint64(blockedNS / 1000), TotalNS: blockedNS},
		RecvBlocked: hotpath.BlockedStats{Count: 1, TotalNS: 0},
		MsgsPerSec:  float64(sent),
	}
}

func TestChannels(t *testing.T) {
	mk := func(rows ...hotpath.ChanRow) *hotpath.Report {
		r := report("T")
		r.Channels = rows
		return r
	}
	var base, head []*hotpath.Report
	for i := range 5 {
		base = append(base, mk(chanRow("data", 100, 10000+int64(i)), chanRow("cmds", 10, 500+int64(i)), chanRow("old", 1, 0)))
		head = append(head, mk(chanRow("data", 100, 50000+int64(i)), chanRow("cmds", 12, 505-int64(i)), chanRow("fresh", 1, 0)))
	}
	res := Compare(base, head, Options{})
	got := map[string]ChanDelta{}
	for _, d := range res.Groups[0].Channels {
		got[d.Label] = d
	}
	if d := got["data"]; d.Verdict != Changed || math.Abs(d.BlockedChange-(50002.0/10002-1)) > 1e-12 || d.Test == nil || math.Abs(d.Test.P-2.0/252) > 1e-15 {
		t.Errorf("data: verdict %s, change %v, test %+v", d.Verdict, d.BlockedChange, d.Test)
	}
	if d := got["data"]; d.Base.BlockedNS != 10002 || d.Head.BlockedNS != 50002 || d.Base.SendBlocked != 10 || d.Head.Sent != 100 {
		t.Errorf("data stats: base %+v head %+v", d.Base, d.Head)
	}
	if d := got["cmds"]; d.Verdict != Unchanged || d.Head.Sent != 12 {
		t.Errorf("cmds: %+v", d)
	}
	if got["old"].Verdict != Removed || got["fresh"].Verdict != New {
		t.Errorf("old %s, fresh %s", got["old"].Verdict, got["fresh"].Verdict)
	}
	want := Summary{New: 1, Removed: 1, ChannelsChanged: 1}
	if res.Summary != want {
		t.Errorf("summary %+v, want %+v", res.Summary, want)
	}
	if s := res.Summary.String(); s != "0 regressions, 0 improvements, 1 new, 1 removed; 1 channel changed" {
		t.Errorf("summary line %q", s)
	}
	// Blocking where there was none is a change too.
	res = Compare([]*hotpath.Report{mk(chanRow("c", 1, 0))}, []*hotpath.Report{mk(chanRow("c", 1, 7000))}, Options{})
	if d := res.Groups[0].Channels[0]; d.Verdict != Changed || d.BlockedChange != 0 {
		t.Errorf("from zero: %+v", d)
	}
}

// mutexRow is a sync.Mutex row locked locks times, contended times with
// waitNS of waiting in all, each lock held 100ns.
func mutexRow(label string, locks, contended uint64, waitNS int64) hotpath.MutexRow {
	return hotpath.MutexRow{
		Label: label,
		Type:  "sync.Mutex",
		Lock:  mutexStats(locks, contended, waitNS, int64(locks)*100),
		Site:  "example.com/app/worker/worker.go:10",
	}
}

// rwMutexRow is a sync.RWMutex row: mutexRow's write locks, and rlocks
// read locks that waited rwaitNS in all, read-held 10µs in all.
func rwMutexRow(label string, locks, contended uint64, waitNS int64, rlocks uint64, rwaitNS int64) hotpath.MutexRow {
	r := mutexRow(label, locks, contended, waitNS)
	r.Type = "sync.RWMutex"
	rs := mutexStats(rlocks, 1, rwaitNS, 10000)
	r.RLock = &rs
	return r
}

func mutexStats(acq, contended uint64, waitNS, holdNS int64) hotpath.MutexStats {
	return hotpath.MutexStats{
		Acquisitions: acq,
		Contended:    contended,
		Wait:         hotpath.BlockedStats{Count: contended, TotalNS: waitNS},
		Hold:         hotpath.BlockedStats{Count: acq, TotalNS: holdNS},
	}
}

// goRow is a go statement whose started goroutines all ended, panicked
// of them by a panic, each after avgNS.
func goRow(label string, started, panicked uint64, avgNS int64) hotpath.GoRow {
	return hotpath.GoRow{
		Label:           label,
		Func:            pkg + "F",
		Started:         started,
		Finished:        started - panicked,
		Panicked:        panicked,
		PeakAlive:       int64(min(started, 4)),
		LifetimeTotalNS: int64(started) * avgNS,
		LifetimeAvgNS:   avgNS,
		LifetimeMinNS:   avgNS,
		LifetimeMaxNS:   avgNS,
		Site:            "example.com/app/worker/worker.go:20",
	}
}

// workerGoRow is a go statement whose one goroutine outlives the report.
func workerGoRow(label string) hotpath.GoRow {
	return hotpath.GoRow{Label: label, Func: pkg + "Start", Started: 1, Alive: 1, PeakAlive: 1, Site: "example.com/app/worker/worker.go:30"}
}

func TestGroupsByName(t *testing.T) {
	base := []*hotpath.Report{report("A", fn("F", 1, 10)), report("B", fn("G", 1, 10)), report("A", fn("F", 1, 10))}
	head := []*hotpath.Report{report("C", fn("H", 1, 10)), report("A", fn("F", 1, 10))}
	res := Compare(base, head, Options{})
	type g struct {
		name       string
		base, head int
		verdicts   string
	}
	var got []g
	for _, grp := range res.Groups {
		var vs []string
		for _, f := range grp.Functions {
			vs = append(vs, string(f.Verdict))
		}
		got = append(got, g{grp.Name, grp.BaseRuns, grp.HeadRuns, strings.Join(vs, ",")})
	}
	want := []g{{"A", 2, 1, "unchanged"}, {"B", 1, 0, "removed"}, {"C", 0, 1, "new"}}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(g{})); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}

	// One name a side: compared whatever the names.
	res = Compare([]*hotpath.Report{report("old", fn("F", 1, 10))}, []*hotpath.Report{report("new", fn("F", 1, 10))}, Options{})
	if len(res.Groups) != 1 || res.Groups[0].Name != "new" || res.Groups[0].BaseName != "old" || res.Groups[0].Functions[0].Verdict != Unchanged {
		t.Errorf("single reports: %+v", res.Groups)
	}
}

func TestOrdering(t *testing.T) {
	base := report("T", fn("Same", 1, 1000), fn("Slow1", 1, 1000), fn("Slow2", 1, 1000), fn("Fast", 1, 1000), fn("Gone", 1, 1000))
	head := report("T", fn("Same", 1, 1000), fn("Slow1", 1, 1200), fn("Slow2", 1, 3000), fn("Fast", 1, 500), fn("Added", 1, 1))
	var names []string
	for _, d := range Compare([]*hotpath.Report{base}, []*hotpath.Report{head}, Options{}).Groups[0].Functions {
		names = append(names, strings.TrimPrefix(d.Name, pkg))
	}
	want := []string{"Slow2", "Slow1", "Fast", "Added", "Gone", "Same"}
	if !cmp.Equal(names, want) {
		t.Errorf("order %q, want %q", names, want)
	}
}

func TestParseMetric(t *testing.T) {
	for in, want := range map[string]Metric{"avg": MetricAvg, "TOTAL": MetricTotal, "p95": "p95", "P99.90": "p99.9", " p50 ": "p50", "p100": "p100"} {
		if got, err := ParseMetric(in); err != nil || got != want {
			t.Errorf("ParseMetric(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "mean", "p0", "p101", "pxx", "95"} {
		if got, err := ParseMetric(in); err == nil {
			t.Errorf("ParseMetric(%q) = %q, want an error", in, got)
		}
	}
}

func TestOptionDefaults(t *testing.T) {
	res := Compare(nil, nil, Options{Threshold: -1, Alpha: 2})
	if res.Metric != MetricAvg || res.Threshold != 0.10 || res.Alpha != 0.05 || len(res.Groups) != 0 {
		t.Errorf("defaults: %+v", res)
	}
}

package hotpath

import (
	"bytes"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/google/go-cmp/cmp"
	"github.com/hotpath-go/hotpath/runtime/internal/core"
	"go.uber.org/goleak"
)

// goWatched starts f as hotpathgen's rewrite of "go f()" does (see
// hotpathimpl.GoFunc0R0).
func goWatched(s *core.GoSite, f func()) {
	at := core.Nanotime()
	go func() {
		ok := false
		defer core.GoBegin(s, at).End(&ok)
		f()
		ok = true
	}()
}

// newGoSite returns a site of its own for one run of one test.
func newGoSite(t testing.TB) *core.GoSite {
	n := siteSeq.Add(1)
	return &core.GoSite{
		Label: fmt.Sprintf("%s#%d", t.Name(), n),
		Func:  "example.com/p.F",
		Site:  fmt.Sprintf("example.com/p/go_test.go:%d", n),
	}
}

// waitEnded waits until none of the site's goroutines is alive.
func waitEnded(t *testing.T, s *core.GoSite) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for s.State() == nil || s.State().Snapshot().Alive() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines of %s still alive", s.Label)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestGoReport checks the goroutines section of a report: rows, JSON and
// table, on synctest's fake clock so that lifetimes are exact.
func TestGoReport(t *testing.T) {
	if core.TSCOn() {
		t.Skip("the TSC clock (HOTPATH_CLOCK=tsc, -tags hotpath_tsc) does not follow synctest's fake clock")
	}
	for _, env := range []string{"HOTPATH_FOCUS", "HOTPATH_LIMIT", "HOTPATH_PERCENTILES", "HOTPATH_FORMAT", "HOTPATH_OUTPUT"} {
		t.Setenv(env, "")
	}
	// Sites stay registered across -count runs, but a row needs activity
	// in the guard's window, so fixed labels do not mix runs.
	const prefix = "pool."
	workers := &core.GoSite{Label: prefix + "worker", Func: "example.com/p.(*Pool).Start", Site: "example.com/p/pool.go:20"}
	driver := &core.GoSite{Label: prefix + "driver", Func: "example.com/p.Run", Site: "example.com/p/pool.go:40"}
	idle := &core.GoSite{Label: prefix + "idle", Func: "example.com/p.Run", Site: "example.com/p/pool.go:41"}
	var rep *Report
	synctest.Test(t, func(t *testing.T) {
		goWatched(idle, func() {}) // before the guard: not in its window
		synctest.Wait()
		g := Start(Options{Name: "pool", Format: FormatNone, Focus: prefix, Percentiles: []float64{50, 99}})
		// Workers live 1s, 2s, 3s and 4s; the 4s one ends by Goexit.
		for i := 1; i <= 4; i++ {
			goWatched(workers, func() {
				time.Sleep(time.Duration(i) * time.Second)
				if i == 4 {
					runtime.Goexit()
				}
			})
		}
		// The driver runs until the guard stops.
		stop := make(chan struct{})
		goWatched(driver, func() { <-stop })
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if err := g.Stop(); err != nil {
			t.Fatal(err)
		}
		rep = g.Report()
		close(stop)
		synctest.Wait()
	})
	h := hdr.New(1, 3600e9, 3) // the bounds of the runtime's histograms
	_ = h.RecordValue(2e9)
	p50 := h.ValueAtQuantile(100)
	want := []GoRow{
		{
			Label: prefix + "driver", Func: "example.com/p.Run", Started: 1, Alive: 1, PeakAlive: 1,
			LifetimePercentiles: map[string]int64{"p50": 0, "p99": 0},
			Site:                "example.com/p/pool.go:40",
		},
		{
			Label: prefix + "worker", Func: "example.com/p.(*Pool).Start",
			Started: 4, Finished: 4, Goexit: 1, PeakAlive: 4,
			LifetimeTotalNS: 10e9, LifetimeAvgNS: 2.5e9, LifetimeMinNS: 1e9, LifetimeMaxNS: 4e9,
			LifetimePercentiles: map[string]int64{"p50": p50, "p99": 4e9},
			Site:                "example.com/p/pool.go:20",
		},
	}
	if diff := cmp.Diff(want, rep.Goroutines); diff != "" {
		t.Errorf("goroutine rows (-want +got):\n%s", diff)
	}
	if rep.Goroutine(prefix+"worker") != &rep.Goroutines[1] || rep.Goroutine("nope") != nil {
		t.Errorf("Report.Goroutine does not find rows by label")
	}

	// JSON keeps raw numbers under the documented names.
	var buf bytes.Buffer
	if err := rep.Write(&buf, FormatJSON); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Goroutines []map[string]any `json:"goroutines"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range doc.Goroutines[1] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	wantKeys := []string{"alive", "finished", "func", "goexit", "label", "lifetime_avg_ns", "lifetime_max_ns",
		"lifetime_min_ns", "lifetime_percentiles", "lifetime_total_ns", "panicked", "peak_alive", "site", "started"}
	if diff := cmp.Diff(wantKeys, keys); diff != "" {
		t.Errorf("JSON keys of a goroutine row (-want +got):\n%s", diff)
	}
	if w := doc.Goroutines[1]; w["started"] != 4.0 || w["lifetime_total_ns"] != 10e9 || w["lifetime_percentiles"].(map[string]any)["p99"] != 4e9 {
		t.Errorf("worker row in JSON: %v", w)
	}
	back, err := ReadReport(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rep.Goroutines, back.Goroutines); diff != "" {
		t.Errorf("JSON round trip (-before +after):\n%s", diff)
	}

	// The table section.
	buf.Reset()
	if err := rep.Write(&buf, FormatTable); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	i := strings.Index(out, "[hotpath] goroutines")
	if i < 0 {
		t.Fatalf("no goroutines section in:\n%s", out)
	}
	wantTable := `[hotpath] goroutines - Goroutine summary from pool (Total time: 5.00s)
+-------------+---------+----------+----------+-------+------+----------+-------+-------+----------+
| Goroutine   | Started | Finished | Panicked | Alive | Peak | Avg life |   P50 |   P99 | Max life |
+-------------+---------+----------+----------+-------+------+----------+-------+-------+----------+
| pool.driver |       1 |        0 |        0 |     1 |    1 |      0ns |   0ns |   0ns |      0ns |
| pool.worker |       4 |        4 |        0 |     0 |    4 |    2.50s | 2.00s | 4.00s |    4.00s |
+-------------+---------+----------+----------+-------+------+----------+-------+-------+----------+
`
	if diff := cmp.Diff(wantTable, out[i:]); diff != "" {
		t.Errorf("goroutines table (-want +got):\n%s", diff)
	}

	// Focus and limit apply to goroutine rows as to functions.
	opts, err := resolveOptions(Options{Focus: prefix, Limit: 1}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	rows := buildGoroutines(opts, nil)
	if len(rows) != 1 || rows[0].Label != prefix+"driver" {
		t.Errorf("limit 1: rows %v", rows)
	}
	// Without goroutine rows the JSON has an empty goroutines list, as it
	// has for functions, channels and mutexes.
	none, err := resolveOptions(Options{Focus: "no such goroutine label"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if err := (&Report{Schema: SchemaVersion, Functions: []FuncRow{}, Channels: []ChanRow{}, Goroutines: buildGoroutines(none, nil)}).Write(&buf, FormatJSON); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"goroutines":[]`) {
		t.Errorf("a report without goroutine rows has no empty goroutines list: %s", buf.String())
	}
}

// TestGoSnapshotReport checks goroutine rows of reports made from
// snapshots, as the live view and the exporters make them.
func TestGoSnapshotReport(t *testing.T) {
	defer goleak.VerifyNone(t)
	s := newGoSite(t)
	goWatched(s, func() {})
	waitEnded(t, s)
	a := TakeSnapshot()
	gate := make(chan struct{})
	var running sync.WaitGroup
	running.Add(3)
	for range 3 {
		goWatched(s, func() { running.Done(); <-gate })
	}
	running.Wait()
	b := TakeSnapshot()
	close(gate)
	waitEnded(t, s)
	c := TakeSnapshot()
	opts := Options{Focus: s.Label, Percentiles: []float64{50}}
	row := func(rep *Report) GoRow {
		t.Helper()
		if len(rep.Goroutines) != 1 {
			t.Fatalf("rows %+v, want one", rep.Goroutines)
		}
		r := rep.Goroutines[0]
		r.LifetimeTotalNS, r.LifetimeAvgNS, r.LifetimeMinNS, r.LifetimeMaxNS, r.LifetimePercentiles = 0, 0, 0, 0, nil
		return r
	}
	base := GoRow{Label: s.Label, Func: s.Func, Site: s.Site}
	for _, tc := range []struct {
		name     string
		cur, old *Snapshot
		want     GoRow
	}{
		{"a since start", a, nil, GoRow{Started: 1, Finished: 1, PeakAlive: 1}},
		{"b since a", b, a, GoRow{Started: 3, Alive: 3, PeakAlive: 3}},
		{"c since b", c, b, GoRow{Finished: 3, PeakAlive: 3}},
		{"c since start", c, nil, GoRow{Started: 4, Finished: 4, PeakAlive: 3}},
	} {
		want := tc.want
		want.Label, want.Func, want.Site = base.Label, base.Func, base.Site
		if diff := cmp.Diff(want, row(tc.cur.Report(tc.old, opts))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
	if rows := c.Report(c, opts).Goroutines; len(rows) != 0 {
		t.Errorf("an empty window has rows: %+v", rows)
	}
}

// TestGoLifetimeBounds checks that a window's lifetimes agree with its
// exact total when the site was in use before the window, where min and
// max come from histogram buckets.
func TestGoLifetimeBounds(t *testing.T) {
	if core.TSCOn() {
		t.Skip("the TSC clock does not follow synctest's fake clock")
	}
	s := newGoSite(t)
	synctest.Test(t, func(t *testing.T) {
		goWatched(s, func() { time.Sleep(time.Second) })
		time.Sleep(2 * time.Second)
		base := TakeSnapshot()
		goWatched(s, func() { time.Sleep(1234567 * time.Microsecond) })
		time.Sleep(2 * time.Second)
		rows := TakeSnapshot().Report(base, Options{Focus: s.Label}).Goroutines
		if len(rows) != 1 {
			t.Fatalf("rows %+v", rows)
		}
		r := rows[0]
		const d = 1234567000
		if r.LifetimeTotalNS != d || r.LifetimeMinNS != d || r.LifetimeMaxNS != d {
			t.Errorf("one lifetime of %d ns: total %d, min %d, max %d", int64(d), r.LifetimeTotalNS, r.LifetimeMinNS, r.LifetimeMaxNS)
		}
	})
}

package hotpath

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

// goWatched starts f as hotpathgen's rewrite of "go f()" does: take the
// go statement's time in the calling goroutine, then run f in a wrapper
// that begins the span and defers End with a flag set after f returns.
func goWatched(s *GoSite, f func()) {
	at := Nanotime()
	go func() {
		ok := false
		defer GoBegin(s, at).End(&ok)
		f()
		ok = true
	}()
}

// newGoSite returns a site of its own for one run of one test.
func newGoSite(t testing.TB) *GoSite {
	n := siteSeq.Add(1)
	return &GoSite{
		Label: fmt.Sprintf("%s#%d", t.Name(), n),
		Func:  "example.com/p.F",
		Site:  fmt.Sprintf("example.com/p/go_test.go:%d", n),
	}
}

// goSiteCounts is what a site counted since it was created.
type goSiteCounts struct {
	Started, Finished, Goexit, Panicked uint64
	Alive, Peak                         int64
	Lifetimes                           uint64
}

func goCountsOf(s *GoSite) goSiteCounts {
	st := s.state.Load()
	if st == nil {
		return goSiteCounts{}
	}
	c := st.snapshot()
	return goSiteCounts{
		Started: c.started, Finished: c.finished(), Goexit: c.goexited, Panicked: c.panicked,
		Alive: c.alive, Peak: c.peak, Lifetimes: c.life.count,
	}
}

// waitEnded waits until none of the site's goroutines is alive: a
// goroutine ends after its function's own signals (a WaitGroup's Done),
// so tests wait for End itself.
func waitEnded(t *testing.T, s *GoSite) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for s.state.Load() == nil || s.state.Load().alive.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines of %s still alive: %+v", s.Label, goCountsOf(s))
		}
		time.Sleep(time.Millisecond)
	}
}

// TestGoExactCounts starts many goroutines from many goroutines and checks
// every count exactly; under -race it also checks that the recording has
// no data race.
func TestGoExactCounts(t *testing.T) {
	defer goleak.VerifyNone(t)
	s := newGoSite(t)
	const parents, each = 16, 200
	const n = parents * each
	gate := make(chan struct{})
	var running sync.WaitGroup
	running.Add(n)
	var parentsWG sync.WaitGroup
	for range parents {
		parentsWG.Add(1)
		go func() {
			defer parentsWG.Done()
			for range each {
				goWatched(s, func() {
					running.Done()
					<-gate
				})
			}
		}()
	}
	parentsWG.Wait()
	running.Wait()
	// Every goroutine has started and none can end: alive and peak are
	// exact.
	if got, want := goCountsOf(s), (goSiteCounts{Started: n, Alive: n, Peak: n}); got != want {
		t.Errorf("all blocked: counts %+v, want %+v", got, want)
	}
	close(gate)
	waitEnded(t, s)
	if got, want := goCountsOf(s), (goSiteCounts{Started: n, Finished: n, Peak: n, Lifetimes: n}); got != want {
		t.Errorf("all ended: counts %+v, want %+v", got, want)
	}
}

// TestGoPeak checks that the peak is the largest number alive at once,
// and stays when fewer are alive later.
func TestGoPeak(t *testing.T) {
	defer goleak.VerifyNone(t)
	s := newGoSite(t)
	startBlocked := func(k int) chan struct{} {
		gate := make(chan struct{})
		var running sync.WaitGroup
		running.Add(k)
		for range k {
			goWatched(s, func() { running.Done(); <-gate })
		}
		running.Wait()
		return gate
	}
	g1 := startBlocked(5)
	close(g1)
	waitEnded(t, s)
	g2 := startBlocked(3)
	if got, want := goCountsOf(s), (goSiteCounts{Started: 8, Finished: 5, Alive: 3, Peak: 5, Lifetimes: 5}); got != want {
		t.Errorf("counts %+v, want %+v", got, want)
	}
	g3 := startBlocked(4) // 7 alive now
	close(g2)
	close(g3)
	waitEnded(t, s)
	if got, want := goCountsOf(s), (goSiteCounts{Started: 12, Finished: 12, Peak: 7, Lifetimes: 12}); got != want {
		t.Errorf("counts %+v, want %+v", got, want)
	}
}

// TestGoEndClassifies checks how each way of ending is counted: a return
// (also after a recovered panic) and runtime.Goexit are finished, Goexit
// counted apart; a deferred Goexit during a panic stops the panic, and the
// goroutine ends by Goexit without crashing the program.
func TestGoEndClassifies(t *testing.T) {
	defer goleak.VerifyNone(t)
	cases := []struct {
		name string
		f    func()
		want goSiteCounts
	}{
		{"return", func() {}, goSiteCounts{Finished: 1}},
		{"recovered panic", func() {
			defer func() { _ = recover() }()
			panic("recovered")
		}, goSiteCounts{Finished: 1}},
		{"Goexit", func() { runtime.Goexit() }, goSiteCounts{Finished: 1, Goexit: 1}},
		{"Goexit deep", func() {
			func() { defer func() {}(); runtime.Goexit() }()
		}, goSiteCounts{Finished: 1, Goexit: 1}},
		{"Goexit stops a panic", func() {
			defer runtime.Goexit()
			panic("stopped by Goexit")
		}, goSiteCounts{Finished: 1, Goexit: 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newGoSite(t)
			goWatched(s, c.f)
			waitEnded(t, s)
			want := c.want
			want.Started, want.Peak, want.Lifetimes = 1, 1, 1
			if got := goCountsOf(s); got != want {
				t.Errorf("counts %+v, want %+v", got, want)
			}
		})
	}
}

// TestGoStartEndNoAlloc checks that counting a goroutine allocates
// nothing (but for the site's state, on first use).
func TestGoStartEndNoAlloc(t *testing.T) {
	s := newGoSite(t)
	ok := true
	GoBegin(s, Nanotime()).End(&ok)
	if n := testing.AllocsPerRun(1000, func() {
		GoBegin(s, Nanotime()).End(&ok)
	}); n != 0 {
		t.Errorf("GoBegin + End allocate %v times", n)
	}
}

// TestGoPanicUnchanged runs a program (this test binary) whose watched
// goroutine panics, and the same program with a raw go statement: the
// panic's message, the stack's top frames and the exit status are the
// same; the watched one counted the panic before the program died.
func TestGoPanicUnchanged(t *testing.T) {
	if mode := os.Getenv("HOTPATH_TEST_GO_PANIC"); mode != "" {
		goPanicProgram(mode, os.Getenv("HOTPATH_TEST_GO_PANIC_OUT"))
		return
	}
	run := func(mode string) (stderr, counts string) {
		out := filepath.Join(t.TempDir(), "counts")
		cmd := exec.Command(os.Args[0], "-test.run=^TestGoPanicUnchanged$", "-test.count=1")
		cmd.Env = append(os.Environ(), "HOTPATH_TEST_GO_PANIC="+mode, "HOTPATH_TEST_GO_PANIC_OUT="+out, "GOTRACEBACK=single")
		var buf bytes.Buffer
		cmd.Stderr = &buf
		err := cmd.Run()
		ee, isExit := err.(*exec.ExitError)
		if !isExit || ee.ExitCode() != 2 {
			t.Fatalf("%s program: %v, want exit status 2\nstderr:\n%s", mode, err, buf.String())
		}
		b, _ := os.ReadFile(out)
		return buf.String(), string(b)
	}
	rawErr, rawCounts := run("raw")
	watchedErr, watchedCounts := run("watched")
	if rawCounts != "" {
		t.Errorf("raw program counted: %q", rawCounts)
	}
	if want := "started=1 finished=0 panicked=1 alive=0 lifetimes=1"; watchedCounts != want {
		t.Errorf("watched program counted %q, want %q", watchedCounts, want)
	}
	raw, watched := panicTop(rawErr), panicTop(watchedErr)
	if len(raw) < 5 {
		t.Fatalf("raw program's standard error has no panic trace:\n%s", rawErr)
	}
	if diff := cmp.Diff(raw, watched); diff != "" {
		t.Errorf("top of the panic trace (-raw +watched):\n%s\nraw:\n%s\nwatched:\n%s", diff, rawErr, watchedErr)
	}
	if rc, wc := createdBy(rawErr), createdBy(watchedErr); rc == "" || rc != wc {
		t.Errorf("created by %q (raw), %q (watched)", rc, wc)
	}
}

// goPanicValue is what the programs of TestGoPanicUnchanged panic with: a
// value of a type of their own, printed by its Error method.
type goPanicValue struct{ n int }

func (v *goPanicValue) Error() string { return fmt.Sprintf("worker %d failed", v.n) }

//go:noinline
func goPanicWorker(n int, done chan<- struct{}) {
	defer close(done)
	if n > 0 {
		panic(&goPanicValue{n})
	}
}

// goPanicProgram is the program of TestGoPanicUnchanged. Its watched mode
// is written as hotpathgen rewrites "go goPanicWorker(n, done)"; the
// panic hook writes the site's counts to out before the program dies.
func goPanicProgram(mode, out string) {
	n, done := 7, make(chan struct{})
	switch mode {
	case "raw":
		go goPanicWorker(n, done)
	case "watched":
		s := &GoSite{Label: "crash", Func: "example.com/p.main", Site: "example.com/p/main.go:1"}
		goPanicHook = func(s *GoSite) {
			c := goCountsOf(s)
			msg := fmt.Sprintf("started=%d finished=%d panicked=%d alive=%d lifetimes=%d",
				c.Started, c.Finished, c.Panicked, c.Alive-1, c.Lifetimes) // alive drops after the hook
			_ = os.WriteFile(out, []byte(msg), 0o644)
		}
		go GoFunc2R0(s, goPanicWorker).Run(n, done)
	}
	<-done
	select {} // the panic ends the program
}

var (
	goroutineLine = regexp.MustCompile(`^goroutine \d+ \[`)
	pcOffset      = regexp.MustCompile(` \+0x[0-9a-f]+$`)
	argWords      = regexp.MustCompile(`\((0x[0-9a-f]+\??(, )?|\.\.\.)*\)$`)
)

// panicTop returns the panic message and the frames of the panicking
// goroutine down to the worker function, the goroutine number, program
// counter offsets and argument words left out.
func panicTop(stderr string) []string {
	var top []string
	for line := range strings.Lines(stderr) {
		line = strings.TrimRight(line, "\n")
		line = goroutineLine.ReplaceAllString(line, "goroutine N [")
		line = pcOffset.ReplaceAllString(line, "")
		line = argWords.ReplaceAllString(line, "(...)")
		top = append(top, line)
		if strings.HasPrefix(line, "\t") && len(top) > 1 && strings.Contains(top[len(top)-2], "goPanicWorker(") {
			break
		}
	}
	return top
}

// createdBy returns the function named on the "created by" line.
func createdBy(stderr string) string {
	for line := range strings.Lines(stderr) {
		if rest, ok := strings.CutPrefix(line, "created by "); ok {
			name, _, _ := strings.Cut(rest, " in goroutine")
			return strings.TrimSpace(name)
		}
	}
	return ""
}

// TestGoReport checks the goroutines section of a report: rows, JSON and
// table, on synctest's fake clock so that lifetimes are exact.
func TestGoReport(t *testing.T) {
	if tscClock.Load() != nil {
		t.Skip("the TSC clock (HOTPATH_CLOCK=tsc, -tags hotpath_tsc) does not follow synctest's fake clock")
	}
	for _, env := range []string{"HOTPATH_FOCUS", "HOTPATH_LIMIT", "HOTPATH_PERCENTILES", "HOTPATH_FORMAT", "HOTPATH_OUTPUT"} {
		t.Setenv(env, "")
	}
	// Sites stay registered across -count runs, but a row needs activity
	// in the guard's window, so fixed labels do not mix runs.
	const prefix = "pool."
	workers := &GoSite{Label: prefix + "worker", Func: "example.com/p.(*Pool).Start", Site: "example.com/p/pool.go:20"}
	driver := &GoSite{Label: prefix + "driver", Func: "example.com/p.Run", Site: "example.com/p/pool.go:40"}
	idle := &GoSite{Label: prefix + "idle", Func: "example.com/p.Run", Site: "example.com/p/pool.go:41"}
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
	h := newHistogram()
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
	// Without goroutine rows the JSON has no goroutines field.
	buf.Reset()
	if err := (&Report{Schema: SchemaVersion, Functions: []FuncRow{}, Channels: []ChanRow{}}).Write(&buf, FormatJSON); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "goroutines") {
		t.Errorf("a report without goroutine rows has a goroutines field: %s", buf.String())
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
	if tscClock.Load() != nil {
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

package compare

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	hotpath "github.com/hotpath-go/hotpath/runtime"
)

func goReport(rows ...hotpath.GoRow) *hotpath.Report {
	r := report("T")
	r.Goroutines = rows
	return r
}

func TestGoroutines(t *testing.T) {
	var base, head []*hotpath.Report
	for i := range 5 {
		// fetch panics in head runs 1 and 3 only (a median of 0 panics);
		// fixed panicked in every base run and in no head run; flaky
		// panics on both sides; slow lives twice as long, not judged.
		fetch := goRow("fetch", 20, 0, 1000)
		if i == 1 || i == 3 {
			fetch = goRow("fetch", 20, 1, 1000)
		}
		flaky := goRow("flaky", 10, 0, 500)
		if i == 0 {
			flaky = goRow("flaky", 10, 2, 500)
		}
		base = append(base, goReport(goRow("fetch", 20, 0, 1000), goRow("fixed", 5, 1, 100), goRow("slow", 8, 0, 1000), goRow("gone", 1, 0, 10), flaky))
		head = append(head, goReport(fetch, goRow("fixed", 5, 0, 100), goRow("slow", 8, 0, 2000), goRow("added", 3, 3, 10), flaky))
	}
	res := Compare(base, head, Options{})
	got := map[string]GoDelta{}
	var order []string
	for _, d := range res.Groups[0].Goroutines {
		got[d.Label] = d
		order = append(order, d.Label+" "+string(d.Verdict))
	}
	if d := got["fetch"]; d.Verdict != Changed || !cmp.Equal(d.Notes, []string{"panicked in 2 of 5 head runs"}) ||
		d.Head.Panicked != 0 || d.Head.PanickedRuns != 2 || d.Base.PanickedRuns != 0 {
		t.Errorf("fetch: %+v, head %+v", d, d.Head)
	}
	if d := got["fixed"]; d.Verdict != Changed || !cmp.Equal(d.Notes, []string{"panicked in 5 of 5 base runs"}) || d.Base.Panicked != 1 {
		t.Errorf("fixed: %+v", d)
	}
	if d := got["flaky"]; d.Verdict != Unchanged || !cmp.Equal(d.Notes, []string{"panicked in 1 of 5 base runs", "panicked in 1 of 5 head runs"}) {
		t.Errorf("flaky: %+v", d)
	}
	want := &GoStats{Runs: 5, Started: 8, Finished: 8, PeakAlive: 4, LifetimeTotalNS: 16000, LifetimeAvgNS: 2000}
	if d := got["slow"]; d.Verdict != Unchanged || d.LifetimeChange != 1 || d.Notes != nil || !cmp.Equal(d.Head, want) {
		t.Errorf("slow: %+v, head %+v", d, d.Head)
	}
	if d := got["added"]; d.Verdict != New || d.Base != nil || !cmp.Equal(d.Notes, []string{"panicked in 5 of 5 head runs"}) {
		t.Errorf("added: %+v", d)
	}
	if d := got["gone"]; d.Verdict != Removed || d.Head != nil || d.Notes != nil {
		t.Errorf("gone: %+v", d)
	}
	wantOrder := []string{"fetch changed", "fixed changed", "added new", "gone removed", "flaky unchanged", "slow unchanged"}
	if !cmp.Equal(order, wantOrder) {
		t.Errorf("order %q, want %q", order, wantOrder)
	}
	wantSum := Summary{New: 1, Removed: 1, GoroutinesChanged: 2}
	if res.Summary != wantSum {
		t.Errorf("summary %+v, want %+v", res.Summary, wantSum)
	}
	if s := res.Summary.String(); s != "0 regressions, 0 improvements, 1 new, 1 removed; 2 goroutine sites changed" {
		t.Errorf("summary line %q", s)
	}
	cells := goCells(ptrTo(got["fetch"]), "fetch")
	if want := []string{"fetch", "20", "0 → 2", "0", "4", "1.00µs", "20.00µs", "changed"}; !cmp.Equal(cells, want) {
		t.Errorf("fetch cells %q, want %q", cells, want)
	}
}

func ptrTo[T any](v T) *T { return &v }

func TestGoroutinePartialRuns(t *testing.T) {
	// Started goroutines in 1 of 2 head runs: noted; lifetimes of a
	// worker that outlives the report are 0, and no change is computed.
	base := []*hotpath.Report{goReport(workerGoRow("w")), goReport(workerGoRow("w"))}
	head := []*hotpath.Report{goReport(workerGoRow("w")), goReport()}
	res := Compare(base, head, Options{})
	d := res.Groups[0].Goroutines[0]
	if d.Verdict != Unchanged || !cmp.Equal(d.Notes, []string{"used in 1 of 2 head runs"}) || d.LifetimeChange != 0 || d.Head.Alive != 1 {
		t.Errorf("%+v", d)
	}
	var txt strings.Builder
	if err := res.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Goroutines of T\n", "| w         |       1 |             0 |     1 |    1 |      0ns |        0ns | ~       |\n", "note: w: used in 1 of 2 head runs\n"} {
		if !strings.Contains(txt.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, txt.String())
		}
	}
}

func TestSummaryString(t *testing.T) {
	s := Summary{Regressions: 1, New: 2, ChannelsChanged: 2, MutexesChanged: 3, GoroutinesChanged: 1}
	if got, want := s.String(), "1 regression, 0 improvements, 2 new, 0 removed; 2 channels, 3 mutexes, 1 goroutine site changed"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

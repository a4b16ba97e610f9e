package compare

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	hotpath "github.com/hotpath-go/hotpath/runtime"
)

func mutexReport(rows ...hotpath.MutexRow) *hotpath.Report {
	r := report("T")
	r.Mutexes = rows
	return r
}

func mutexDeltas(res *Result) map[string]MutexDelta {
	got := map[string]MutexDelta{}
	for _, d := range res.Groups[0].Mutexes {
		got[d.Label] = d
	}
	return got
}

func TestMutexes(t *testing.T) {
	var base, head []*hotpath.Report
	for i := range int64(5) {
		base = append(base, mutexReport(
			rwMutexRow("cache", 100, 10, 20000+i, 400, 5000),
			mutexRow("state", 1000, 3, 900+i),
			mutexRow("old", 5, 0, 0),
		))
		head = append(head, mutexReport(
			rwMutexRow("cache", 100, 30, 80000+i, 400, 5000),
			mutexRow("state", 1200, 3, 905-i),
			mutexRow("fresh", 7, 0, 0),
		))
	}
	res := Compare(base, head, Options{})
	got := mutexDeltas(res)

	// Wait is write plus read waiting: 20002+5000 → 80002+5000.
	d := got["cache"]
	if d.Verdict != Changed || math.Abs(d.WaitChange-(85002.0/25002-1)) > 1e-12 || d.Test == nil || math.Abs(d.Test.P-2.0/252) > 1e-15 {
		t.Errorf("cache: verdict %s, change %v, test %+v", d.Verdict, d.WaitChange, d.Test)
	}
	want := &MutexStats{Runs: 5, Locks: 100, RLocks: 400, Contended: 11, WaitNS: 25002, HoldNS: 100*100 + 10000,
		Values: []float64{25000, 25001, 25002, 25003, 25004}}
	if diff := cmp.Diff(want, d.Base); diff != "" || d.Type != "sync.RWMutex" || d.Head.Contended != 31 {
		t.Errorf("cache base stats (-want +got):\n%s\ntype %s, head %+v", diff, d.Type, d.Head)
	}
	// More locks, same waiting: acquisitions are shown, not judged.
	if d := got["state"]; d.Verdict != Unchanged || d.Head.Locks != 1200 || d.Head.RLocks != 0 || d.Test == nil {
		t.Errorf("state: %+v", d)
	}
	if d := got["old"]; d.Verdict != Removed || d.Head != nil || d.Base.Runs != 5 {
		t.Errorf("old: %+v", d)
	}
	if d := got["fresh"]; d.Verdict != New || d.Base != nil || d.Head.Locks != 7 {
		t.Errorf("fresh: %+v", d)
	}
	var order []string
	for _, d := range res.Groups[0].Mutexes {
		order = append(order, d.Label)
	}
	if want := []string{"cache", "fresh", "old", "state"}; !cmp.Equal(order, want) {
		t.Errorf("order %q, want %q", order, want)
	}
	wantSum := Summary{New: 1, Removed: 1, MutexesChanged: 1}
	if res.Summary != wantSum {
		t.Errorf("summary %+v, want %+v", res.Summary, wantSum)
	}
	if s := res.Summary.String(); s != "0 regressions, 0 improvements, 1 new, 1 removed; 1 mutex changed" {
		t.Errorf("summary line %q", s)
	}
	if !res.Groups[0].changed() {
		t.Error("a group whose only change is a mutex must count as changed")
	}
}

func TestMutexSingleRun(t *testing.T) {
	tests := []struct {
		name       string
		base, head int64
		verdict    Verdict
	}{
		{"wait doubles", 1000, 2000, Changed},
		{"wait halves", 2000, 1000, Changed},
		{"within threshold", 1000, 1090, Unchanged},
		{"contention from none", 0, 50, Changed},
		{"no contention", 0, 0, Unchanged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Compare([]*hotpath.Report{mutexReport(mutexRow("m", 10, 1, tt.base))}, []*hotpath.Report{mutexReport(mutexRow("m", 10, 1, tt.head))}, Options{})
			d := res.Groups[0].Mutexes[0]
			if d.Verdict != tt.verdict || d.Test != nil || len(d.Notes) != 0 {
				t.Errorf("verdict %s, test %v, notes %q; want %s, no test, no notes", d.Verdict, d.Test, d.Notes, tt.verdict)
			}
			if n := res.Summary.MutexesChanged; (n == 1) != (tt.verdict == Changed) {
				t.Errorf("summary %+v", res.Summary)
			}
		})
	}
}

func TestMutexPartialRuns(t *testing.T) {
	// Locked in 2 of 3 base runs and 1 of 3 head runs: noted, and too few
	// runs on the head side to test, however large the change.
	base := []*hotpath.Report{mutexReport(mutexRow("m", 10, 1, 100)), mutexReport(mutexRow("m", 10, 1, 100)), mutexReport()}
	head := []*hotpath.Report{mutexReport(mutexRow("m", 10, 1, 90000)), mutexReport(), mutexReport()}
	d := Compare(base, head, Options{Alpha: 0.2}).Groups[0].Mutexes[0]
	want := []string{"used in 2 of 3 base runs", "used in 1 of 3 head runs", "too few runs to test"}
	if d.Verdict != Unchanged || d.Test != nil || !cmp.Equal(d.Notes, want) || d.Base.Runs != 2 || d.Head.Runs != 1 {
		t.Errorf("verdict %s, test %v, notes %q, runs %d/%d", d.Verdict, d.Test, d.Notes, d.Base.Runs, d.Head.Runs)
	}

	// A mutex that became a sync.RWMutex is compared and says so.
	rw := rwMutexRow("m", 10, 1, 100, 50, 0)
	res := Compare([]*hotpath.Report{mutexReport(mutexRow("m", 10, 1, 100))}, []*hotpath.Report{mutexReport(rw)}, Options{})
	d = res.Groups[0].Mutexes[0]
	if d.Verdict != Unchanged || d.Type != "sync.RWMutex" || !cmp.Equal(d.Notes, []string{"type sync.Mutex in base, sync.RWMutex in head"}) {
		t.Errorf("type change: %+v", d)
	}
	cells := mutexCells(&d, d.Label)
	if cells[2] != "10" || cells[3] != "0 → 50" {
		t.Errorf("locks and rlocks cells %q", cells[2:4])
	}
}

func TestMutexTables(t *testing.T) {
	// A group whose only change is a mutex is a changed report in the
	// markdown, with the mutex table among the changes.
	res := Compare([]*hotpath.Report{mutexReport(mutexRow("app.mu", 10, 2, 1000))}, []*hotpath.Report{mutexReport(mutexRow("app.mu", 10, 4, 3000))}, Options{})
	var md strings.Builder
	if err := res.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"**hotpath compare:** 0 regressions, 0 improvements, 0 new, 0 removed; 1 mutex changed\n",
		"\n#### T\n",
		"| `app.mu` | sync.Mutex | 10 | — | 2 → 4 (+100.0%) | 1.00µs → 3.00µs (+200.0%) | 1.00µs | — | changed |\n",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
	if strings.Contains(md.String(), "without changes") {
		t.Errorf("the group was folded with the unchanged ones:\n%s", md.String())
	}
	var txt strings.Builder
	if err := res.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(txt.String(), "Mutexes of T\n") || !strings.Contains(txt.String(), "| app.mu | sync.Mutex |    10 |      — |") {
		t.Errorf("text:\n%s", txt.String())
	}
}

package compare

import (
	"cmp"
	"fmt"

	hotpath "github.com/hotpath-go/hotpath/runtime"
)

// GoDelta compares one //hotpath:go statement, keyed by its label.
type GoDelta struct {
	Label string `json:"label"`
	// Func is the function that holds the go statement, the head's when
	// both sides have the site.
	Func    string  `json:"func"`
	Verdict Verdict `json:"verdict"`
	// Base and Head are nil on the side where the site is missing.
	Base *GoStats `json:"base,omitempty"`
	Head *GoStats `json:"head,omitempty"`
	// LifetimeChange is the relative change of the average lifetime,
	// head/base - 1, when the base has one. It is shown, never judged.
	LifetimeChange float64  `json:"lifetime_change"`
	Notes          []string `json:"notes,omitempty"`
}

// GoStats is one side of a goroutine row: medians over the runs in which
// the site started or ended a goroutine, except PanickedRuns.
type GoStats struct {
	Runs     int     `json:"runs"`
	Started  float64 `json:"started"`
	Finished float64 `json:"finished"`
	Panicked float64 `json:"panicked"`
	// PanickedRuns counts the runs in which a goroutine of the site
	// panicked: what the verdict looks at, since one panicking run in
	// five is a median of 0.
	PanickedRuns int `json:"panicked_runs"`
	// Alive is the number of the site's goroutines still running when the
	// report was made, PeakAlive the most at once.
	Alive     float64 `json:"alive"`
	PeakAlive float64 `json:"peak_alive"`
	// LifetimeTotalNS and LifetimeAvgNS describe the goroutines that
	// ended in the run (hotpath.GoRow); a run in which none ended counts 0.
	LifetimeTotalNS float64 `json:"lifetime_total_ns"`
	LifetimeAvgNS   float64 `json:"lifetime_avg_ns"`
}

// goRuns is one go statement's rows over the runs of one side.
type goRuns struct {
	label, fn                   string
	runs, panickedRuns          int
	started, finished, panicked []float64
	alive, peak                 []float64
	lifeTotal, lifeAvg          []float64
}

func collectGoroutines(reps []*hotpath.Report) keyed[string, *goRuns] {
	out := keyed[string, *goRuns]{rows: map[string]*goRuns{}}
	for _, rep := range reps {
		seen := map[string]bool{}
		for i := range rep.Goroutines {
			row := &rep.Goroutines[i]
			if seen[row.Label] {
				continue
			}
			seen[row.Label] = true
			r := out.get(row.Label, func() *goRuns { return &goRuns{label: row.Label, fn: row.Func} })
			r.add(row)
		}
	}
	return out
}

func (r *goRuns) add(row *hotpath.GoRow) {
	r.runs++
	if row.Panicked > 0 {
		r.panickedRuns++
	}
	r.started = append(r.started, float64(row.Started))
	r.finished = append(r.finished, float64(row.Finished))
	r.panicked = append(r.panicked, float64(row.Panicked))
	r.alive = append(r.alive, float64(row.Alive))
	r.peak = append(r.peak, float64(row.PeakAlive))
	r.lifeTotal = append(r.lifeTotal, float64(row.LifetimeTotalNS))
	r.lifeAvg = append(r.lifeAvg, float64(row.LifetimeAvgNS))
}

func (r *goRuns) stats() *GoStats {
	if r == nil {
		return nil
	}
	return &GoStats{
		Runs:            r.runs,
		Started:         median(r.started),
		Finished:        median(r.finished),
		Panicked:        median(r.panicked),
		PanickedRuns:    r.panickedRuns,
		Alive:           median(r.alive),
		PeakAlive:       median(r.peak),
		LifetimeTotalNS: median(r.lifeTotal),
		LifetimeAvgNS:   median(r.lifeAvg),
	}
}

// judgeGo marks a go statement Changed when its goroutines panic in some
// head run and in no base run, or the reverse: a panic is not noise to
// be tested, and one panicking run is enough to look. Any panic on either
// side is noted.
//
// Lifetimes are shown, not judged. A goroutine's lifetime is the work of
// its function, which the function rows inside it judge with call-level
// precision, plus scheduling and waits that channels and mutexes show;
// and for a long-lived worker it is the length of the run, or nothing when
// the worker outlives the report. Counts (started, alive, peak) follow
// the work done, as function calls do.
func (c *comparer) judgeGo(g Group, b, h *goRuns) GoDelta {
	row := cmp.Or(h, b)
	d := GoDelta{Label: row.label, Func: row.fn, Verdict: Unchanged}
	d.Base, d.Head = b.stats(), h.stats()
	if b != nil && h != nil {
		if n := g.BaseRuns; b.runs < n {
			d.note("used in %d of %d base runs", b.runs, n)
		}
		if n := g.HeadRuns; h.runs < n {
			d.note("used in %d of %d head runs", h.runs, n)
		}
	}
	if b != nil && b.panickedRuns > 0 {
		d.note("panicked in %d of %d base runs", b.panickedRuns, g.BaseRuns)
	}
	if h != nil && h.panickedRuns > 0 {
		d.note("panicked in %d of %d head runs", h.panickedRuns, g.HeadRuns)
	}
	switch {
	case b == nil:
		d.Verdict = New
		return d
	case h == nil:
		d.Verdict = Removed
		return d
	}
	if d.Base.LifetimeAvgNS > 0 {
		d.LifetimeChange = d.Head.LifetimeAvgNS/d.Base.LifetimeAvgNS - 1
	}
	if (b.panickedRuns == 0) != (h.panickedRuns == 0) {
		d.Verdict = Changed
	}
	return d
}

func (d *GoDelta) note(format string, args ...any) {
	d.Notes = append(d.Notes, fmt.Sprintf(format, args...))
}

func (d *GoDelta) verdictText() string {
	if d.Verdict == Unchanged {
		return "~"
	}
	return string(d.Verdict)
}

package hotpath

import (
	"fmt"
	"io"
	"strconv"

	"github.com/hotpath-go/hotpath/internal/textfmt"
	"github.com/hotpath-go/hotpath/runtime/internal/core"
	"github.com/hotpath-go/hotpath/runtime/internal/names"
	"github.com/hotpath-go/hotpath/runtime/internal/texttable"
)

// GoRow is one //hotpath:go statement: the goroutines it started over the
// guard's window.
//
// Every goroutine started is alive until it ends, and ends one way:
// finished (its function returned, or it called runtime.Goexit) or
// panicked. Once the goroutines of the window have ended, Started ==
// Finished + Panicked. A panic that ends a goroutine crashes the program,
// unless a deferred call of the goroutine calls runtime.Goexit (which
// stops the panic and counts as Goexit), so Panicked is seen by reports
// made on the way down (the live view, a test's hook), rarely by a
// guard's Stop.
type GoRow struct {
	// Label is label=NAME from the directive, or pkg.F:go@LINE.
	Label string `json:"label"`
	// Func is the function that holds the go statement, as pprof prints it.
	Func string `json:"func"`
	// Started counts the goroutines that began to run.
	Started uint64 `json:"started"`
	// Finished counts the goroutines that ended without a panic; Goexit
	// counts those of them that ended by runtime.Goexit.
	Finished uint64 `json:"finished"`
	Goexit   uint64 `json:"goexit"`
	// Panicked counts the goroutines that ended by a panic.
	Panicked uint64 `json:"panicked"`
	// Alive is the number of the site's goroutines that had begun and not
	// ended when the report was made, and PeakAlive the largest number alive at once since the
	// site started its first goroutine (not only in the window).
	Alive     int64 `json:"alive"`
	PeakAlive int64 `json:"peak_alive"`
	// The lifetime numbers describe the goroutines that ended in the
	// window (Finished + Panicked of them), from the go statement to the
	// end of their function and its deferred calls, in nanoseconds.
	LifetimeTotalNS int64 `json:"lifetime_total_ns"`
	LifetimeAvgNS   int64 `json:"lifetime_avg_ns"`
	LifetimeMinNS   int64 `json:"lifetime_min_ns"`
	LifetimeMaxNS   int64 `json:"lifetime_max_ns"`
	// LifetimePercentiles maps "p50", "p99.9", ... to nanoseconds.
	LifetimePercentiles map[string]int64 `json:"lifetime_percentiles"`
	// Site is the go statement's position: import path, file and line.
	Site string `json:"site"`
}

// Goroutine returns the goroutine row labelled label, or nil.
func (r *Report) Goroutine(label string) *GoRow {
	for i := range r.Goroutines {
		if r.Goroutines[i].Label == label {
			return &r.Goroutines[i]
		}
	}
	return nil
}

// buildGoroutines returns the rows of the sites that started or ended a
// goroutine since base, sorted by label; nil when there are none.
func buildGoroutines(opts resolved, base map[*core.GoSite]core.GoCounts) []GoRow {
	rows := []GoRow{}
	for _, s := range core.GoSites() {
		if !opts.focus(s.Label) {
			continue
		}
		c := s.State().Snapshot().Since(base[s])
		if !c.Used() {
			continue
		}
		rows = append(rows, goRow(s, c, opts.Percentiles))
	}
	sortSiteRows(rows, goKey)
	if opts.Limit > 0 && len(rows) > opts.Limit {
		rows = rows[:opts.Limit]
	}
	return rows
}

// goroutineRows returns the rows of the sites that started or ended a
// goroutine between base (nil: the process start) and s, as
// buildGoroutines does for a guard.
func (s *Snapshot) goroutineRows(base *Snapshot, opts resolved) []GoRow {
	var bg map[*core.GoSite]core.GoCounts
	if base != nil {
		bg = base.goros
	}
	rows := []GoRow{}
	for site, cur := range s.goros {
		if !opts.focus(site.Label) {
			continue
		}
		if c := cur.Since(bg[site]); c.Used() {
			rows = append(rows, goRow(site, c, opts.Percentiles))
		}
	}
	sortSiteRows(rows, goKey)
	if opts.Limit > 0 && len(rows) > opts.Limit {
		rows = rows[:opts.Limit]
	}
	return rows
}

func goRow(s *core.GoSite, c core.GoCounts, percentiles []float64) GoRow {
	row := GoRow{
		Label:               s.Label,
		Func:                s.Func,
		Started:             c.Started(),
		Finished:            c.Finished(),
		Goexit:              c.Goexited(),
		Panicked:            c.Panicked(),
		Alive:               c.Alive(),
		PeakAlive:           c.Peak(),
		LifetimePercentiles: make(map[string]int64, len(percentiles)),
		Site:                s.Site,
	}
	l := c.Lifetimes()
	count, total, lo, hi := l.Count(), l.Total(), l.Min(), l.Max()
	if count == 0 {
		for _, p := range percentiles {
			row.LifetimePercentiles[names.PercentileKey(p)] = 0
		}
		return row
	}
	row.LifetimeTotalNS = total
	row.LifetimeAvgNS = total / int64(count)
	// In a window that starts with the site in use, min and max come from
	// the histogram's buckets (DurationSummary.since); the exact total and
	// average bound them.
	if count == 1 {
		lo, hi = total, total
	}
	lo = min(lo, row.LifetimeAvgNS)
	hi = min(max(hi, row.LifetimeAvgNS), total)
	row.LifetimeMinNS, row.LifetimeMaxNS = lo, hi
	vals := l.Histogram().ValuesAtPercentiles(percentiles)
	for k, p := range percentiles {
		row.LifetimePercentiles[names.PercentileKey(p)] = min(max(vals[k], lo), hi)
	}
	return row
}

// writeGoTable writes the goroutines section of the text report.
func (r *Report) writeGoTable(w io.Writer) {
	title := fmt.Sprintf("[hotpath] goroutines - Goroutine summary from %s (Total time: %s)", r.Name, textfmt.Duration(r.ElapsedNS))
	header := []string{"Goroutine", "Started", "Finished", "Panicked", "Alive", "Peak", "Avg life"}
	for _, p := range r.Percentiles {
		header = append(header, percentileTitle(p))
	}
	header = append(header, "Max life")
	t := texttable.Table{Title: title, Header: header}
	for i := range r.Goroutines {
		g := &r.Goroutines[i]
		row := []string{
			g.Label,
			strconv.FormatUint(g.Started, 10),
			strconv.FormatUint(g.Finished, 10),
			strconv.FormatUint(g.Panicked, 10),
			strconv.FormatInt(g.Alive, 10),
			strconv.FormatInt(g.PeakAlive, 10),
			textfmt.Duration(g.LifetimeAvgNS),
		}
		for _, p := range r.Percentiles {
			row = append(row, textfmt.Duration(g.LifetimePercentiles[names.PercentileKey(p)]))
		}
		row = append(row, textfmt.Duration(g.LifetimeMaxNS))
		t.Rows = append(t.Rows, row)
	}
	t.Write(w)
}

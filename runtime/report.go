package hotpath

import (
	"math"
	"os"
	"time"

	"github.com/hotpath-go/hotpath/runtime/internal/core"
	"github.com/hotpath-go/hotpath/runtime/internal/names"
)

// SchemaVersion is the version of the JSON report. It changes only when a
// field changes meaning or disappears; new fields and sections do not bump it.
const SchemaVersion = 1

// Report is what a guard measured, as a Go value. Its JSON form is the
// documented, versioned report format (docs/JSON.md).
type Report struct {
	Schema int    `json:"schema"`
	Name   string `json:"name"`
	// ElapsedNS is the wall time the guard was alive.
	ElapsedNS int64 `json:"elapsed_ns"`
	// Percentiles lists the percentiles every row reports.
	Percentiles []float64 `json:"percentile_list"`
	// SampleEvery is N when one call in N was timed, 1 otherwise.
	SampleEvery int `json:"sample_every"`
	// CallsEstimated is true when the sampling was estimated
	// (Options.SampleEstimated): the calls of every function row are then
	// an estimate, N per timed call, not a count.
	CallsEstimated bool `json:"calls_estimated,omitempty"`
	// Alloc is true when allocation mode was on; timings are then perturbed.
	Alloc bool `json:"alloc_mode"`
	// AllocTotals sums up the window's allocations in allocation mode. It
	// is nil (absent from JSON) otherwise, and when the heap profile could
	// not be read (Stop returns the error).
	AllocTotals *AllocTotals `json:"alloc_totals,omitempty"`
	// Functions has one row per measured function or block that ran while
	// the guard was alive, sorted by total time, largest first.
	Functions []FuncRow `json:"functions"`
	// Channels has one row per //hotpath:channel make site whose channels
	// were used while the guard was alive, sorted by label.
	Channels []ChanRow `json:"channels"`
	// Goroutines has one row per //hotpath:go statement that started or
	// ended a goroutine while the guard was alive, sorted by label.
	Goroutines []GoRow `json:"goroutines"`
	// Mutexes has one row per //hotpath:mutex variable or field whose
	// mutexes were locked while the guard was alive, sorted by label.
	Mutexes []MutexRow `json:"mutexes"`
	// Clock is the TSC clock's check when HOTPATH_CLOCK=tsc or the
	// hotpath_tsc build tag asked for it, and absent otherwise.
	Clock *ClockCheck `json:"clock,omitempty"`
}

// FuncRow is one measured function or block.
type FuncRow struct {
	// Name is the Go symbol name as pprof prints it, or the label.
	Name string `json:"name"`
	// Kind is "func" or "block".
	Kind string `json:"kind"`
	// Parent is the enclosing function of a block.
	Parent string `json:"parent,omitempty"`
	// Calls counts every call exactly, sampled or not; with
	// Report.CallsEstimated it is an estimate (N per timed call).
	Calls uint64 `json:"calls"`
	// Timed counts the calls whose duration was recorded (= Calls unless sampling).
	Timed   uint64 `json:"timed"`
	TotalNS int64  `json:"total_ns"`
	AvgNS   int64  `json:"avg_ns"`
	MinNS   int64  `json:"min_ns"`
	MaxNS   int64  `json:"max_ns"`
	// Percentiles maps "p50", "p99.9", ... to nanoseconds.
	Percentiles map[string]int64 `json:"percentiles"`
	// PercentTotal is TotalNS as a percentage of the guard's wall time.
	// Nested and concurrent calls overlap, so rows can add up past 100.
	PercentTotal float64 `json:"percent_total"`
	// The allocation numbers are filled in allocation mode only
	// (Report.Alloc) and are zero otherwise; the JSON fields are always
	// present. Inclusive numbers count everything allocated while the
	// function or block was on the stack, callees included, recursion
	// once; self numbers what was allocated while it was the innermost
	// measured function or block on the stack. See AllocTotals and the
	// package documentation for what a byte and an object are.
	AllocBytes       int64 `json:"alloc_bytes"`
	AllocObjects     int64 `json:"alloc_objects"`
	SelfAllocBytes   int64 `json:"self_alloc_bytes"`
	SelfAllocObjects int64 `json:"self_alloc_objects"`
}

// Func returns the row named name, or nil.
func (r *Report) Func(name string) *FuncRow {
	for i := range r.Functions {
		if r.Functions[i].Name == name {
			return &r.Functions[i]
		}
	}
	return nil
}

// Elapsed returns ElapsedNS as a Duration.
func (r *Report) Elapsed() time.Duration { return time.Duration(r.ElapsedNS) }

// ClockCheck is the state of the TSC clock when a report was made. A
// report carries one only when the TSC clock was asked for.
type ClockCheck struct {
	// Source is "tsc" while durations are read from the cycle counter,
	// "monotonic" when it was refused at start or dropped by a check.
	Source string `json:"source"`
	// TSCHz is the counter's calibrated rate; 0 when it was refused.
	TSCHz float64 `json:"tsc_hz"`
	// DriftPPM is how far the converted counter has run from the
	// monotonic clock since calibration, in parts per million of the time
	// elapsed. Beyond 1000 (0.1%) the check drops the TSC clock.
	DriftPPM float64 `json:"drift_ppm"`
	// Reason says why the TSC clock is not in use, when it is not.
	Reason string `json:"reason,omitempty"`
}

// baseline is the registry at the moment a guard started.
type baseline struct {
	funcs map[*core.Func]core.FuncSnapshot
	chans map[*core.ChanSite]core.ChanSnapshot
	goros map[*core.GoSite]core.GoCounts
	mutex map[*core.MutexSite]core.MutexSnapshot
	alloc *heapBaseline // nil unless in allocation mode
}

func takeBaseline() baseline {
	b := baseline{funcs: map[*core.Func]core.FuncSnapshot{}, chans: core.ChanBaseline(), goros: core.GoBaseline(), mutex: mutexBaseline()}
	for _, f := range core.Funcs() {
		if st := f.State(); st.CallCount() > 0 {
			b.funcs[f] = st.Snapshot()
		}
	}
	return b
}

func buildReport(opts resolved, base baseline, elapsed time.Duration) (*Report, error) {
	// Allocation numbers that cannot be read leave a timing report and an
	// error.
	var allocs *allocResult
	var allocErr error
	if base.alloc != nil {
		allocs, allocErr = base.alloc.attribute(core.Funcs())
	}
	r := &Report{
		Schema:         SchemaVersion,
		Name:           opts.Name,
		ElapsedNS:      int64(elapsed),
		Percentiles:    opts.Percentiles,
		SampleEvery:    max(opts.SampleEvery, 1),
		CallsEstimated: opts.SampleEstimated && opts.SampleEvery > 1,
		Alloc:          opts.Alloc,
		Functions:      []FuncRow{},
		Clock:          clockCheck(),
	}
	for _, f := range core.Funcs() {
		if !opts.focus(names.Label(f.Name, f.Kind == core.KindBlock, f.Parent)) {
			continue
		}
		st := f.State()
		if st.CallCount() == base.funcs[f].Calls() {
			continue // did not run in the window: no histogram to sum
		}
		s := st.Snapshot().Since(base.funcs[f])
		if s.Calls() == 0 {
			continue
		}
		row := funcRow(f, s, opts.Percentiles, elapsed)
		if allocs != nil {
			allocs.fill(&row, f)
		}
		r.Functions = append(r.Functions, row)
	}
	if allocs != nil {
		r.AllocTotals = &allocs.totals
	}
	sortFuncRows(r.Functions)
	if opts.Limit > 0 && len(r.Functions) > opts.Limit {
		r.Functions = r.Functions[:opts.Limit]
	}
	r.Channels = buildChannels(opts, base, elapsed)
	r.Goroutines = buildGoroutines(opts, base.goros)
	r.Mutexes = buildMutexes(opts, base.mutex)
	return r, allocErr
}

func funcRow(f *core.Func, s core.FuncSnapshot, percentiles []float64, elapsed time.Duration) FuncRow {
	row := FuncRow{
		Name:        f.Name,
		Kind:        f.Kind.String(),
		Parent:      f.Parent,
		Calls:       s.Calls(),
		Timed:       s.Count(),
		Percentiles: make(map[string]int64, len(percentiles)),
	}
	if s.Count() == 0 {
		for _, p := range percentiles {
			row.Percentiles[names.PercentileKey(p)] = 0
		}
		return row
	}
	row.AvgNS = s.Total() / int64(s.Count())
	row.TotalNS = scaledTotal(s.Total(), s.Calls(), s.Count()) // sampling: up to every call
	row.MinNS, row.MaxNS = s.Min(), s.Max()
	vals := s.Histogram().ValuesAtPercentiles(percentiles)
	for k, p := range percentiles {
		v := vals[k]
		// The histogram answers with the highest value equivalent to the
		// bucket; never report beyond the exact extremes.
		v = min(max(v, s.Min()), s.Max())
		row.Percentiles[names.PercentileKey(p)] = v
	}
	if elapsed > 0 {
		row.PercentTotal = math.Round(float64(row.TotalNS)/float64(elapsed)*1e4) / 100
	}
	return row
}

// clockCheck re-checks the TSC clock for a report (core.CheckClock); nil
// when the TSC clock was not asked for.
func clockCheck() *ClockCheck {
	cc := core.CheckClock(os.Stderr)
	if cc == nil {
		return nil
	}
	return (*ClockCheck)(cc)
}

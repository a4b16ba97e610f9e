package hotpath

import (
	"iter"
	"sort"
	"time"

	"github.com/hotpath-go/hotpath/runtime/internal/core"
)

// Snapshot holds the cumulative numbers of every measured function, block,
// channel, goroutine and mutex site at one instant. Two snapshots give the numbers of the
// interval between them: the live view and the exporters read the runtime
// this way, and never slow the recording path beyond the brief read of
// each shard.
//
// A Snapshot is immutable and safe for concurrent use.
type Snapshot struct {
	at    time.Time
	funcs map[*core.Func]core.FuncSnapshot
	chans map[*core.ChanSite]core.ChanSnapshot
	goros map[*core.GoSite]core.GoCounts
	mutex map[*core.MutexSite]core.MutexSnapshot
}

// processStart is the instant the runtime was initialised; a nil base
// snapshot stands for it.
var processStart = time.Now()

// TakeSnapshot reads every function, block, channel, goroutine and mutex
// site that has been used since the process started.
func TakeSnapshot() *Snapshot {
	b := takeBaseline()
	return &Snapshot{at: time.Now(), funcs: b.funcs, chans: b.chans, goros: b.goros, mutex: b.mutex}
}

// Time returns the instant the snapshot was taken.
func (s *Snapshot) Time() time.Time { return s.at }

// since returns the window's start and the base's maps (empty when base is
// nil: the process start).
func (s *Snapshot) since(base *Snapshot) (time.Time, map[*core.Func]core.FuncSnapshot, map[*core.ChanSite]core.ChanSnapshot) {
	if base == nil {
		return processStart, nil, nil
	}
	return base.at, base.funcs, base.chans
}

// Report returns what happened between base and s as a report, as a guard
// alive over that window would have made it (without allocation numbers).
// A nil base means the process start. Of opts, Name, Percentiles, Limit and
// Focus apply; the environment is not read, and formats and outputs do not
// apply (write the report with [Report.Write]). Invalid options fall back
// to their defaults, as they do for a guard.
func (s *Snapshot) Report(base *Snapshot, opts Options) *Report {
	r, _ := resolveOptions(opts, func(string) string { return "" })
	from, bf, bc := s.since(base)
	elapsed := s.at.Sub(from)
	rep := &Report{
		Schema:         SchemaVersion,
		Name:           r.Name,
		ElapsedNS:      int64(elapsed),
		Percentiles:    r.Percentiles,
		SampleEvery:    core.SampleEvery(),
		CallsEstimated: core.SampleEstimated(),
		Functions:      []FuncRow{},
	}
	for f, cur := range s.funcs {
		if !r.focus(f.Name) {
			continue
		}
		d := cur.Since(bf[f])
		if d.Calls() == 0 {
			continue
		}
		rep.Functions = append(rep.Functions, funcRow(f, d, r.Percentiles, elapsed))
	}
	sortFuncRows(rep.Functions)
	if r.Limit > 0 && len(rep.Functions) > r.Limit {
		rep.Functions = rep.Functions[:r.Limit]
	}
	rep.Channels = []ChanRow{}
	var depths map[*core.ChanState]int
	for site, cur := range s.chans {
		if !r.focus(site.Label) {
			continue
		}
		d := cur.Since(bc[site])
		if !d.Used() {
			continue
		}
		if depths == nil {
			depths = core.LiveDepths()
		}
		st := site.State()
		rep.Channels = append(rep.Channels, chanRow(st, d, depths[st], r.Percentiles, elapsed))
	}
	sortSiteRows(rep.Channels, chanKey)
	if r.Limit > 0 && len(rep.Channels) > r.Limit {
		rep.Channels = rep.Channels[:r.Limit]
	}
	rep.Goroutines = s.goroutineRows(base, r)
	rep.Mutexes = mutexRows(r, s.mutex, base.mutexes())
	return rep
}

// FuncStats are one measured function's or block's numbers over the window
// between two snapshots, with its duration histogram.
type FuncStats struct {
	// Name, Kind ("func" or "block") and Parent as in [FuncRow].
	Name, Kind, Parent string
	// File and Line locate the function or block in its source file.
	File string
	Line int
	// Calls counts every call; Timed the calls whose duration was recorded.
	Calls, Timed uint64
	// TotalNS, MinNS and MaxNS are exact over the timed calls (MinNS and
	// MaxNS within the histogram's precision for a window that does not
	// start at the process start). TotalNS is not scaled up by sampling.
	TotalNS, MinNS, MaxNS int64
	// Durations holds the timed calls' durations in nanoseconds.
	Durations Histogram
}

// Funcs returns every measured function and block that ran between base
// and s (nil base: the process start), sorted by name, then parent.
func (s *Snapshot) Funcs(base *Snapshot) []FuncStats {
	_, bf, _ := s.since(base)
	out := []FuncStats{}
	for f, cur := range s.funcs {
		d := cur.Since(bf[f])
		if d.Calls() == 0 {
			continue
		}
		out = append(out, FuncStats{
			Name: f.Name, Kind: f.Kind.String(), Parent: f.Parent, File: f.File, Line: f.Line,
			Calls: d.Calls(), Timed: d.Count(), TotalNS: d.Total(), MinNS: d.Min(), MaxNS: d.Max(),
			Durations: Histogram{w: d.Histogram()},
		})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Parent < out[j].Parent
	})
	return out
}

// ChanStats are one channel make site's numbers over the window between
// two snapshots, with the histograms of its blocked operations.
type ChanStats struct {
	// Label, Type and Site as in [ChanRow].
	Label, Type, Site string
	// Capacity is the largest capacity made at the site.
	Capacity int
	// Created, Sent, Received and Closed count as in [ChanRow].
	Created, Sent, Received, Closed uint64
	// MaxDepth is the largest queue depth seen in the window.
	MaxDepth int
	// SendBlocked and RecvBlocked time the operations that waited.
	SendBlocked, RecvBlocked Blocked
}

// Blocked describes the channel operations of one direction that had to
// wait for another goroutine.
type Blocked struct {
	Count          uint64
	TotalNS, MaxNS int64
	// Durations holds the waits in nanoseconds.
	Durations Histogram
}

// Chans returns every channel site used between base and s (nil base: the
// process start), sorted by label, then site.
func (s *Snapshot) Chans(base *Snapshot) []ChanStats {
	_, _, bc := s.since(base)
	out := []ChanStats{}
	for site, cur := range s.chans {
		d := cur.Since(bc[site])
		if !d.Used() {
			continue
		}
		st := site.State()
		out = append(out, ChanStats{
			Label: site.Label, Type: site.Type, Site: site.Site,
			Capacity: st.MaxCap(),
			Created:  d.Created(), Sent: d.Sent(), Received: d.Received(), Closed: d.Closed(),
			MaxDepth:    int(d.MaxDepth()),
			SendBlocked: blocked(d.SendBlocked()),
			RecvBlocked: blocked(d.RecvBlocked()),
		})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Label != out[j].Label {
			return out[i].Label < out[j].Label
		}
		return out[i].Site < out[j].Site
	})
	return out
}

func blocked(d core.DurationSummary) Blocked {
	return Blocked{Count: d.Count(), TotalNS: d.Total(), MaxNS: d.Max(), Durations: Histogram{w: d.Histogram()}}
}

// Histogram is a distribution of durations in nanoseconds, with buckets of
// three significant digits from 1 ns to 1 h (values outside are clamped
// into that range). The zero value is empty.
type Histogram struct {
	w core.HistWindow
}

// Bucket is one non-empty bucket of a [Histogram]: Count values v with
// Low <= v <= High.
type Bucket struct {
	Low, High int64
	Count     uint64
}

// Buckets yields the non-empty buckets in increasing order of value.
func (h Histogram) Buckets() iter.Seq[Bucket] {
	return func(yield func(Bucket) bool) {
		more := true
		h.w.Each(func(i int, n uint64) {
			if !more {
				return
			}
			lo, hi := core.BucketRange(i)
			more = yield(Bucket{Low: lo, High: hi, Count: n})
		})
	}
}

// Count returns the number of values in the histogram.
func (h Histogram) Count() uint64 { return h.w.Total() }

// ValueAtQuantile returns the value at percentile q (0..100): the highest
// value equivalent to the bucket that holds it, as HDR histograms answer.
// It returns 0 for an empty histogram.
func (h Histogram) ValueAtQuantile(q float64) int64 { return h.w.ValueAtPercentile(q) }

// sortFuncRows orders rows by total time, largest first, then by name.
func sortFuncRows(rows []FuncRow) {
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := &rows[i], &rows[j]
		if a.TotalNS != b.TotalNS {
			return a.TotalNS > b.TotalNS
		}
		return a.Name < b.Name
	})
}

// sortSiteRows orders the rows of sites (channels, goroutines, mutexes) by
// label, then site; key returns a row's label and site.
func sortSiteRows[R any](rows []R, key func(*R) (label, site string)) {
	sort.SliceStable(rows, func(i, j int) bool {
		li, si := key(&rows[i])
		lj, sj := key(&rows[j])
		if li != lj {
			return li < lj
		}
		return si < sj
	})
}

func chanKey(r *ChanRow) (string, string)   { return r.Label, r.Site }
func goKey(r *GoRow) (string, string)       { return r.Label, r.Site }
func mutexKey(r *MutexRow) (string, string) { return r.Label, r.Site }

// allRows are the options of the rows the exporters read: every site, no
// percentiles.
var allRows = resolved{focus: func(string) bool { return true }}

// Goroutines returns the row of every //hotpath:go statement that started
// or ended a goroutine between base and s (nil base: the process start),
// sorted by label, then site, as in a [Report] without percentiles
// (LifetimePercentiles is empty). Alive is the number alive when s was
// taken and PeakAlive the peak since the site's first goroutine, whatever
// base is.
func (s *Snapshot) Goroutines(base *Snapshot) []GoRow {
	return s.goroutineRows(base, allRows)
}

// Mutexes returns the row of every //hotpath:mutex site locked or unlocked
// between base and s (nil base: the process start), sorted by label, then
// site, as in a [Report] without percentiles (the Percentiles of Wait and
// Hold are empty).
func (s *Snapshot) Mutexes(base *Snapshot) []MutexRow {
	return mutexRows(allRows, s.mutex, base.mutexes())
}

package compare

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	hotpath "github.com/hotpath-go/hotpath/runtime"
	"github.com/hotpath-go/hotpath/runtime/internal/names"
)

// Verdict classifies a row of the comparison.
type Verdict string

// The verdicts. Functions get every one but Changed; channels, mutexes
// and goroutine sites get New, Removed, Changed and Unchanged, since
// blocking, waiting and panics have no better direction to judge.
const (
	Regression  Verdict = "regression"
	Improvement Verdict = "improvement"
	New         Verdict = "new"
	Removed     Verdict = "removed"
	Changed     Verdict = "changed"
	Unchanged   Verdict = "unchanged"
)

// rank orders rows: what needs attention first.
func (v Verdict) rank() int {
	switch v {
	case Regression:
		return 0
	case Improvement:
		return 1
	case Changed:
		return 2
	case New:
		return 3
	case Removed:
		return 4
	}
	return 5
}

// Result is a whole comparison, ready to print or to encode as JSON.
type Result struct {
	// Metric decided the timing verdicts.
	Metric Metric `json:"metric"`
	// Percentile is the percentile shown beside avg and total: the metric
	// when it is one, p95 otherwise.
	Percentile string  `json:"percentile"`
	Threshold  float64 `json:"threshold"`
	Alpha      float64 `json:"alpha"`
	Summary    Summary `json:"summary"`
	// Groups has one entry per report name, sorted by name.
	Groups []Group `json:"groups"`
	// Warnings say where the comparison is weaker than it looks: too few
	// runs to reach Alpha, allocation data on one side only.
	Warnings []string `json:"warnings,omitempty"`
}

// Summary counts rows over all groups.
type Summary struct {
	Regressions  int `json:"regressions"`
	Improvements int `json:"improvements"`
	// New and Removed count function, channel, mutex and goroutine rows.
	New     int `json:"new"`
	Removed int `json:"removed"`
	// ChannelsChanged counts channels whose blocked time changed.
	ChannelsChanged int `json:"channels_changed"`
	// MutexesChanged counts mutexes whose wait time changed.
	MutexesChanged int `json:"mutexes_changed"`
	// GoroutinesChanged counts go statements whose goroutines started or
	// stopped panicking.
	GoroutinesChanged int `json:"goroutines_changed"`
}

// String is the one-line summary: "2 regressions, 1 improvement, 3 new,
// 0 removed", with the changed channels, mutexes and goroutine sites
// after a semicolon when there are any: "; 1 channel, 2 mutexes changed".
func (s Summary) String() string {
	out := fmt.Sprintf("%s, %s, %d new, %d removed",
		plural(s.Regressions, "regression"), plural(s.Improvements, "improvement"), s.New, s.Removed)
	var changed []string
	if s.ChannelsChanged > 0 {
		changed = append(changed, plural(s.ChannelsChanged, "channel"))
	}
	if s.MutexesChanged > 0 {
		changed = append(changed, plural(s.MutexesChanged, "mutex"))
	}
	if s.GoroutinesChanged > 0 {
		changed = append(changed, plural(s.GoroutinesChanged, "goroutine site"))
	}
	if len(changed) > 0 {
		out += "; " + strings.Join(changed, ", ") + " changed"
	}
	return out
}

// plural counts a noun: "1 channel", "2 channels", "2 mutexes".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "x") {
		return fmt.Sprintf("%d %ses", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// Group compares the runs of one report name on both sides.
type Group struct {
	// Name is the report name (hotpath.Report.Name).
	Name string `json:"name"`
	// BaseName is set when a single base report was compared with a
	// single head report of another name.
	BaseName string `json:"base_name,omitempty"`
	BaseRuns int    `json:"base_runs"`
	HeadRuns int    `json:"head_runs"`
	// Tested is true when both sides have two runs or more, so that the
	// verdicts rest on a rank test and not on the threshold alone.
	Tested bool `json:"tested"`
	// Alloc is true when every report on both sides was made in
	// allocation mode, so that allocations were compared.
	Alloc     bool        `json:"alloc"`
	Functions []FuncDelta `json:"functions"`
	Channels  []ChanDelta `json:"channels"`
	// Mutexes and Goroutines compare the //hotpath:mutex and
	// //hotpath:go sites; empty when neither side has any.
	Mutexes    []MutexDelta `json:"mutexes"`
	Goroutines []GoDelta    `json:"goroutines"`
}

// FuncDelta compares one function or block.
type FuncDelta struct {
	Name    string  `json:"name"`
	Kind    string  `json:"kind"`
	Parent  string  `json:"parent,omitempty"`
	Verdict Verdict `json:"verdict"`
	// Reasons name what decided a regression or an improvement: the
	// metric ("avg", "p95", ...) and/or "alloc".
	Reasons []string `json:"reasons,omitempty"`
	// Base and Head are nil on the side where the row is missing.
	Base *FuncStats `json:"base,omitempty"`
	Head *FuncStats `json:"head,omitempty"`
	// Change is the metric's relative change, head/base - 1, when both
	// sides have it.
	Change float64 `json:"change"`
	// Test is the rank test of the metric's per-run values, when run.
	Test *UTest `json:"test,omitempty"`
	// AllocChange is the relative change of allocated bytes per call, when
	// compared and the base allocates.
	AllocChange float64 `json:"alloc_change,omitempty"`
	// CallsChanged is true when the median call counts differ. It is
	// reported, never judged: a test that does more work is not slower.
	CallsChanged bool `json:"calls_changed,omitempty"`
	// Notes explain a verdict that could not be reached normally.
	Notes []string `json:"notes,omitempty"`
}

// FuncStats is one side of a function row: medians over the runs in which
// the function ran.
type FuncStats struct {
	Runs    int     `json:"runs"`
	Calls   float64 `json:"calls"`
	AvgNS   float64 `json:"avg_ns"`
	TotalNS float64 `json:"total_ns"`
	// PercentileNS is the percentile Result.Percentile; absent when no run
	// reported it.
	PercentileNS *float64 `json:"percentile_ns,omitempty"`
	// AllocBytesPerCall and AllocObjectsPerCall are inclusive allocations
	// divided by calls, present when the group compares allocations.
	AllocBytesPerCall   *float64 `json:"alloc_bytes_per_call,omitempty"`
	AllocObjectsPerCall *float64 `json:"alloc_objects_per_call,omitempty"`
	// Values holds the metric of each run that timed a call, the sample
	// the rank test sees.
	Values []float64 `json:"values"`
}

// Compare compares the base reports with the head reports. Reports are
// matched by name; several reports of one name on a side are runs of it.
// When each side holds a single name, the two are compared whatever
// their names. See the package documentation for the rules.
func Compare(base, head []*hotpath.Report, opts Options) *Result {
	opts = opts.withDefaults()
	res := &Result{
		Metric:     opts.Metric,
		Percentile: "p95",
		Threshold:  opts.Threshold,
		Alpha:      opts.Alpha,
		Groups:     []Group{},
	}
	if opts.Metric.isPercentile() {
		res.Percentile = string(opts.Metric)
	}
	c := &comparer{opts: opts, res: res}
	for _, p := range pairByName(base, head) {
		g := c.group(p)
		res.Groups = append(res.Groups, g)
		for _, f := range g.Functions {
			c.count(f.Verdict, nil)
		}
		for _, ch := range g.Channels {
			c.count(ch.Verdict, &res.Summary.ChannelsChanged)
		}
		for _, m := range g.Mutexes {
			c.count(m.Verdict, &res.Summary.MutexesChanged)
		}
		for _, gd := range g.Goroutines {
			c.count(gd.Verdict, &res.Summary.GoroutinesChanged)
		}
	}
	return res
}

type comparer struct {
	opts Options
	res  *Result
}

// count adds a row of verdict v to the summary; changed is the count of
// its kind's Changed rows (functions have none).
func (c *comparer) count(v Verdict, changed *int) {
	s := &c.res.Summary
	switch v {
	case Regression:
		s.Regressions++
	case Improvement:
		s.Improvements++
	case New:
		s.New++
	case Removed:
		s.Removed++
	case Changed:
		*changed++
	}
}

func (c *comparer) warnf(format string, args ...any) {
	c.res.Warnings = append(c.res.Warnings, fmt.Sprintf(format, args...))
}

// pairing is the runs of one report name on both sides.
type pairing struct {
	name, baseName string
	base, head     []*hotpath.Report
}

func pairByName(base, head []*hotpath.Report) []pairing {
	bn, hn := byName(base), byName(head)
	if len(bn) == 1 && len(hn) == 1 {
		p := pairing{}
		for name, reps := range bn {
			p.baseName, p.base = name, reps
		}
		for name, reps := range hn {
			p.name, p.head = name, reps
		}
		if p.baseName == p.name {
			p.baseName = ""
		}
		return []pairing{p}
	}
	var names []string
	for name := range bn {
		names = append(names, name)
	}
	for name := range hn {
		if _, ok := bn[name]; !ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	ps := make([]pairing, len(names))
	for i, name := range names {
		ps[i] = pairing{name: name, base: bn[name], head: hn[name]}
	}
	return ps
}

func byName(reps []*hotpath.Report) map[string][]*hotpath.Report {
	m := map[string][]*hotpath.Report{}
	for _, r := range reps {
		if r != nil {
			m[r.Name] = append(m[r.Name], r)
		}
	}
	return m
}

func (c *comparer) group(p pairing) Group {
	g := Group{
		Name:       p.name,
		BaseName:   p.baseName,
		BaseRuns:   len(p.base),
		HeadRuns:   len(p.head),
		Functions:  []FuncDelta{},
		Channels:   []ChanDelta{},
		Mutexes:    []MutexDelta{},
		Goroutines: []GoDelta{},
	}
	both := g.BaseRuns > 0 && g.HeadRuns > 0
	g.Tested = g.BaseRuns >= 2 && g.HeadRuns >= 2
	if g.Tested {
		// With no ties, the most extreme of the C(n1+n2, n1) orderings has
		// the smallest p-value there is.
		if floor := 2 / binomial(g.BaseRuns+g.HeadRuns, g.BaseRuns); floor >= c.opts.Alpha {
			c.warnf("%s: with %d base and %d head runs no p-value can go below %.3g, so nothing can reach alpha %g; use 4 runs a side or more",
				p.name, g.BaseRuns, g.HeadRuns, floor, c.opts.Alpha)
		}
	}
	if m := c.opts.Metric; m.isPercentile() {
		for _, r := range append(slices.Clone(p.base), p.head...) {
			if !slices.ContainsFunc(r.Percentiles, func(q float64) bool { return names.PercentileKey(q) == string(m) }) {
				c.warnf("%s: a report has no %s (it has %s); pick a percentile the guards report", p.name, m, percentileList(r.Percentiles))
				break
			}
		}
	}
	allocB, anyB := allocMode(p.base)
	allocH, anyH := allocMode(p.head)
	g.Alloc = both && allocB && allocH
	if both && !g.Alloc && (anyB || anyH) {
		c.warnf("%s: allocation mode was on in some reports only; allocations are not compared", p.name)
	}

	bf, hf := collectFuncs(p.base, c.opts.Metric, c.res.Percentile), collectFuncs(p.head, c.opts.Metric, c.res.Percentile)
	for _, k := range unionKeys(bf, hf) {
		g.Functions = append(g.Functions, c.judgeFunc(g, bf.rows[k], hf.rows[k]))
	}
	slices.SortStableFunc(g.Functions, func(a, b FuncDelta) int {
		return cmp.Or(
			cmp.Compare(a.Verdict.rank(), b.Verdict.rank()),
			cmp.Compare(b.weight(), a.weight()),
			strings.Compare(a.Name, b.Name),
			strings.Compare(a.Kind, b.Kind),
		)
	})

	bc, hc := collectChans(p.base), collectChans(p.head)
	for _, k := range unionKeys(bc, hc) {
		g.Channels = append(g.Channels, c.judgeChan(g, bc.rows[k], hc.rows[k]))
	}
	slices.SortStableFunc(g.Channels, func(a, b ChanDelta) int {
		return byVerdictLabel(a.Verdict, b.Verdict, a.Label, b.Label)
	})

	bm, hm := collectMutexes(p.base), collectMutexes(p.head)
	for _, k := range unionKeys(bm, hm) {
		g.Mutexes = append(g.Mutexes, c.judgeMutex(g, bm.rows[k], hm.rows[k]))
	}
	slices.SortStableFunc(g.Mutexes, func(a, b MutexDelta) int {
		return byVerdictLabel(a.Verdict, b.Verdict, a.Label, b.Label)
	})

	bg, hg := collectGoroutines(p.base), collectGoroutines(p.head)
	for _, k := range unionKeys(bg, hg) {
		g.Goroutines = append(g.Goroutines, c.judgeGo(g, bg.rows[k], hg.rows[k]))
	}
	slices.SortStableFunc(g.Goroutines, func(a, b GoDelta) int {
		return byVerdictLabel(a.Verdict, b.Verdict, a.Label, b.Label)
	})
	return g
}

// byVerdictLabel orders the rows of sites (channels, mutexes, goroutines):
// what needs attention first, then by label.
func byVerdictLabel(va, vb Verdict, la, lb string) int {
	return cmp.Or(cmp.Compare(va.rank(), vb.rank()), strings.Compare(la, lb))
}

// weight orders rows of one verdict: regressions and improvements by the
// size of the change, the others by time.
func (d *FuncDelta) weight() float64 {
	if d.Verdict == Regression || d.Verdict == Improvement {
		return abs(d.Change) + abs(d.AllocChange)
	}
	return d.total()
}

// total is the row's time for ordering: the head's, or the base's when
// the row was removed.
func (d *FuncDelta) total() float64 {
	if d.Head != nil {
		return d.Head.TotalNS
	}
	return d.Base.TotalNS
}

func allocMode(reps []*hotpath.Report) (all, any bool) {
	all = len(reps) > 0
	for _, r := range reps {
		all = all && r.Alloc
		any = any || r.Alloc
	}
	return all, any
}

func (c *comparer) judgeFunc(g Group, b, h *funcRuns) FuncDelta {
	row := cmp.Or(h, b)
	d := FuncDelta{Name: row.name, Kind: row.kind, Parent: row.parent, Verdict: Unchanged}
	d.Base, d.Head = b.stats(g.Alloc), h.stats(g.Alloc)
	switch {
	case b == nil:
		d.Verdict = New
		return d
	case h == nil:
		d.Verdict = Removed
		return d
	}
	if n := g.BaseRuns; b.runs < n {
		d.note("ran in %d of %d base runs", b.runs, n)
	}
	if n := g.HeadRuns; h.runs < n {
		d.note("ran in %d of %d head runs", h.runs, n)
	}
	d.CallsChanged = d.Base.Calls != d.Head.Calls

	timing := c.judgeTiming(g, &d, b.metric, h.metric)
	alloc := Unchanged
	if g.Alloc {
		alloc = c.judgeAlloc(&d)
	}
	switch {
	case timing == Regression || alloc == Regression:
		d.Verdict = Regression
		d.Reasons = reasons(timing, alloc, Regression, string(c.opts.Metric))
	case timing == Improvement || alloc == Improvement:
		d.Verdict = Improvement
		d.Reasons = reasons(timing, alloc, Improvement, string(c.opts.Metric))
	}
	return d
}

func reasons(timing, alloc, v Verdict, metric string) []string {
	var rs []string
	if timing == v {
		rs = append(rs, metric)
	}
	if alloc == v {
		rs = append(rs, "alloc")
	}
	return rs
}

// judgeTiming applies the timing rule to the metric's per-run values.
func (c *comparer) judgeTiming(g Group, d *FuncDelta, bv, hv []float64) Verdict {
	if len(bv) == 0 || len(hv) == 0 {
		if c.opts.Metric.isPercentile() {
			d.note("%s missing from the base or the head reports", c.opts.Metric)
		} else {
			d.note("no timed calls on one side")
		}
		return Unchanged
	}
	mb, mh := median(bv), median(hv)
	if mb <= 0 {
		d.note("base %s is 0", c.opts.Metric)
		return Unchanged
	}
	d.Change = mh/mb - 1
	significant := true
	if g.Tested {
		if len(bv) < 2 || len(hv) < 2 {
			d.note("too few runs with timed calls to test")
			return Unchanged
		}
		t := MannWhitney(bv, hv)
		d.Test = &t
		significant = t.P < c.opts.Alpha
	}
	return c.direction(d.Change, significant)
}

func (c *comparer) direction(change float64, significant bool) Verdict {
	switch {
	case !significant:
		return Unchanged
	case c.past(change):
		return Regression
	case c.past(-change):
		return Improvement
	}
	return Unchanged
}

// past reports whether a relative change exceeds the threshold. The slack
// keeps a change of exactly the threshold, 1100 against 1000 with 10%,
// from counting through rounding (1100/1000-1 is 0.10000000000000009).
func (c *comparer) past(change float64) bool {
	return change-c.opts.Threshold > 1e-9
}

// judgeAlloc applies the allocation rule: threshold and floor, no test,
// since the same work allocates the same bytes.
func (c *comparer) judgeAlloc(d *FuncDelta) Verdict {
	pb, ph := d.Base.AllocBytesPerCall, d.Head.AllocBytesPerCall
	if pb == nil || ph == nil {
		return Unchanged
	}
	ab, ah := *pb, *ph
	if ab > 0 {
		d.AllocChange = ah/ab - 1
	}
	switch {
	case ah-ab >= allocFloor && (ab == 0 || c.past(d.AllocChange)):
		return Regression
	case ab-ah >= allocFloor && c.past(-d.AllocChange):
		return Improvement
	}
	return Unchanged
}

func (d *FuncDelta) note(format string, args ...any) {
	d.Notes = append(d.Notes, fmt.Sprintf(format, args...))
}

// funcKey identifies a function row across reports: a block and a
// function may share a name.
type funcKey struct{ kind, name string }

// funcRuns is one function's rows over the runs of one side.
type funcRuns struct {
	name, kind, parent string
	runs               int
	calls, avg, total  []float64
	pct                []float64
	metric             []float64
	allocBytes         []float64 // per call
	allocObjects       []float64 // per call
}

func (r *funcRuns) stats(alloc bool) *FuncStats {
	if r == nil {
		return nil
	}
	s := &FuncStats{
		Runs:    r.runs,
		Calls:   median(r.calls),
		AvgNS:   median(r.avg),
		TotalNS: median(r.total),
		Values:  r.metric,
	}
	if s.Values == nil {
		s.Values = []float64{}
	}
	if len(r.pct) > 0 {
		s.PercentileNS = ptr(median(r.pct))
	}
	if alloc && len(r.allocBytes) > 0 {
		s.AllocBytesPerCall = ptr(median(r.allocBytes))
		s.AllocObjectsPerCall = ptr(median(r.allocObjects))
	}
	return s
}

// keyed is rows of one side by key, in first-seen order.
type keyed[K comparable, V any] struct {
	keys []K
	rows map[K]V
}

func (k *keyed[K, V]) get(key K, create func() V) V {
	if v, ok := k.rows[key]; ok {
		return v
	}
	v := create()
	k.rows[key] = v
	k.keys = append(k.keys, key)
	return v
}

func unionKeys[K comparable, V any](a, b keyed[K, V]) []K {
	keys := slices.Clone(a.keys)
	for _, k := range b.keys {
		if _, ok := a.rows[k]; !ok {
			keys = append(keys, k)
		}
	}
	return keys
}

func collectFuncs(reps []*hotpath.Report, metric Metric, pctKey string) keyed[funcKey, *funcRuns] {
	out := keyed[funcKey, *funcRuns]{rows: map[funcKey]*funcRuns{}}
	for _, rep := range reps {
		seen := map[funcKey]bool{}
		for i := range rep.Functions {
			row := &rep.Functions[i]
			k := funcKey{row.Kind, row.Name}
			if seen[k] {
				continue // one row per run; a report never repeats one
			}
			seen[k] = true
			r := out.get(k, func() *funcRuns { return &funcRuns{name: row.Name, kind: row.Kind, parent: row.Parent} })
			r.add(row, rep.Alloc, metric, pctKey)
		}
	}
	return out
}

func (r *funcRuns) add(row *hotpath.FuncRow, alloc bool, metric Metric, pctKey string) {
	r.runs++
	r.calls = append(r.calls, float64(row.Calls))
	r.total = append(r.total, float64(row.TotalNS))
	r.avg = append(r.avg, float64(row.AvgNS))
	if row.Timed > 0 {
		p, ok := row.Percentiles[pctKey]
		if ok {
			r.pct = append(r.pct, float64(p))
		}
		switch metric {
		case MetricAvg:
			r.metric = append(r.metric, float64(row.AvgNS))
		case MetricTotal:
			r.metric = append(r.metric, float64(row.TotalNS))
		default:
			if ok {
				r.metric = append(r.metric, float64(p))
			}
		}
	}
	if alloc && row.Calls > 0 {
		b, o := allocOf(row)
		r.allocBytes = append(r.allocBytes, b/float64(row.Calls))
		r.allocObjects = append(r.allocObjects, o/float64(row.Calls))
	}
}

func percentileList(ps []float64) string {
	if len(ps) == 0 {
		return "none"
	}
	keys := make([]string, len(ps))
	for i, p := range ps {
		keys[i] = names.PercentileKey(p)
	}
	return strings.Join(keys, ", ")
}

func ptr(v float64) *float64 { return &v }

func abs(v float64) float64 { return max(v, -v) }

// allocOf returns a row's inclusive allocated bytes and objects.
func allocOf(row *hotpath.FuncRow) (bytes, objects float64) {
	return float64(row.AllocBytes), float64(row.AllocObjects)
}

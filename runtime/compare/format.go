package compare

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/hotpath-go/hotpath/internal/textfmt"
	"github.com/hotpath-go/hotpath/runtime/internal/names"
)

// WriteJSON writes the result as indented JSON. Numbers are raw:
// nanoseconds, counts, bytes, and changes as fractions (0.25 is +25%).
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// rules says how the verdicts were reached, one sentence a line.
func (r *Result) rules() []string {
	thr := percent(r.Threshold)
	return []string{
		fmt.Sprintf("%s decides timing: a change counts past ±%s with p < %s "+
			"(two-sided Mann–Whitney U over the runs; the threshold alone with 1 run a side).",
			r.metricTitle(), thr, strconv.FormatFloat(r.Alpha, 'g', -1, 64)),
		fmt.Sprintf("Allocated bytes per call count past ±%s and %d B; call counts, channels, mutexes and goroutines never regress.", thr, allocFloor),
		fmt.Sprintf("A channel's blocked time and a mutex's wait change past ±%s by the same test; a goroutine site changes when its goroutines start or stop panicking.", thr),
	}
}

func (r *Result) metricTitle() string {
	switch r.Metric {
	case MetricAvg:
		return "Avg per call"
	case MetricTotal:
		return "Total time"
	}
	return strings.ToUpper(string(r.Metric)) + " per call"
}

// runs describes a group's sample: "5 base runs, 5 head runs".
func (g *Group) runs() string {
	s := fmt.Sprintf("%s, %s", plural(g.BaseRuns, "base run"), plural(g.HeadRuns, "head run"))
	if g.BaseRuns > 0 && g.HeadRuns > 0 && !g.Tested {
		s += ": threshold only, not significance-tested"
	}
	return s
}

// title names a group, with both names when two differently named
// reports were compared.
func (g *Group) title() string {
	if g.BaseName != "" {
		return g.BaseName + " → " + g.Name
	}
	return g.Name
}

func (g *Group) changed() bool {
	for _, f := range g.Functions {
		if f.Verdict != Unchanged {
			return true
		}
	}
	for _, c := range g.Channels {
		if c.Verdict != Unchanged {
			return true
		}
	}
	for _, m := range g.Mutexes {
		if m.Verdict != Unchanged {
			return true
		}
	}
	for _, gd := range g.Goroutines {
		if gd.Verdict != Unchanged {
			return true
		}
	}
	return false
}

// signedPercent shows a relative change with one decimal: +25.0%, -3.1%,
// and ±0.0% for what rounds to nothing either way.
func signedPercent(f float64) string {
	if math.Abs(f) < 0.0005 {
		return "±0.0%"
	}
	return fmt.Sprintf("%+.1f%%", f*100)
}

func percent(f float64) string {
	return strconv.FormatFloat(math.Round(f*1000)/10, 'f', -1, 64) + "%"
}

// displayName is how a row is shown: a block with its enclosing function
// after an @, as the runtime's tables show it, and a function without the
// import path's directories (names.ShortLabel).
func (d *FuncDelta) displayName() string {
	return names.ShortLabel(d.Name, d.Kind == "block", d.Parent)
}

func (d *FuncDelta) verdictText() string {
	switch d.Verdict {
	case Unchanged:
		return "~"
	case Regression, Improvement:
		return string(d.Verdict) + " (" + strings.Join(d.Reasons, ", ") + ")"
	}
	return string(d.Verdict)
}

func (d *ChanDelta) verdictText() string {
	if d.Verdict == Unchanged {
		return "~"
	}
	return string(d.Verdict)
}

func pText(t *UTest) string {
	if t == nil {
		return "—"
	}
	if t.P < 0.001 {
		return "<0.001"
	}
	return strconv.FormatFloat(t.P, 'f', 3, 64)
}

// side is one side's value of a cell, absent when the row is missing there.
type side struct {
	v  float64
	ok bool
}

func delta(b, h side, format func(float64) string) string {
	switch {
	case !b.ok && !h.ok:
		return "—"
	case !b.ok:
		return format(h.v)
	case !h.ok:
		return format(b.v)
	case b.v == h.v:
		return format(b.v)
	}
	s := format(b.v) + " → " + format(h.v)
	if b.v != 0 {
		s += " (" + signedPercent(h.v/b.v-1) + ")"
	}
	return s
}

func funcCell(d *FuncDelta, get func(*FuncStats) (float64, bool), format func(float64) string) string {
	var b, h side
	if d.Base != nil {
		b.v, b.ok = get(d.Base)
	}
	if d.Head != nil {
		h.v, h.ok = get(d.Head)
	}
	return delta(b, h, format)
}

// siteCell is a cell of a channel, mutex or goroutine row, whose sides
// are nil where the row is missing.
func siteCell[S any](base, head *S, get func(*S) float64, format func(float64) string) string {
	var b, h side
	if base != nil {
		b = side{get(base), true}
	}
	if head != nil {
		h = side{get(head), true}
	}
	return delta(b, h, format)
}

func fmtDuration(v float64) string { return textfmt.Duration(int64(math.Round(v))) }

func fmtCount(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// fmtPerCall shows a per-call amount with one decimal, as medians of
// per-call ratios are rarely whole.
func fmtPerCall(v float64) string {
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

func fmtBytesPerCall(v float64) string {
	if v >= 1024 {
		return textfmt.Bytes(int64(math.Round(v)))
	}
	return fmtPerCall(v) + " B"
}

// funcColumns is the header and the cells of a function table.
func (r *Result) funcColumns(g *Group) []string {
	cols := []string{"Function", "Calls", "Avg", strings.ToUpper(r.Percentile), "Total"}
	if g.Alloc {
		cols = append(cols, "Alloc/call", "Objects/call")
	}
	return append(cols, "p", "Verdict")
}

func (r *Result) funcCells(g *Group, d *FuncDelta, name string) []string {
	cells := []string{
		name,
		funcCell(d, func(s *FuncStats) (float64, bool) { return s.Calls, true }, fmtCount),
		funcCell(d, func(s *FuncStats) (float64, bool) { return s.AvgNS, true }, fmtDuration),
		funcCell(d, func(s *FuncStats) (float64, bool) { return deref(s.PercentileNS) }, fmtDuration),
		funcCell(d, func(s *FuncStats) (float64, bool) { return s.TotalNS, true }, fmtDuration),
	}
	if g.Alloc {
		cells = append(cells,
			funcCell(d, func(s *FuncStats) (float64, bool) { return deref(s.AllocBytesPerCall) }, fmtBytesPerCall),
			funcCell(d, func(s *FuncStats) (float64, bool) { return deref(s.AllocObjectsPerCall) }, fmtPerCall),
		)
	}
	return append(cells, pText(d.Test), d.verdictText())
}

// chanTextColumns is how many leading columns of a channel table hold
// text (label, type) rather than numbers.
const chanTextColumns = 2

var chanColumns = []string{"Channel", "Type", "Cap", "Sent", "Received", "Send blocked", "Recv blocked", "Blocked time", "p", "Verdict"}

func chanCells(d *ChanDelta, name string) []string {
	return []string{
		name,
		d.Type,
		strconv.Itoa(d.Capacity),
		siteCell(d.Base, d.Head, func(s *ChanStats) float64 { return s.Sent }, fmtCount),
		siteCell(d.Base, d.Head, func(s *ChanStats) float64 { return s.Received }, fmtCount),
		siteCell(d.Base, d.Head, func(s *ChanStats) float64 { return s.SendBlocked }, fmtCount),
		siteCell(d.Base, d.Head, func(s *ChanStats) float64 { return s.RecvBlocked }, fmtCount),
		siteCell(d.Base, d.Head, func(s *ChanStats) float64 { return s.BlockedNS }, fmtDuration),
		pText(d.Test),
		d.verdictText(),
	}
}

// mutexTextColumns is how many leading columns of a mutex table hold
// text (label, type).
const mutexTextColumns = 2

var mutexColumns = []string{"Mutex", "Type", "Locks", "RLocks", "Contended", "Wait", "Held", "p", "Verdict"}

func mutexCells(d *MutexDelta, name string) []string {
	cell := func(get func(*MutexStats) float64, format func(float64) string) string {
		return siteCell(d.Base, d.Head, get, format)
	}
	rlocks := "—" // a sync.Mutex has no read locks
	if d.Type == "sync.RWMutex" || d.Base != nil && d.Base.RLocks != 0 || d.Head != nil && d.Head.RLocks != 0 {
		rlocks = cell(func(s *MutexStats) float64 { return s.RLocks }, fmtCount)
	}
	return []string{
		name,
		d.Type,
		cell(func(s *MutexStats) float64 { return s.Locks }, fmtCount),
		rlocks,
		cell(func(s *MutexStats) float64 { return s.Contended }, fmtCount),
		cell(func(s *MutexStats) float64 { return s.WaitNS }, fmtDuration),
		cell(func(s *MutexStats) float64 { return s.HoldNS }, fmtDuration),
		pText(d.Test),
		d.verdictText(),
	}
}

// goColumns: "Panicked runs" counts the runs in which a goroutine of the
// site panicked, what the verdict looks at (a median of the panics would
// be 0 for a panic in one run of five).
var goColumns = []string{"Goroutine", "Started", "Panicked runs", "Alive", "Peak", "Avg life", "Total life", "Verdict"}

func goCells(d *GoDelta, name string) []string {
	cell := func(get func(*GoStats) float64, format func(float64) string) string {
		return siteCell(d.Base, d.Head, get, format)
	}
	return []string{
		name,
		cell(func(s *GoStats) float64 { return s.Started }, fmtCount),
		cell(func(s *GoStats) float64 { return float64(s.PanickedRuns) }, fmtCount),
		cell(func(s *GoStats) float64 { return s.Alive }, fmtCount),
		cell(func(s *GoStats) float64 { return s.PeakAlive }, fmtCount),
		cell(func(s *GoStats) float64 { return s.LifetimeAvgNS }, fmtDuration),
		cell(func(s *GoStats) float64 { return s.LifetimeTotalNS }, fmtDuration),
		d.verdictText(),
	}
}

func deref(p *float64) (float64, bool) {
	if p == nil {
		return 0, false
	}
	return *p, true
}

package hotpath

import (
	"math"
	"sort"

	"github.com/hotpath-go/hotpath/runtime/internal/core"
)

// liveEvent is one message of the event stream and the page's data: the
// totals since the process started and the deltas of the interval since
// the stream's previous event (all zero in the first). runtime/live
// exports the same document as live.Event for clients.
type liveEvent struct {
	TimeUnixMS  int64       `json:"time_unix_ms"`
	UptimeNS    int64       `json:"uptime_ns"`
	IntervalNS  int64       `json:"interval_ns"`
	Guards      int         `json:"guards"`
	SampleEvery int         `json:"sample_every"`
	Estimated   bool        `json:"calls_estimated,omitempty"`
	Alloc       bool        `json:"alloc"`
	Functions   []liveFunc  `json:"functions"`
	Channels    []liveChan  `json:"channels"`
	Allocations []liveAlloc `json:"allocations,omitempty"`
	Goroutines  []liveGo    `json:"goroutines"`
	Mutexes     []liveMutex `json:"mutexes"`
}

type liveFunc struct {
	Name     string           `json:"name"`
	Kind     string           `json:"kind"`
	Parent   string           `json:"parent,omitempty"`
	Display  string           `json:"display"`
	File     string           `json:"file"`
	Line     int              `json:"line"`
	Calls    uint64           `json:"calls"`
	TotalNS  int64            `json:"total_ns"`
	AvgNS    int64            `json:"avg_ns"`
	MaxNS    int64            `json:"max_ns"`
	Interval liveFuncInterval `json:"interval"`
}

type liveFuncInterval struct {
	Calls       uint64  `json:"calls"`
	TotalNS     int64   `json:"total_ns"`
	CallsPerSec float64 `json:"calls_per_s"`
	P50NS       int64   `json:"p50_ns"`
	P99NS       int64   `json:"p99_ns"`
}

type liveChan struct {
	Label         string           `json:"label"`
	Type          string           `json:"type"`
	Site          string           `json:"site"`
	Capacity      int              `json:"capacity"`
	Created       uint64           `json:"created"`
	Sent          uint64           `json:"sent"`
	Received      uint64           `json:"received"`
	Closed        uint64           `json:"closed"`
	MaxDepth      int              `json:"max_depth"`
	SendBlocked   uint64           `json:"send_blocked"`
	RecvBlocked   uint64           `json:"recv_blocked"`
	SendBlockedNS int64            `json:"send_blocked_ns"`
	RecvBlockedNS int64            `json:"recv_blocked_ns"`
	Interval      liveChanInterval `json:"interval"`
}

type liveChanInterval struct {
	Sent          uint64  `json:"sent"`
	Received      uint64  `json:"received"`
	SentPerSec    float64 `json:"sent_per_s"`
	RecvPerSec    float64 `json:"recv_per_s"`
	SendBlockedNS int64   `json:"send_blocked_ns"`
	RecvBlockedNS int64   `json:"recv_blocked_ns"`
	P99BlockedNS  int64   `json:"p99_blocked_ns"`
	MaxDepth      int     `json:"max_depth"`
}

type liveAlloc struct {
	Name             string `json:"name"`
	Kind             string `json:"kind"`
	Parent           string `json:"parent,omitempty"`
	Display          string `json:"display"`
	Calls            uint64 `json:"calls"`
	AllocBytes       int64  `json:"alloc_bytes"`
	AllocObjects     int64  `json:"alloc_objects"`
	SelfAllocBytes   int64  `json:"self_alloc_bytes"`
	SelfAllocObjects int64  `json:"self_alloc_objects"`
}

type liveGo struct {
	Label         string         `json:"label"`
	Func          string         `json:"func"`
	Site          string         `json:"site"`
	Started       uint64         `json:"started"`
	Finished      uint64         `json:"finished"`
	Panicked      uint64         `json:"panicked"`
	Alive         int64          `json:"alive"`
	PeakAlive     int64          `json:"peak_alive"`
	LifetimeAvgNS int64          `json:"lifetime_avg_ns"`
	Interval      liveGoInterval `json:"interval"`
}

type liveGoInterval struct {
	Started       uint64  `json:"started"`
	Ended         uint64  `json:"ended"`
	StartedPerSec float64 `json:"started_per_s"`
	LifetimeAvgNS int64   `json:"lifetime_avg_ns"`
	LifetimeP50NS int64   `json:"lifetime_p50_ns"`
	LifetimeP99NS int64   `json:"lifetime_p99_ns"`
}

type liveMutex struct {
	Label    string            `json:"label"`
	Type     string            `json:"type"`
	Site     string            `json:"site"`
	Lock     liveMutexMode     `json:"lock"`
	RLock    *liveMutexMode    `json:"rlock,omitempty"`
	Interval liveMutexInterval `json:"interval"`
}

type liveMutexMode struct {
	Acquisitions uint64 `json:"acquisitions"`
	Contended    uint64 `json:"contended"`
	WaitNS       int64  `json:"wait_ns"`
	HoldNS       int64  `json:"hold_ns"`
}

type liveMutexInterval struct {
	Acquisitions     uint64  `json:"acquisitions"`
	AcquisitionsPerS float64 `json:"acquisitions_per_s"`
	Contended        uint64  `json:"contended"`
	WaitNS           int64   `json:"wait_ns"`
	WaitP99NS        int64   `json:"wait_p99_ns"`
	HoldP99NS        int64   `json:"hold_p99_ns"`
}

// scaledTotal scales a sampled total up to every call, as reports do.
func scaledTotal(total int64, calls, timed uint64) int64 {
	if timed == 0 {
		return 0
	}
	if calls > timed {
		return int64(math.Round(float64(total) * float64(calls) / float64(timed)))
	}
	return total
}

func rowDisplay(name, kind, parent string) string {
	r := FuncRow{Name: name, Kind: kind, Parent: parent}
	return r.displayName()
}

type liveKey struct{ name, parent string }

// buildLiveEvent describes cur, with the deltas since prev (nil: none, the
// stream's first event).
func buildLiveEvent(prev, cur *Snapshot) *liveEvent {
	ev := &liveEvent{
		TimeUnixMS:  cur.Time().UnixMilli(),
		UptimeNS:    int64(cur.Time().Sub(processStart)),
		Guards:      liveGuardCount(),
		SampleEvery: core.SampleEvery(),
		Estimated:   core.SampleEstimated(),
		Functions:   []liveFunc{},
		Channels:    []liveChan{},
		Goroutines:  []liveGo{},
		Mutexes:     []liveMutex{},
	}
	var secs float64
	deltaFuncs := map[liveKey]FuncStats{}
	deltaChans := map[liveKey]ChanStats{}
	if prev != nil {
		iv := cur.Time().Sub(prev.Time())
		ev.IntervalNS = int64(iv)
		secs = iv.Seconds()
		for _, f := range cur.Funcs(prev) {
			deltaFuncs[liveKey{f.Name, f.Parent}] = f
		}
		for _, c := range cur.Chans(prev) {
			deltaChans[liveKey{c.Label, c.Site}] = c
		}
	}
	perSec := func(n uint64) float64 {
		if secs <= 0 {
			return 0
		}
		return float64(n) / secs
	}
	for _, f := range cur.Funcs(nil) {
		row := liveFunc{
			Name: f.Name, Kind: f.Kind, Parent: f.Parent, Display: rowDisplay(f.Name, f.Kind, f.Parent),
			File: f.File, Line: f.Line, Calls: f.Calls, TotalNS: scaledTotal(f.TotalNS, f.Calls, f.Timed), MaxNS: f.MaxNS,
		}
		if f.Timed > 0 {
			row.AvgNS = f.TotalNS / int64(f.Timed)
		}
		if d, ok := deltaFuncs[liveKey{f.Name, f.Parent}]; ok {
			row.Interval = liveFuncInterval{
				Calls:       d.Calls,
				TotalNS:     scaledTotal(d.TotalNS, d.Calls, d.Timed),
				CallsPerSec: perSec(d.Calls),
			}
			if d.Timed > 0 {
				q := quantiles(d.Durations, 50, 99)
				row.Interval.P50NS, row.Interval.P99NS = min(max(q[0], d.MinNS), d.MaxNS), min(max(q[1], d.MinNS), d.MaxNS)
			}
		}
		ev.Functions = append(ev.Functions, row)
	}
	sort.SliceStable(ev.Functions, func(i, j int) bool {
		a, b := &ev.Functions[i], &ev.Functions[j]
		if a.TotalNS != b.TotalNS {
			return a.TotalNS > b.TotalNS
		}
		return a.Display < b.Display
	})
	for _, c := range cur.Chans(nil) {
		row := liveChan{
			Label: c.Label, Type: c.Type, Site: c.Site, Capacity: c.Capacity,
			Created: c.Created, Sent: c.Sent, Received: c.Received, Closed: c.Closed, MaxDepth: c.MaxDepth,
			SendBlocked: c.SendBlocked.Count, RecvBlocked: c.RecvBlocked.Count,
			SendBlockedNS: c.SendBlocked.TotalNS, RecvBlockedNS: c.RecvBlocked.TotalNS,
		}
		if d, ok := deltaChans[liveKey{c.Label, c.Site}]; ok {
			row.Interval = liveChanInterval{
				Sent: d.Sent, Received: d.Received, SentPerSec: perSec(d.Sent), RecvPerSec: perSec(d.Received),
				SendBlockedNS: d.SendBlocked.TotalNS, RecvBlockedNS: d.RecvBlocked.TotalNS, MaxDepth: d.MaxDepth,
				P99BlockedNS: max(quantiles(d.SendBlocked.Durations, 99)[0], quantiles(d.RecvBlocked.Durations, 99)[0]),
			}
		}
		ev.Channels = append(ev.Channels, row)
	}
	ev.Goroutines = liveGoRows(prev, cur, perSec)
	ev.Mutexes = liveMutexRows(prev, cur, perSec)
	if g := liveAllocGuard(); g != nil {
		ev.Alloc = true
		ev.Allocations = liveAllocRows(g.Snapshot())
	}
	return ev
}

// liveRowOpts selects every site, with the percentiles the event shows.
var liveRowOpts = resolved{
	Options: Options{Percentiles: []float64{50, 99}},
	focus:   func(string) bool { return true },
}

type siteKey struct{ label, site string }

// liveGoRows lists the //hotpath:go sites that started or ended a
// goroutine since the process started, by label, with the interval since
// prev (nil: no interval).
func liveGoRows(prev, cur *Snapshot, perSec func(uint64) float64) []liveGo {
	var iv map[siteKey]*GoRow
	if prev != nil {
		d := cur.goroutineRows(prev, liveRowOpts)
		iv = make(map[siteKey]*GoRow, len(d))
		for i := range d {
			iv[siteKey{d[i].Label, d[i].Site}] = &d[i]
		}
	}
	out := []liveGo{}
	for _, g := range cur.goroutineRows(nil, liveRowOpts) {
		row := liveGo{
			Label: g.Label, Func: g.Func, Site: g.Site,
			Started: g.Started, Finished: g.Finished, Panicked: g.Panicked,
			Alive: g.Alive, PeakAlive: g.PeakAlive, LifetimeAvgNS: g.LifetimeAvgNS,
		}
		if d := iv[siteKey{g.Label, g.Site}]; d != nil {
			row.Interval = liveGoInterval{
				Started: d.Started, Ended: d.Finished + d.Panicked, StartedPerSec: perSec(d.Started),
				LifetimeAvgNS: d.LifetimeAvgNS,
				LifetimeP50NS: d.LifetimePercentiles["p50"], LifetimeP99NS: d.LifetimePercentiles["p99"],
			}
		}
		out = append(out, row)
	}
	return out
}

// liveMutexRows lists the //hotpath:mutex sites locked since the process
// started, by label, with the interval since prev (nil: no interval).
func liveMutexRows(prev, cur *Snapshot, perSec func(uint64) float64) []liveMutex {
	var iv map[siteKey]*MutexRow
	if prev != nil {
		d := mutexRows(liveRowOpts, cur.mutex, prev.mutex)
		iv = make(map[siteKey]*MutexRow, len(d))
		for i := range d {
			iv[siteKey{d[i].Label, d[i].Site}] = &d[i]
		}
	}
	mode := func(s *MutexStats) liveMutexMode {
		return liveMutexMode{Acquisitions: s.Acquisitions, Contended: s.Contended, WaitNS: s.Wait.TotalNS, HoldNS: s.Hold.TotalNS}
	}
	out := []liveMutex{}
	for _, m := range mutexRows(liveRowOpts, cur.mutex, nil) {
		row := liveMutex{Label: m.Label, Type: m.Type, Site: m.Site, Lock: mode(&m.Lock)}
		if m.RLock != nil {
			r := mode(m.RLock)
			row.RLock = &r
		}
		if d := iv[siteKey{m.Label, m.Site}]; d != nil {
			// Both modes together: the acquisitions add up, the p99s
			// are the larger of the two modes'.
			modes := []*MutexStats{&d.Lock}
			if d.RLock != nil {
				modes = append(modes, d.RLock)
			}
			var in liveMutexInterval
			for _, s := range modes {
				in.Acquisitions += s.Acquisitions
				in.Contended += s.Contended
				in.WaitNS += s.Wait.TotalNS
				in.WaitP99NS = max(in.WaitP99NS, s.Wait.Percentiles["p99"])
				in.HoldP99NS = max(in.HoldP99NS, s.Hold.Percentiles["p99"])
			}
			in.AcquisitionsPerS = perSec(in.Acquisitions)
			row.Interval = in
		}
		out = append(out, row)
	}
	return out
}

// liveAllocRows lists the functions that allocated in an allocation-mode
// guard's window, most bytes first.
func liveAllocRows(rep *Report) []liveAlloc {
	out := []liveAlloc{}
	if rep == nil {
		return out
	}
	for i := range rep.Functions {
		f := &rep.Functions[i]
		if f.AllocBytes == 0 && f.AllocObjects == 0 {
			continue
		}
		out = append(out, liveAlloc{
			Name: f.Name, Kind: f.Kind, Parent: f.Parent, Display: f.displayName(), Calls: f.Calls,
			AllocBytes: f.AllocBytes, AllocObjects: f.AllocObjects,
			SelfAllocBytes: f.SelfAllocBytes, SelfAllocObjects: f.SelfAllocObjects,
		})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].AllocBytes > out[j].AllocBytes })
	return out
}

// quantiles returns the values at the percentiles qs (ascending, 0..100)
// as Histogram.ValueAtQuantile answers them, the highest value of the
// bucket that holds each, in one walk over the non-empty buckets and
// without building a full histogram: the event stream asks for two per
// row and interval.
func quantiles(h Histogram, qs ...float64) []int64 {
	out := make([]int64, len(qs))
	total := h.Count()
	if total == 0 {
		return out
	}
	want := make([]uint64, len(qs))
	for i, q := range qs {
		want[i] = max(uint64(q/100*float64(total)+0.5), 1)
	}
	var seen uint64
	i := 0
	for b := range h.Buckets() {
		seen += b.Count
		for i < len(qs) && seen >= want[i] {
			out[i] = b.High
			i++
		}
		if i == len(qs) {
			break
		}
	}
	return out
}

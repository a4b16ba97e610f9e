package core

// What package hotpath reads to build snapshots, reports, the live view and
// pprof profiles. Nothing here is called on the hot path.

// Funcs returns every Func that has been called; the slice is never mutated
// after it is returned.
func Funcs() []*Func { return registry.list() }

// ChanSites returns every ChanSite that has made a channel.
func ChanSites() []*ChanSite { return chanSites.list() }

// State returns f's numbers, nil until f is first called.
func (f *Func) State() *FuncState { return f.state.Load() }

// State returns s's numbers, nil until s makes its first channel.
func (s *ChanSite) State() *ChanState { return s.state.Load() }

// CallCount returns the calls counted so far (see callCount).
func (st *FuncState) CallCount() uint64 { return st.callCount() }

// Snapshot returns st's numbers now (see snapshot).
func (st *FuncState) Snapshot() FuncSnapshot { return st.snapshot() }

// Calls returns the calls counted, timed or not.
func (s FuncSnapshot) Calls() uint64 { return s.calls }

// Since returns what happened between base and s.
func (s FuncSnapshot) Since(base FuncSnapshot) FuncSnapshot { return s.since(base) }

// Count returns the number of durations recorded.
func (s *DurationSummary) Count() uint64 { return s.count }

// Total returns the sum of the durations, in nanoseconds.
func (s *DurationSummary) Total() int64 { return s.total }

// Min returns the shortest duration; 0 when none was recorded.
func (s *DurationSummary) Min() int64 { return s.min }

// Max returns the longest duration; 0 when none was recorded.
func (s *DurationSummary) Max() int64 { return s.max }

// Histogram returns the histogram of every duration recorded.
func (s *DurationSummary) Histogram() HistWindow { return s.histogram() }

// Each calls fn for each non-empty bucket, in increasing order.
func (w HistWindow) Each(fn func(i int, n uint64)) { w.each(fn) }

// Total returns the number of values recorded.
func (w HistWindow) Total() uint64 { return w.total() }

// ValueAtPercentile returns the value at percentile p (0 to 100).
func (w HistWindow) ValueAtPercentile(p float64) int64 { return w.valueAtPercentile(p) }

// ValuesAtPercentiles returns ValueAtPercentile for each of ps.
func (w HistWindow) ValuesAtPercentiles(ps []float64) []int64 { return w.valuesAtPercentiles(ps) }

// BucketRange returns the lowest and highest value of histogram bucket i.
func BucketRange(i int) (lo, hi int64) { return histBucketRange(i) }

// Site returns the ChanSite that st belongs to.
func (st *ChanState) Site() *ChanSite { return st.site }

// MinCap and MaxCap return the smallest and largest capacity of the
// channels made at the site; 0 before the first.
func (st *ChanState) MinCap() int { return int(max(st.minCap.Load(), 0)) }

// MaxCap: see MinCap.
func (st *ChanState) MaxCap() int { return int(max(st.maxCap.Load(), 0)) }

// Snapshot returns the site's numbers now.
func (st *ChanState) Snapshot() ChanSnapshot { return st.snapshot() }

// ChanBaseline snapshots every site in use, for a guard that starts now.
func ChanBaseline() map[*ChanSite]ChanSnapshot { return chanBaseline() }

// Used reports whether anything happened at the site.
func (s ChanSnapshot) Used() bool { return s.used() }

// Since returns what happened between base and s.
func (s ChanSnapshot) Since(base ChanSnapshot) ChanSnapshot { return s.since(base) }

// Created and Closed return the channels made and closed.
func (s ChanSnapshot) Created() uint64 { return s.created }

// Closed: see Created.
func (s ChanSnapshot) Closed() uint64 { return s.closed }

// Sent and Received return the messages sent and received.
func (s ChanSnapshot) Sent() uint64 { return s.ops(kindSend) }

// Received: see Sent.
func (s ChanSnapshot) Received() uint64 { return s.ops(kindRecv) }

// MaxDepth returns the largest number of messages a channel of the site
// held (see since for its precision).
func (s ChanSnapshot) MaxDepth() uint64 { return s.maxDepth }

// SendBlocked and RecvBlocked return the operations that had to wait.
func (s ChanSnapshot) SendBlocked() DurationSummary { return s.send }

// RecvBlocked: see SendBlocked.
func (s ChanSnapshot) RecvBlocked() DurationSummary { return s.recv }

// DepthAtPercentile returns the depth at or below which p percent of
// total depth samples fall.
func (s ChanSnapshot) DepthAtPercentile(p float64, total uint64) uint64 {
	return s.depthAtPercentile(p, total)
}

// LiveDepths returns the messages now queued per site, over the channels
// alive.
func LiveDepths() map[*ChanState]int { return liveDepths() }

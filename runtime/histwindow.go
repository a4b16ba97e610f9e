package hotpath

import hdr "github.com/HdrHistogram/hdrhistogram-go"

// histCounts are the bucket counts of one recorder (a function's shard, a
// channel direction's counter) in the layout of hdr.New(histLowest,
// histHighest, histDigits), with the range of buckets it has touched: a
// snapshot sums only that range, which for durations of a few orders of
// magnitude is a small part of the 33792 buckets.
type histCounts struct {
	lo, hi int // touched buckets are in [lo, hi]; lo > hi when none
	c      [histCountsLen]int64
}

func newHistCounts() *histCounts { return &histCounts{lo: histCountsLen, hi: -1} }

// record counts one duration, clamped into the histogram's range.
func (h *histCounts) record(d int64) {
	i := histIndex(clampHist(d))
	h.c[i]++
	if i < h.lo {
		h.lo = i
	}
	if i > h.hi {
		h.hi = i
	}
}

// histWindow is a histogram at one instant, as the counts of the buckets
// from lo on. It becomes an hdr.Histogram only for a report's row.
type histWindow struct {
	lo     int
	counts []int64 // nil when empty
}

// add sums h's counts into w, widening w to h's range.
func (w *histWindow) add(h *histCounts) {
	if h == nil || h.hi < h.lo {
		return
	}
	w.cover(h.lo, h.hi)
	for b := h.lo; b <= h.hi; b++ {
		w.counts[b-w.lo] += h.c[b]
	}
}

// cover widens w to hold buckets [lo, hi].
func (w *histWindow) cover(lo, hi int) {
	if w.counts == nil {
		w.lo, w.counts = lo, make([]int64, hi-lo+1)
		return
	}
	end := w.lo + len(w.counts) - 1
	if lo >= w.lo && hi <= end {
		return
	}
	nlo, nhi := min(lo, w.lo), max(hi, end)
	grown := make([]int64, nhi-nlo+1)
	copy(grown[w.lo-nlo:], w.counts)
	w.lo, w.counts = nlo, grown
}

// since returns w minus base, an earlier state of the same recorders.
func (w histWindow) since(base histWindow) histWindow {
	d := histWindow{}
	if w.counts != nil {
		d.cover(w.lo, w.lo+len(w.counts)-1)
		copy(d.counts[w.lo-d.lo:], w.counts)
	}
	if base.counts != nil {
		d.cover(base.lo, base.lo+len(base.counts)-1)
		for i, c := range base.counts {
			d.counts[base.lo+i-d.lo] -= c
		}
	}
	return d
}

// histogram returns w as an hdr.Histogram.
func (w histWindow) histogram() *hdr.Histogram {
	full := make([]int64, w.lo+len(w.counts))
	copy(full[w.lo:], w.counts)
	return newHistogramOf(full)
}

// durations records durations exactly — count, total, minimum, maximum —
// and in HDR buckets for percentiles. A function's shard keeps one, and so
// does each direction of a watched channel, for the operations that
// blocked.
type durations struct {
	count    uint64
	total    int64
	min, max int64
	hist     *histCounts // allocated by the first record
}

func (d *durations) record(v int64) {
	if d.count == 0 || v < d.min {
		d.min = v
	}
	if v > d.max {
		d.max = v
	}
	d.count++
	d.total += v
	if d.hist == nil {
		d.hist = newHistCounts()
	}
	d.hist.record(v)
}

// durationSummary is durations merged over shards at one instant.
type durationSummary struct {
	count    uint64
	total    int64
	min, max int64
	hist     histWindow
}

// add merges d into s.
func (s *durationSummary) add(d *durations) {
	if d.count == 0 {
		return
	}
	if s.count == 0 || d.min < s.min {
		s.min = d.min
	}
	s.max = max(s.max, d.max)
	s.count += d.count
	s.total += d.total
	s.hist.add(d.hist)
}

// since returns what was recorded between base and s. The exact minimum
// and maximum of a window are known only when nothing was recorded before
// it; otherwise they come from the window's histogram, within its
// precision.
func (s durationSummary) since(base durationSummary) durationSummary {
	if base.count == 0 {
		return s
	}
	d := durationSummary{count: s.count - base.count, total: s.total - base.total}
	if d.count == 0 {
		return d
	}
	d.hist = s.hist.since(base.hist)
	h := d.hist.histogram()
	d.min, d.max = h.Min(), h.Max()
	return d
}

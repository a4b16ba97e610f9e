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

package core

import (
	"unsafe"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// HistWindow holds counts in the bucket layout of hdr.New(histLowest,
// histHighest, histDigits) (see histIndex), without the 33792 counters
// (264 KiB) that the library allocates for every histogram.
//
// The buckets are cut into pages of 1024, one per power of two of the
// durations (the first two pages are the unit-width buckets below 2048
// ns), and each page into chunks of 64 counters. Pages and chunks are
// allocated when a count first lands in them, and a chunk's counters are
// as narrow as its largest count allows: 8 bits, then 16, then 64. A
// function whose durations span three decades touches about ten pages,
// 160 chunks: 10 KiB of 8-bit counters, 20 KiB of 16-bit ones. The
// percentiles are those of the library's histogram for the same
// values, bucket for bucket (TestHistWindowMatchesLibrary).
//
// A function keeps one HistWindow, its shards' buffered durations are
// merged into it, and each snapshot is a copy. A HistWindow value shares
// its pages: only the code that built it changes it.
type HistWindow struct {
	t *histTable // nil while empty
	// shared is set when t may be shared with a copy: the next write
	// copies the table first.
	shared bool
}

// histTable is a histogram's page table. owned has bit pi set when page
// pi belongs to this table alone.
type histTable struct {
	page  [histPages]*histPage
	owned uint64
}

const (
	histPageBits  = histHalfMagnitude // a page is 1024 buckets
	histPageLen   = 1 << histPageBits
	histPages     = histCountsLen >> histPageBits // 33
	histChunkBits = 6
	histChunkLen  = 1 << histChunkBits
	histChunks    = histPageLen / histChunkLen // chunks per page: 16
)

// histPage is one page: each chunk is nil or an array of histChunkLen
// counters of width[c] bytes (1, 2 or 8).
//
// Copies share everything: a copy is the table's pointer, and the table, a
// page or a chunk is copied when one of the histograms that share it first
// writes to it (copy on write). owned has bit c set when chunk c belongs
// to this page alone. A reader (a report, the live view polling) thus
// copies nothing, whatever the histogram holds, and the recording side
// pays, after each read, for one copy of the table and of each page and
// chunk it then touches.
type histPage struct {
	chunk [histChunks]unsafe.Pointer
	width [histChunks]uint8
	owned uint16
}

// get returns the count of bucket j of chunk c.
func (p *histPage) get(c, j int) uint64 {
	switch p.width[c] {
	case 1:
		return uint64((*[histChunkLen]uint8)(p.chunk[c])[j])
	case 2:
		return uint64((*[histChunkLen]uint16)(p.chunk[c])[j])
	case 8:
		return (*[histChunkLen]uint64)(p.chunk[c])[j]
	}
	return 0
}

// set stores v as the count of bucket j of chunk c, widening the chunk
// when v does not fit.
func (p *histPage) set(c, j int, v uint64) {
	if p.owned&(1<<c) == 0 && p.width[c] != 0 {
		p.own(c)
	}
	switch w := p.width[c]; {
	case w == 1 && v <= 0xff:
		(*[histChunkLen]uint8)(p.chunk[c])[j] = uint8(v)
		return
	case w == 2 && v <= 0xffff:
		(*[histChunkLen]uint16)(p.chunk[c])[j] = uint16(v)
		return
	case w == 8:
		(*[histChunkLen]uint64)(p.chunk[c])[j] = v
		return
	}
	p.widen(c, v)
	p.set(c, j, v)
}

// own replaces chunk c, shared with another histogram, by a copy.
func (p *histPage) own(c int) {
	n := int(p.width[c]) * histChunkLen / 8
	cp := make([]uint64, n)
	copy(cp, unsafe.Slice((*uint64)(p.chunk[c]), n))
	p.chunk[c] = unsafe.Pointer(&cp[0])
	p.owned |= 1 << c
}

// widen gives chunk c counters wide enough for v, keeping its counts.
func (p *histPage) widen(c int, v uint64) {
	var old [histChunkLen]uint64
	if p.width[c] != 0 {
		for j := range old {
			old[j] = p.get(c, j)
		}
	}
	switch {
	case v <= 0xff && p.width[c] == 0:
		p.chunk[c], p.width[c] = unsafe.Pointer(new([histChunkLen]uint8)), 1
	case v <= 0xffff && p.width[c] <= 1:
		n := new([histChunkLen]uint16)
		for j, o := range old {
			n[j] = uint16(o)
		}
		p.chunk[c], p.width[c] = unsafe.Pointer(n), 2
	default:
		n := new([histChunkLen]uint64)
		*n = old
		p.chunk[c], p.width[c] = unsafe.Pointer(n), 8
	}
	p.owned |= 1 << c
}

// add counts n more in bucket i.
func (w *HistWindow) add(i int, n uint64) {
	switch {
	case w.t == nil:
		w.t = new(histTable)
	case w.shared:
		t := *w.t
		t.owned = 0
		w.t, w.shared = &t, false
	}
	pi := i >> histPageBits
	p := w.t.page[pi]
	switch {
	case p == nil:
		p = new(histPage)
		p.owned = 0xffff
		w.t.page[pi] = p
		w.t.owned |= 1 << pi
	case w.t.owned&(1<<pi) == 0:
		np := *p
		np.owned = 0
		p = &np
		w.t.page[pi] = p
		w.t.owned |= 1 << pi
	}
	c, j := i>>histChunkBits&(histChunks-1), i&(histChunkLen-1)
	p.set(c, j, p.get(c, j)+n)
}

// record counts one duration, clamped into the histogram's range.
func (w *HistWindow) record(d int64) { w.add(histIndex(clampHist(d)), 1) }

// each calls fn for every bucket with a nonzero count, in bucket order.
func (w HistWindow) each(fn func(i int, n uint64)) {
	if w.t == nil {
		return
	}
	for pi, p := range w.t.page {
		if p == nil {
			continue
		}
		for c := range histChunks {
			base := pi<<histPageBits + c<<histChunkBits
			switch p.width[c] {
			case 1:
				for j, n := range (*[histChunkLen]uint8)(p.chunk[c]) {
					if n != 0 {
						fn(base+j, uint64(n))
					}
				}
			case 2:
				for j, n := range (*[histChunkLen]uint16)(p.chunk[c]) {
					if n != 0 {
						fn(base+j, uint64(n))
					}
				}
			case 8:
				for j, n := range (*[histChunkLen]uint64)(p.chunk[c]) {
					if n != 0 {
						fn(base+j, n)
					}
				}
			}
		}
	}
}

// clone returns a copy of w; both share w's memory until they write.
func (w *HistWindow) clone() HistWindow {
	if w.t == nil {
		return HistWindow{}
	}
	w.shared = true
	return HistWindow{t: w.t, shared: true}
}

// total returns the number of counts in w.
func (w HistWindow) total() uint64 {
	var t uint64
	if w.t == nil {
		return 0
	}
	for _, p := range w.t.page {
		if p == nil {
			continue
		}
		for c := range histChunks {
			switch p.width[c] {
			case 1:
				for _, n := range (*[histChunkLen]uint8)(p.chunk[c]) {
					t += uint64(n)
				}
			case 2:
				for _, n := range (*[histChunkLen]uint16)(p.chunk[c]) {
					t += uint64(n)
				}
			case 8:
				for _, n := range (*[histChunkLen]uint64)(p.chunk[c]) {
					t += n
				}
			}
		}
	}
	return t
}

// since returns w minus base, an earlier state of the same recorders.
func (w HistWindow) since(base HistWindow) HistWindow {
	var d HistWindow
	counts := map[int]uint64{}
	base.each(func(i int, n uint64) { counts[i] = n })
	w.each(func(i int, n uint64) {
		if b := counts[i]; n > b {
			d.add(i, n-b)
		}
	})
	return d
}

// histBucketRange returns the lowest and highest value of bucket i: the
// library's lowestEquivalentValue and highestEquivalentValue.
func histBucketRange(i int) (lo, hi int64) {
	if i < 2<<histHalfMagnitude {
		return int64(i), int64(i) // bucket 0: unit width
	}
	b := uint(i>>histHalfMagnitude - 1)
	sub := int64(i&(1<<histHalfMagnitude-1) + 1<<histHalfMagnitude)
	lo = sub << b
	return lo, lo + 1<<b - 1
}

// percentileRank returns the 1-based rank of the count that percentile p
// of total falls on, as hdrhistogram-go ranks it.
func percentileRank(p float64, total uint64) uint64 {
	if p > 100 {
		p = 100
	}
	rank := (p/100)*float64(total) + 0.5
	if !(rank >= 1) {
		return 1
	}
	if rank >= float64(total) {
		return total
	}
	return uint64(rank)
}

// valueAtPercentile returns the value at percentile p (0 to 100) as the
// library's ValueAtQuantile returns it: the highest value of the bucket
// in which the count of that rank falls (the lowest for p = 0), 0 when
// empty.
func (w HistWindow) valueAtPercentile(p float64) int64 {
	return w.valuesAtPercentiles([]float64{p})[0]
}

// valuesAtPercentiles returns valueAtPercentile for each of ps, in two
// passes over w whatever the number of percentiles.
func (w HistWindow) valuesAtPercentiles(ps []float64) []int64 {
	vals := make([]int64, len(ps))
	total := w.total()
	if total == 0 {
		return vals
	}
	ranks := make([]uint64, len(ps))
	for k, p := range ps {
		ranks[k] = percentileRank(max(p, 0), total)
	}
	left := len(ps)
	var cum uint64
	w.each(func(i int, n uint64) {
		if left == 0 {
			return
		}
		prev := cum
		cum += n
		for k, r := range ranks {
			if r > prev && r <= cum {
				lo, hi := histBucketRange(i)
				vals[k] = hi
				if ps[k] <= 0 {
					vals[k] = lo
				}
				left--
			}
		}
	})
	return vals
}

// minMax returns the lowest value of the first bucket with a count and the
// highest value of the last one: the library's Min and Max.
func (w HistWindow) minMax() (lo, hi int64) {
	first := true
	w.each(func(i int, _ uint64) {
		l, h := histBucketRange(i)
		if first {
			lo, first = l, false
		}
		hi = h
	})
	return lo, hi
}

// histogram returns w as an hdr.Histogram, which allocates every bucket:
// for tests that compare with the library.
func (w HistWindow) histogram() *hdr.Histogram {
	full := make([]int64, histCountsLen)
	w.each(func(i int, n uint64) { full[i] = int64(n) })
	return newHistogramOf(full)
}

// bytes returns the heap that w's pages and chunks take.
func (w HistWindow) bytes() int {
	if w.t == nil {
		return 0
	}
	n := int(unsafe.Sizeof(*w.t))
	for _, p := range w.t.page {
		if p == nil {
			continue
		}
		n += int(unsafe.Sizeof(*p))
		for _, wd := range p.width {
			n += int(wd) * histChunkLen
		}
	}
	return n
}

// durations records durations exactly — count, total, minimum, maximum —
// and in the histogram for percentiles. A watched channel keeps one per
// direction, for the operations that blocked, under a lock.
type durations struct {
	count    uint64
	total    int64
	min, max int64
	hist     HistWindow
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
	d.hist.record(v)
}

// DurationSummary is durations merged at one instant.
type DurationSummary struct {
	count    uint64
	total    int64
	min, max int64
	// merged is the histogram of the durations, but for pending: bucket
	// indexes still buffered in shards when the summary was taken, which
	// histogram applies. Taking a summary thus copies nothing but a few
	// indexes; only a summary whose percentiles are asked for pays for
	// applying them.
	merged  HistWindow
	pending []uint16
}

// histogram returns the summary's histogram, every duration counted.
func (s *DurationSummary) histogram() HistWindow {
	if len(s.pending) == 0 {
		return s.merged
	}
	h := s.merged.clone()
	for _, i := range s.pending {
		h.add(int(i), 1)
	}
	s.merged, s.pending = h, nil
	return h
}

// summary returns a copy of d.
func (d *durations) summary() DurationSummary {
	return DurationSummary{count: d.count, total: d.total, min: d.min, max: d.max, merged: d.hist.clone()}
}

// addExact merges exact numbers into s (the histogram apart).
func (s *DurationSummary) addExact(count uint64, total, lo, hi int64) {
	if count == 0 {
		return
	}
	if s.count == 0 || lo < s.min {
		s.min = lo
	}
	s.max = max(s.max, hi)
	s.count += count
	s.total += total
}

// since returns what was recorded between base and s. The exact minimum
// and maximum of a window are known only when nothing was recorded before
// it; otherwise they come from the window's histogram, within its
// precision.
func (s DurationSummary) since(base DurationSummary) DurationSummary {
	if base.count == 0 {
		return s
	}
	d := DurationSummary{count: s.count - base.count, total: s.total - base.total}
	if d.count == 0 {
		return d
	}
	d.merged = s.histogram().since(base.histogram())
	d.min, d.max = d.merged.minMax()
	return d
}

package storage

import (
	"fmt"
	"sort"
)

// Range is the half-open byte interval [Start, End).
type Range struct {
	Start, End int64
}

// Len returns the number of bytes in r, or 0 for an empty or inverted range.
func (r Range) Len() int64 {
	if r.End <= r.Start {
		return 0
	}
	return r.End - r.Start
}

func (r Range) String() string { return fmt.Sprintf("[%d, %d)", r.Start, r.End) }

// RangeSet is a set of byte offsets kept as sorted, disjoint, non-adjacent
// ranges. Sequential writes collapse into one range, so its size grows with the
// number of holes, not with the number of writes. The zero value is an empty
// set. A RangeSet is not safe for concurrent use.
type RangeSet struct {
	rs []Range
}

// Insert adds [start, end) to the set, merging it with every range it overlaps
// or touches. An empty or inverted interval is ignored.
func (s *RangeSet) Insert(start, end int64) {
	if start >= end {
		return
	}
	// First range that ends at or after start: it overlaps or touches.
	i := sort.Search(len(s.rs), func(k int) bool { return s.rs[k].End >= start })
	// First range that starts after end: everything in [i, j) merges.
	j := i + sort.Search(len(s.rs)-i, func(k int) bool { return s.rs[i+k].Start > end })
	if i == j {
		s.rs = append(s.rs, Range{})
		copy(s.rs[i+1:], s.rs[i:])
		s.rs[i] = Range{start, end}
		return
	}
	merged := Range{min(start, s.rs[i].Start), max(end, s.rs[j-1].End)}
	s.rs[i] = merged
	s.rs = append(s.rs[:i+1], s.rs[j:]...)
}

// Contains reports whether every byte of [start, end) is in the set. An empty
// interval is always contained.
func (s *RangeSet) Contains(start, end int64) bool {
	if start >= end {
		return true
	}
	return s.ContiguousEnd(start) >= end
}

// ContiguousEnd returns the end of the run of set bytes that begins at off, or
// off itself when off is not in the set.
func (s *RangeSet) ContiguousEnd(off int64) int64 {
	i := sort.Search(len(s.rs), func(k int) bool { return s.rs[k].End > off })
	if i == len(s.rs) || s.rs[i].Start > off {
		return off
	}
	return s.rs[i].End
}

// Gaps returns the parts of [start, end) that are not in the set, in order.
func (s *RangeSet) Gaps(start, end int64) []Range {
	var gaps []Range
	cursor := start
	i := sort.Search(len(s.rs), func(k int) bool { return s.rs[k].End > start })
	for ; i < len(s.rs) && cursor < end; i++ {
		r := s.rs[i]
		if r.Start >= end {
			break
		}
		if r.Start > cursor {
			gaps = append(gaps, Range{cursor, r.Start})
		}
		cursor = max(cursor, r.End)
	}
	if cursor < end {
		gaps = append(gaps, Range{cursor, end})
	}
	return gaps
}

// Ranges returns a copy of the set's ranges in ascending order.
func (s *RangeSet) Ranges() []Range {
	return append([]Range(nil), s.rs...)
}

// Count returns the number of disjoint ranges in the set.
func (s *RangeSet) Count() int { return len(s.rs) }

// End returns the end of the last range, or 0 for an empty set.
func (s *RangeSet) End() int64 {
	if len(s.rs) == 0 {
		return 0
	}
	return s.rs[len(s.rs)-1].End
}

// Clear empties the set.
func (s *RangeSet) Clear() { s.rs = s.rs[:0] }

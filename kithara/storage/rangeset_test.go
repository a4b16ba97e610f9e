package storage

import (
	"slices"
	"testing"
)

func rs(pairs ...int64) []Range {
	var out []Range
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, Range{pairs[i], pairs[i+1]})
	}
	return out
}

func TestRangeSetInsertMerges(t *testing.T) {
	tests := []struct {
		name    string
		inserts [][2]int64
		want    []Range
	}{
		{"empty insert ignored", [][2]int64{{5, 5}, {7, 3}}, nil},
		{"single", [][2]int64{{2, 4}}, rs(2, 4)},
		{"disjoint kept sorted", [][2]int64{{10, 12}, {0, 2}, {5, 6}}, rs(0, 2, 5, 6, 10, 12)},
		{"adjacent merge", [][2]int64{{0, 2}, {2, 4}}, rs(0, 4)},
		{"adjacent merge left", [][2]int64{{2, 4}, {0, 2}}, rs(0, 4)},
		{"overlap", [][2]int64{{0, 5}, {3, 8}}, rs(0, 8)},
		{"contained", [][2]int64{{0, 10}, {3, 4}}, rs(0, 10)},
		{"covers many", [][2]int64{{1, 2}, {4, 5}, {7, 8}, {0, 9}}, rs(0, 9)},
		{"bridges two", [][2]int64{{0, 2}, {5, 7}, {2, 5}}, rs(0, 7)},
		{"bridges partly", [][2]int64{{0, 2}, {5, 7}, {10, 12}, {3, 6}}, rs(0, 2, 3, 7, 10, 12)},
		{"sequential writes collapse", [][2]int64{{0, 1}, {1, 2}, {2, 3}, {3, 4}}, rs(0, 4)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s RangeSet
			for _, in := range tt.inserts {
				s.Insert(in[0], in[1])
			}
			if got := s.Ranges(); !slices.Equal(got, tt.want) {
				t.Errorf("Ranges() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRangeSetQueries(t *testing.T) {
	var s RangeSet
	s.Insert(0, 4)
	s.Insert(8, 12)
	s.Insert(20, 30)

	contains := []struct {
		start, end int64
		want       bool
	}{
		{0, 4, true}, {1, 3, true}, {0, 5, false}, {3, 9, false}, {8, 12, true},
		{12, 13, false}, {25, 30, true}, {25, 31, false}, {6, 6, true}, {40, 41, false},
	}
	for _, c := range contains {
		if got := s.Contains(c.start, c.end); got != c.want {
			t.Errorf("Contains(%d, %d) = %v, want %v", c.start, c.end, got, c.want)
		}
	}

	ends := map[int64]int64{0: 4, 3: 4, 4: 4, 5: 5, 8: 12, 11: 12, 12: 12, 29: 30, 30: 30}
	for off, want := range ends {
		if got := s.ContiguousEnd(off); got != want {
			t.Errorf("ContiguousEnd(%d) = %d, want %d", off, got, want)
		}
	}

	gaps := []struct {
		start, end int64
		want       []Range
	}{
		{0, 4, nil},
		{0, 35, rs(4, 8, 12, 20, 30, 35)},
		{2, 10, rs(4, 8)},
		{5, 7, rs(5, 7)},
		{10, 22, rs(12, 20)},
		{31, 40, rs(31, 40)},
	}
	for _, g := range gaps {
		if got := s.Gaps(g.start, g.end); !slices.Equal(got, g.want) {
			t.Errorf("Gaps(%d, %d) = %v, want %v", g.start, g.end, got, g.want)
		}
	}
	if s.Count() != 3 || s.End() != 30 {
		t.Errorf("Count, End = %d, %d; want 3, 30", s.Count(), s.End())
	}
	s.Clear()
	if s.Count() != 0 || s.End() != 0 || s.Contains(0, 1) {
		t.Errorf("after Clear: %v", s.Ranges())
	}
}

// FuzzRangeSet checks RangeSet against a bitmap over a small domain: every
// byte of the input is an insert of a short interval.
func FuzzRangeSet(f *testing.F) {
	f.Add([]byte{0x00, 0x12, 0x34, 0xff})
	f.Add([]byte{0x10, 0x10, 0x10, 0x20, 0x00})
	f.Add([]byte{0x3f, 0x00, 0x1f, 0x2a, 0x05, 0x15})
	const domain = 72
	f.Fuzz(func(t *testing.T, ops []byte) {
		var s RangeSet
		var bits [domain]bool
		for i := 0; i+1 < len(ops); i += 2 {
			start := int64(ops[i] % 64)
			end := start + int64(ops[i+1]%9) // 0..8 bytes, empty inserts too
			s.Insert(start, end)
			for b := start; b < end; b++ {
				bits[b] = true
			}
			checkRanges(t, &s, bits[:])
		}
		checkQueries(t, &s, bits[:])
	})
}

// checkRanges asserts that the set's ranges are canonical and match bits.
func checkRanges(t *testing.T, s *RangeSet, bits []bool) {
	t.Helper()
	rs := s.Ranges()
	for i, r := range rs {
		if r.Start >= r.End {
			t.Fatalf("empty range %v in %v", r, rs)
		}
		if i > 0 && rs[i-1].End >= r.Start {
			t.Fatalf("ranges %v and %v overlap or touch", rs[i-1], r)
		}
	}
	n := int64(len(bits))
	var want []Range
	for b := int64(0); b < n; b++ {
		if bits[b] && (b == 0 || !bits[b-1]) {
			want = append(want, Range{b, b})
		}
		if bits[b] {
			want[len(want)-1].End = b + 1
		}
	}
	if !slices.Equal(rs, want) {
		t.Fatalf("Ranges() = %v, bitmap says %v", rs, want)
	}
}

// checkQueries asserts ContiguousEnd, Contains and Gaps for every interval of
// the domain.
func checkQueries(t *testing.T, s *RangeSet, bits []bool) {
	t.Helper()
	n := int64(len(bits))
	for start := int64(0); start <= n; start++ {
		end := start
		for end < n && bits[end] {
			end++
		}
		if got := s.ContiguousEnd(start); got != end {
			t.Fatalf("ContiguousEnd(%d) = %d, want %d", start, got, end)
		}
		for stop := start; stop <= n; stop++ {
			if got, want := s.Contains(start, stop), end >= stop; got != want {
				t.Fatalf("Contains(%d, %d) = %v, want %v", start, stop, got, want)
			}
			var gaps []Range
			for b := start; b < stop; b++ {
				if bits[b] {
					continue
				}
				if len(gaps) > 0 && gaps[len(gaps)-1].End == b {
					gaps[len(gaps)-1].End++
				} else {
					gaps = append(gaps, Range{b, b + 1})
				}
			}
			if got := s.Gaps(start, stop); !slices.Equal(got, gaps) {
				t.Fatalf("Gaps(%d, %d) = %v, want %v", start, stop, got, gaps)
			}
		}
	}
}

package aac

import "testing"

// TestCodebooksComplete checks that each codebook is a complete prefix code
// (Kraft sum 1, no code a prefix of another) with the size the standard
// gives, and that every codeword decodes to itself through the lookup table.
func TestCodebooksComplete(t *testing.T) {
	tables()
	sizes := []int{81, 81, 81, 81, 81, 81, 64, 64, 169, 169, 289}
	check := func(name string, cws []codeword, ht *huffTable, want func(codeword) uint32) {
		var kraft float64
		for _, c := range cws {
			kraft += 1 / float64(uint64(1)<<c.n)
			r := newBitReader([]byte{byte(c.code << (32 - c.n) >> 24), byte(c.code << (32 - c.n) >> 16), byte(c.code << (32 - c.n) >> 8), byte(c.code << (32 - c.n))})
			sym, ok := ht.decode(&r)
			if !ok || sym != want(c) || r.pos != int(c.n) {
				t.Errorf("%s: code %0*b decodes to %x (ok %v) after %d bits, want %x after %d", name, c.n, c.code, sym, ok, r.pos, want(c), c.n)
			}
		}
		if kraft != 1 {
			t.Errorf("%s: Kraft sum %v", name, kraft)
		}
	}
	for i, cws := range spectralCodebooks {
		if len(cws) != sizes[i] {
			t.Errorf("codebook %d has %d codes, want %d", i+1, len(cws), sizes[i])
		}
		check("codebook "+string(rune('1'+i)), cws, &spectralHuf[i], func(c codeword) uint32 { return packValues(0, c) })
	}
	if len(scalefactorCodebook) != 121 {
		t.Errorf("scalefactor codebook has %d codes", len(scalefactorCodebook))
	}
	check("scalefactors", scalefactorCodebook, &sfHuf, func(c codeword) uint32 { return uint32(c.v[0]) })
}

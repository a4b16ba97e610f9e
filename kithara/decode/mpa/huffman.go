package mpa

// huffCodes is one code table in the form the standard prints it.
type huffCodes struct {
	size int // values per dimension (x and y run over 0..size-1); 0 for the quadruple tables
	code []uint16
	len  []uint8
}

// huffLUT is a two-level lookup table that decodes one codeword per lookup
// (two for long codes). A leaf entry holds the codeword length in bits 8..12
// and the value (x<<4|y, or the quadruple index) in bits 0..7. An entry with
// bit 31 set points to a second-level table: its offset in bits 5..30 and
// the number of further bits it is indexed by in bits 0..4.
type huffLUT struct {
	bits int // first-level index width
	tab  []uint32
}

const huffLinkFlag = 1 << 31

// bigValueTables maps table_select 0..31 to the code table and linbits.
var bigValueTables [32]struct {
	lut     *huffLUT // nil: the table codes nothing (0, and the unused 4 and 14)
	linbits int
}

// count1LUT decodes the quadruple tables A (0) and B (1).
var count1LUT [2]*huffLUT

var linbits = [32]int{16: 1, 17: 2, 18: 3, 19: 4, 20: 6, 21: 8, 22: 10, 23: 13,
	24: 4, 25: 5, 26: 6, 27: 7, 28: 8, 29: 9, 30: 11, 31: 13}

func initHuffman() {
	var luts [34]*huffLUT
	for t, c := range huffSrc {
		if len(c.code) > 0 {
			luts[t] = buildLUT(c)
		}
	}
	for t := range 32 {
		src := t
		switch {
		case t >= 24:
			src = 24
		case t >= 16:
			src = 16
		}
		bigValueTables[t].lut = luts[src]
		bigValueTables[t].linbits = linbits[t]
	}
	count1LUT[0], count1LUT[1] = luts[32], luts[33]
}

// buildLUT builds the lookup table of a complete prefix code.
func buildLUT(c huffCodes) *huffLUT {
	maxLen := 0
	for _, n := range c.len {
		maxLen = max(maxLen, int(n))
	}
	l := &huffLUT{bits: min(maxLen, 8)}
	l.tab = make([]uint32, 1<<l.bits)
	value := func(i int) uint32 {
		if c.size == 0 {
			return uint32(i)
		}
		return uint32(i/c.size)<<4 | uint32(i%c.size)
	}
	// Second-level widths: the longest code under each first-level prefix.
	sub := make([]int, 1<<l.bits)
	for i, n := range c.len {
		if int(n) > l.bits {
			p := int(c.code[i]) >> (int(n) - l.bits)
			sub[p] = max(sub[p], int(n)-l.bits)
		}
	}
	for p, w := range sub {
		if w > 0 {
			l.tab[p] = huffLinkFlag | uint32(len(l.tab))<<5 | uint32(w)
			l.tab = append(l.tab, make([]uint32, 1<<w)...)
		}
	}
	for i, n8 := range c.len {
		n := int(n8)
		code := int(c.code[i])
		e := uint32(n)<<8 | value(i)
		if n <= l.bits {
			lo := code << (l.bits - n)
			for j := lo; j < lo+1<<(l.bits-n); j++ {
				l.tab[j] = e
			}
			continue
		}
		link := l.tab[code>>(n-l.bits)]
		off, w := int(link>>5)&(1<<26-1), int(link&31)
		rest := n - l.bits
		lo := off + (code&(1<<rest-1))<<(w-rest)
		for j := lo; j < lo+1<<(w-rest); j++ {
			l.tab[j] = e
		}
	}
	return l
}

// decode reads one codeword and returns its value.
func (l *huffLUT) decode(r *bitReader) int {
	w := r.peek()
	e := l.tab[w>>(32-l.bits)]
	if e&huffLinkFlag != 0 {
		off, n := int(e>>5)&(1<<26-1), int(e&31)
		e = l.tab[off+int((w<<l.bits)>>(32-n))]
	}
	r.pos += int(e>>8) & 31
	return int(e & 0xff)
}

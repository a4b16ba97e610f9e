package aac

import "sync"

// codeword is one entry of a codebook as the standard lists it: the code's
// length in bits, its value, and what it decodes to.
type codeword struct {
	n    uint8
	code uint32
	v    [4]int8
}

// huffTable decodes one codebook with a two-level lookup: the next root bits
// index the root table; codes longer than that continue in a subtable.
//
// An entry is either a leaf, leafBit|sym<<8|length (length is the whole
// code's), or a link to a subtable, offset<<8|bits. A length of 0 in a leaf
// marks a bit pattern no code starts with.
type huffTable struct {
	root    int
	entries []uint32
}

const leafBit = 1 << 31

func buildHuffTable(cws []codeword, root int, sym func(i int, c codeword) uint32) huffTable {
	t := huffTable{root: root, entries: make([]uint32, 1<<root)}
	for i := range t.entries {
		t.entries[i] = leafBit // invalid until filled
	}
	// Subtable sizes: the longest code under each root prefix.
	sub := map[uint32]int{}
	for _, c := range cws {
		if int(c.n) > root {
			p := c.code >> (int(c.n) - root)
			sub[p] = max(sub[p], int(c.n)-root)
		}
	}
	for p := uint32(0); p < 1<<root; p++ {
		bits, ok := sub[p]
		if !ok {
			continue
		}
		off := len(t.entries)
		for range 1 << bits {
			t.entries = append(t.entries, leafBit)
		}
		t.entries[p] = uint32(off)<<8 | uint32(bits)
	}
	for i, c := range cws {
		n := int(c.n)
		leaf := leafBit | sym(i, c)<<8 | uint32(n)
		if n <= root {
			lo := c.code << (root - n)
			for j := lo; j < lo+1<<(root-n); j++ {
				t.entries[j] = leaf
			}
			continue
		}
		link := t.entries[c.code>>(n-root)]
		off, bits := link>>8, int(link&0xff)
		rest := n - root
		lo := off + (c.code&(1<<rest-1))<<(bits-rest)
		for j := lo; j < lo+1<<(bits-rest); j++ {
			t.entries[j] = leaf
		}
	}
	return t
}

// decode reads one code and returns its symbol, or ok false for a bit
// pattern that is no code.
func (t *huffTable) decode(r *bitReader) (sym uint32, ok bool) {
	v := r.peek32()
	e := t.entries[v>>(32-t.root)]
	if e&leafBit == 0 {
		bits := int(e & 0xff)
		e = t.entries[e>>8+(v<<t.root)>>(32-bits)]
	}
	n := int(e & 0xff)
	if n == 0 {
		return 0, false
	}
	r.skip(n)
	return e >> 8 & 0x7fffff, true
}

// Spectral symbols pack the codeword's four values as 5-bit fields biased
// by 15 (values run from -15 to 16): value i is (sym>>(5*i))&31 - 15.
func packValues(_ int, c codeword) uint32 {
	var s uint32
	for i, v := range c.v {
		s |= uint32(int(v)+15) << (5 * i)
	}
	return s
}

var (
	tablesOnce  sync.Once
	spectralHuf [11]huffTable
	sfHuf       huffTable
)

// tables builds the Huffman tables on first use.
func tables() {
	tablesOnce.Do(func() {
		for i := range spectralCodebooks {
			spectralHuf[i] = buildHuffTable(spectralCodebooks[i][:], 8, packValues)
		}
		sfHuf = buildHuffTable(scalefactorCodebook, 9, func(_ int, c codeword) uint32 { return uint32(c.v[0]) })
		initMath()
	})
}

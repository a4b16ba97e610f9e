package mpa

import (
	"errors"
	"fmt"
)

// ErrSideInfo reports side information that no encoder can have written.
var ErrSideInfo = errors.New("mpa: invalid side information")

// granule is the side information of one channel in one granule.
type granule struct {
	part23     int // bits of scalefactors and Huffman data
	bigValues  int // pairs coded with the big-value tables
	globalGain int
	sfCompress int
	blockType  int  // 0 normal, 1 start, 2 short, 3 stop
	mixed      bool // short block whose two lowest subbands are long
	table      [3]int
	subGain    [3]int
	region1    int // first sample of region 1
	region2    int // first sample of region 2
	preflag    bool
	sfScale    int
	count1Tab  int
	scfsi      int // MPEG-1, second granule: 4 bits, which groups reuse granule 0's scalefactors

	// Band layout: long bands 0..longEnd-1, then short bands shortStart..12
	// (three windows each).
	longEnd, shortStart int
}

type sideInfo struct {
	mainDataBegin int
	gr            [2][2]granule // [granule][channel]
}

// readSideInfo parses the side information of a frame with header h from b.
func readSideInfo(h *Header, b []byte, si *sideInfo) error {
	r := bitReader{b: b}
	nch := h.Channels
	if h.lsf() {
		si.mainDataBegin = r.read(8)
		r.read(nch) // private bits
	} else {
		si.mainDataBegin = r.read(9)
		if nch == 1 {
			r.read(5)
		} else {
			r.read(3)
		}
		for ch := range nch {
			si.gr[0][ch].scfsi = 0
			si.gr[1][ch].scfsi = r.read(4)
		}
	}
	for gr := range h.granules() {
		for ch := range nch {
			g := &si.gr[gr][ch]
			g.part23 = r.read(12)
			g.bigValues = r.read(9)
			if g.bigValues > 288 {
				return fmt.Errorf("%w: big_values %d > 288", ErrSideInfo, g.bigValues)
			}
			g.globalGain = r.read(8)
			if h.lsf() {
				g.sfCompress = r.read(9)
			} else {
				g.sfCompress = r.read(4)
			}
			g.mixed = false
			g.subGain = [3]int{}
			if r.bit() == 1 { // window switching
				g.blockType = r.read(2)
				if g.blockType == 0 {
					return fmt.Errorf("%w: window switching with block type 0", ErrSideInfo)
				}
				g.mixed = r.bit() == 1
				g.table[0] = r.read(5)
				g.table[1] = r.read(5)
				g.table[2] = 0
				if g.blockType != 2 && g.mixed {
					return fmt.Errorf("%w: mixed block of type %d", ErrSideInfo, g.blockType)
				}
				for w := range 3 {
					g.subGain[w] = r.read(3)
				}
				// Region 0 is implicit: 36 samples (72 at 8 kHz) for short
				// blocks, eight long bands otherwise; region 1 runs to the
				// end of the big values.
				if g.blockType == 2 {
					g.region1 = 3 * sfbShort[h.rateIndex][3]
				} else {
					g.region1 = sfbLong[h.rateIndex][8]
				}
				g.region2 = 576
			} else {
				g.blockType = 0
				for i := range 3 {
					g.table[i] = r.read(5)
				}
				r0 := r.read(4)
				r1 := r.read(3)
				g.region1 = sfbLong[h.rateIndex][r0+1]
				g.region2 = sfbLong[h.rateIndex][min(r0+r1+2, 22)]
			}
			bv := 2 * g.bigValues
			lo := 0
			for i, hi := range [3]int{min(g.region1, bv), min(g.region2, bv), bv} {
				if t := g.table[i]; (t == 4 || t == 14) && hi > lo {
					return fmt.Errorf("%w: Huffman table %d does not exist", ErrSideInfo, t)
				}
				lo = max(lo, hi)
			}
			g.preflag = false
			if !h.lsf() {
				g.preflag = r.bit() == 1
			}
			g.sfScale = r.bit()
			g.count1Tab = r.bit()

			switch {
			case g.blockType != 2:
				g.longEnd, g.shortStart = 22, 13
			case g.mixed && h.lsf():
				g.longEnd, g.shortStart = 6, 3
			case g.mixed:
				g.longEnd, g.shortStart = 8, 3
			default:
				g.longEnd, g.shortStart = 0, 0
			}
		}
	}
	return nil
}

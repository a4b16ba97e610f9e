package mpa

import "math"

// readScalefactorsV1 reads the MPEG-1 scalefactors of granule gr, channel ch
// (ISO/IEC 11172-3 2.4.2.7). Layout of d.sf[ch]: long bands 0..longEnd-1,
// then three values (one per window) for each short band from shortStart.
func (d *Decoder) readScalefactorsV1(r *bitReader, g *granule, gr, ch int) {
	slen1, slen2 := slenV1[g.sfCompress][0], slenV1[g.sfCompress][1]
	sf := &d.sf[ch]
	if g.blockType == 2 {
		n := 18
		if g.mixed {
			n = 17 // eight long bands and three short ones
		}
		j := 0
		for range n {
			sf[j] = uint8(r.read(slen1))
			j++
		}
		for range 18 {
			sf[j] = uint8(r.read(slen2))
			j++
		}
		sf[j], sf[j+1], sf[j+2] = 0, 0, 0
		return
	}
	j := 0
	for k := range 4 {
		n := 5
		if k == 0 {
			n = 6
		}
		if gr == 1 && g.scfsi&(8>>k) != 0 {
			j += n // reuse granule 0's
			continue
		}
		slen := slen2
		if k < 2 {
			slen = slen1
		}
		for range n {
			sf[j] = uint8(r.read(slen))
			j++
		}
	}
	sf[21] = 0
}

// readScalefactorsLSF reads MPEG-2 (and 2.5) scalefactors (ISO/IEC 13818-3
// 2.4.3.2), including the intensity-stereo coding of the right channel.
func (d *Decoder) readScalefactorsLSF(h *Header, r *bitReader, g *granule, ch int) {
	var slen [4]int
	var tbl int
	sc := g.sfCompress
	g.preflag = false
	if h.Mode == ModeJointStereo && h.ModeExt&1 != 0 && ch == 1 {
		sc >>= 1
		switch {
		case sc < 180:
			slen, tbl = [4]int{sc / 36, (sc % 36) / 6, sc % 6, 0}, 3
		case sc < 244:
			sc -= 180
			slen, tbl = [4]int{(sc % 64) >> 4, (sc % 16) >> 2, sc % 4, 0}, 4
		default:
			sc -= 244
			slen, tbl = [4]int{sc / 3, sc % 3, 0, 0}, 5
		}
	} else {
		switch {
		case sc < 400:
			slen, tbl = [4]int{(sc >> 4) / 5, (sc >> 4) % 5, (sc % 16) >> 2, sc % 4}, 0
		case sc < 500:
			sc -= 400
			slen, tbl = [4]int{(sc >> 2) / 5, (sc >> 2) % 5, sc % 4, 0}, 1
		default:
			sc -= 500
			slen, tbl = [4]int{sc / 3, sc % 3, 0, 0}, 2
			g.preflag = true
		}
	}
	kind := 0
	if g.blockType == 2 {
		kind = 1
		if g.mixed {
			kind = 2
		}
	}
	sf := &d.sf[ch]
	j := 0
	for k := range 4 {
		for range lsfSfbCount[tbl][kind][k] {
			sf[j] = uint8(r.read(slen[k]))
			d.sfBits[ch][j] = uint8(slen[k])
			j++
		}
	}
	for ; j < len(sf); j++ {
		sf[j], d.sfBits[ch][j] = 0, 0
	}
}

// huffman decodes the spectral values of one granule and channel into iv,
// stopping at bit end, and returns how many values may be non-zero.
func huffman(r *bitReader, g *granule, end int, iv *[576]int32) int {
	bv := g.bigValues * 2
	limits := [3]int{min(g.region1, bv), min(g.region2, bv), bv}
	i := 0
	for region, lim := range limits {
		t := bigValueTables[g.table[region]]
		if t.lut == nil {
			for ; i < lim; i++ {
				iv[i] = 0
			}
			continue
		}
		lb := t.linbits
		for ; i < lim; i += 2 {
			v := t.lut.decode(r)
			x, y := int32(v>>4), int32(v&15)
			if x == 15 && lb > 0 {
				x += int32(r.read(lb))
			}
			if x != 0 && r.bit() == 1 {
				x = -x
			}
			if y == 15 && lb > 0 {
				y += int32(r.read(lb))
			}
			if y != 0 && r.bit() == 1 {
				y = -y
			}
			iv[i], iv[i+1] = x, y
		}
	}
	lut := count1LUT[g.count1Tab]
	for i <= 572 && r.pos < end {
		v := lut.decode(r)
		var q [4]int32
		for k := range 4 {
			if v&(8>>k) != 0 {
				q[k] = 1
				if r.bit() == 1 {
					q[k] = -1
				}
			}
		}
		if r.pos > end {
			break // the quadruple ran past the granule's data: drop it
		}
		iv[i], iv[i+1], iv[i+2], iv[i+3] = q[0], q[1], q[2], q[3]
		i += 4
	}
	for k := i; k < 576; k++ {
		iv[k] = 0
	}
	return i
}

// requantize turns the Huffman values of one granule and channel into
// spectral values: sign(v) |v|^(4/3) 2^(exponent/4) (ISO/IEC 11172-3
// 2.4.3.4.7), band by band. n bounds the non-zero values.
func (d *Decoder) requantize(h *Header, g *granule, ch int, iv *[576]int32, n int) {
	xr := &d.xr[ch]
	sf := &d.sf[ch]
	gain := g.globalGain - 210
	shift := uint(g.sfScale + 1)
	long := &sfbLong[h.rateIndex]
	i := 0
	for b := 0; b < g.longEnd && i < n; b++ {
		s := int(sf[b])
		if g.preflag {
			s += pretab[b]
		}
		scale := quarterPow(gain - s<<shift)
		for end := long[b+1]; i < end; i++ {
			xr[i] = dequant(iv[i], scale)
		}
	}
	short := &sfbShort[h.rateIndex]
	k := g.longEnd
	for b := g.shortStart; b < 13 && i < n; b++ {
		w := short[b+1] - short[b]
		for win := range 3 {
			scale := quarterPow(gain - 8*g.subGain[win] - int(sf[k])<<shift)
			k++
			for end := i + w; i < end; i++ {
				xr[i] = dequant(iv[i], scale)
			}
		}
	}
	for ; i < 576; i++ {
		xr[i] = 0
	}
}

func quarterPow(q int) float32 {
	return float32(math.Ldexp(pow2q[q&3], q>>2))
}

func dequant(v int32, scale float32) float32 {
	switch {
	case v == 0:
		return 0
	case v > 0:
		return pow43[min(v, int32(len(pow43)-1))] * scale
	default:
		return -pow43[min(-v, int32(len(pow43)-1))] * scale
	}
}

// stereo undoes joint-stereo coding of one granule: intensity stereo where
// the right channel's spectrum is zero, mid/side elsewhere if enabled
// (ISO/IEC 11172-3 2.4.3.4.9, ISO/IEC 13818-3 2.4.3.2). It follows the
// right channel's block layout.
func (d *Decoder) stereo(h *Header, g1 *granule) {
	ms := h.ModeExt&2 != 0
	l, r := &d.xr[0], &d.xr[1]
	if h.ModeExt&1 == 0 {
		if ms {
			// Past both channels' last non-zero value, M/S maps zeros to zeros.
			for i := range max(d.nz[0], d.nz[1]) {
				a, b := l[i], r[i]
				l[i] = (a + b) * math.Sqrt2 / 2
				r[i] = (a - b) * math.Sqrt2 / 2
			}
		}
		return
	}
	sf := &d.sf[1]
	// ratio returns the intensity factors for scalefactor index k, or
	// ok=false for an illegal intensity position.
	ratio := func(k int) (fl, fr float32, ok bool) {
		pos := int(sf[k])
		if !h.lsf() {
			if pos >= 7 {
				return 0, 0, false
			}
			return isRatioV1[pos][0], isRatioV1[pos][1], true
		}
		if bits := d.sfBits[1][k]; bits > 0 && pos == 1<<bits-1 {
			return 0, 0, false
		}
		f := isRatioLSF[g1.sfCompress&1][pos&31]
		return f[0], f[1], true
	}
	band := func(lo, hi int, intensity bool, fl, fr float32) {
		switch {
		case intensity:
			for j := lo; j < hi; j++ {
				v := l[j]
				l[j] = v * fl
				r[j] = v * fr
			}
		case ms:
			for j := lo; j < hi; j++ {
				a, b := l[j], r[j]
				l[j] = (a + b) * math.Sqrt2 / 2
				r[j] = (a - b) * math.Sqrt2 / 2
			}
		}
	}
	zero := func(lo, hi int) bool {
		for j := lo; j < hi; j++ {
			if r[j] != 0 {
				return false
			}
		}
		return true
	}
	short := &sfbShort[h.rateIndex]
	long := &sfbLong[h.rateIndex]
	var found [3]bool
	pos := 576
	k := (13-g1.shortStart)*3 + g1.longEnd - 3
	for b := 12; b >= g1.shortStart; b-- {
		if b != 11 {
			k -= 3 // the last band uses the one below's scalefactor
		}
		w := short[b+1] - short[b]
		for win := 2; win >= 0; win-- {
			pos -= w
			is := false
			var fl, fr float32
			if !found[win] {
				if zero(pos, pos+w) {
					fl, fr, is = ratio(k + win)
				} else {
					found[win] = true
				}
			}
			band(pos, pos+w, is, fl, fr)
		}
	}
	nonZero := found[0] || found[1] || found[2]
	for b := g1.longEnd - 1; b >= 0; b-- {
		lo, hi := long[b], long[b+1]
		is := false
		var fl, fr float32
		if !nonZero {
			if zero(lo, hi) {
				k := b
				if b == 21 {
					k = 20
				}
				fl, fr, is = ratio(k)
			} else {
				nonZero = true
			}
		}
		band(lo, hi, is, fl, fr)
	}
}

// reorder puts short-block values, coded band by band and window by window,
// into the order the IMDCT takes: for each frequency, the three windows.
func (d *Decoder) reorder(h *Header, g *granule, ch int) {
	if g.blockType != 2 {
		return
	}
	xr := &d.xr[ch]
	short := &sfbShort[h.rateIndex]
	tmp := d.tmp[:]
	for b := g.shortStart; b < 13; b++ {
		w := short[b+1] - short[b]
		base := 3 * short[b]
		for win := range 3 {
			for j := range w {
				tmp[3*j+win] = xr[base+win*w+j]
			}
		}
		copy(xr[base:base+3*w], tmp[:3*w])
	}
}

// antialias applies the alias-reduction butterflies between adjacent long
// subbands.
func (d *Decoder) antialias(g *granule, ch int) {
	n := 31
	if g.blockType == 2 {
		if !g.mixed {
			return
		}
		n = 1
	}
	xr := &d.xr[ch]
	for sb := 1; sb <= n; sb++ {
		o := 18 * sb
		for i := range 8 {
			a, b := xr[o-1-i], xr[o+i]
			xr[o-1-i] = a*aliasCS[i] - b*aliasCA[i]
			xr[o+i] = b*aliasCS[i] + a*aliasCA[i]
		}
	}
}

// hybrid runs the IMDCT of every subband with window switching, overlaps it
// with the previous granule, inverts odd subbands' odd samples, and leaves
// the subband samples of 18 time slots in d.sub.
func (d *Decoder) hybrid(g *granule, ch int) {
	xr := &d.xr[ch]
	// Subbands past the last non-zero value only release their overlap.
	last := 575
	for last >= 0 && xr[last] == 0 {
		last--
	}
	limit := last/18 + 1
	ov := &d.overlap[ch]
	var out [36]float32
	for sb := range 32 {
		if sb >= limit {
			for i := range 18 {
				v := ov[sb][i]
				if sb&1 == 1 && i&1 == 1 {
					v = -v
				}
				d.sub[i][sb] = v
				ov[sb][i] = 0
			}
			continue
		}
		in := xr[18*sb : 18*sb+18]
		if g.blockType == 2 && !(g.mixed && sb < 2) {
			out = [36]float32{}
			for win := range 3 {
				// y[5-i] = -y[i] and y[17-i] = y[i]: six sums give all 12.
				var y [12]float32
				for _, i := range [6]int{0, 1, 2, 6, 7, 8} {
					var s float32
					c := &cos12[i]
					for k := range 6 {
						s += in[3*k+win] * c[k]
					}
					y[i] = s
				}
				for i := range 3 {
					y[5-i] = -y[i]
					y[11-i] = y[6+i]
				}
				o := out[6+6*win : 18+6*win]
				for i := range 12 {
					o[i] += y[i] * imdctWin[2][i]
				}
			}
		} else {
			bt := g.blockType
			if g.mixed {
				bt = 0
			}
			win := &imdctWin[bt]
			// x[17-i] = -x[i] and x[53-i] = x[i]: 18 sums give all 36.
			var x [36]float32
			in := (*[18]float32)(in)
			for _, i := range [18]int{0, 1, 2, 3, 4, 5, 6, 7, 8, 18, 19, 20, 21, 22, 23, 24, 25, 26} {
				c := &cos36[i]
				var s0, s1 float32
				for k := 0; k < 18; k += 2 {
					s0 += in[k] * c[k]
					s1 += in[k+1] * c[k+1]
				}
				x[i] = s0 + s1
			}
			for i := range 9 {
				x[17-i] = -x[i]
				x[35-i] = x[18+i]
			}
			for i := range 36 {
				out[i] = x[i] * win[i]
			}
		}
		for i := range 18 {
			v := out[i] + ov[sb][i]
			if sb&1 == 1 && i&1 == 1 {
				v = -v
			}
			d.sub[i][sb] = v
			ov[sb][i] = out[18+i]
		}
	}
}

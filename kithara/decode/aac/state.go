package aac

import (
	"fmt"
	"math"
)

// Syntactic elements of a raw_data_block (ISO/IEC 14496-3 Table 4.85).
const (
	elemSCE = 0 // single channel
	elemCPE = 1 // channel pair
	elemCCE = 2 // coupling channel
	elemLFE = 3 // low-frequency channel
	elemDSE = 4 // data stream
	elemPCE = 5 // program config
	elemFIL = 6 // fill
	elemEND = 7
)

// Codebook numbers with a meaning of their own (Table 4.152).
const (
	cbZero       = 0
	cbEsc        = 11
	cbNoise      = 13
	cbIntensity2 = 14 // out of phase
	cbIntensity  = 15 // in phase
)

// tnsMaxBands is TNS_MAX_BANDS for AAC-LC by sampling frequency index,
// long and short windows (Table 4.156).
var tnsMaxBands = [2][13]int{
	{31, 31, 34, 40, 42, 51, 46, 46, 42, 42, 42, 39, 39},
	{9, 9, 10, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14},
}

// icsInfo is an ics_info(): the window and band layout of one channel's
// frame.
type icsInfo struct {
	seq, shape int
	maxSfb     int
	numWindows int
	numGroups  int
	groupLen   [8]int
	swb        []uint16 // band offsets within one window
}

type tnsFilter struct {
	length, order int
	down          bool // direction: filter from high to low frequencies
	lpc           [tnsMaxOrder + 1]float32
}

const tnsMaxOrder = 12 // AAC-LC long windows; 7 for short ones

type channel struct {
	info       icsInfo
	globalGain int
	cb         [8][64]uint8 // codebook by group and band
	sf         [8][64]int   // scalefactor, noise energy or intensity position
	tnsPresent bool
	nFilt      [8]int
	filt       [8][3]tnsFilter
	q          [1024]int32 // quantized spectrum, window after window
	spec       [1024]float32

	overlap   [1024]float32
	prevShape int
}

// toolCounts counts uses of each coding tool: channel frames by window
// sequence and shape, bands coded with M/S, intensity and noise, TNS
// filters, pulse sets.
type toolCounts struct {
	seq                   [4]int
	kbd                   int
	ms, intensity, noise  int
	sharedNoise           int // noise bands a pair shares (ms_used)
	tnsFilters, pulseSets int
}

// state holds what persists between access units, and scratch space.
type state struct {
	cfg       Config
	sri       int // sampling frequency index for the band tables
	swbLong   []uint16
	swbShort  []uint16
	ch        [2]channel
	common    bool // the pair shares one ics_info
	msPresent int
	msUsed    [8][64]bool
	noise     uint32 // PNS random state
	// independentNoise draws a pair's noise bands independently even where
	// ms_used asks for the same noise in both channels, as ffmpeg's decoder
	// does; the accuracy test sets it to compare with ffmpeg.
	independentNoise bool
	// used counts the tools the stream has used, for tests to check that a
	// fixture exercises what it is meant to.
	used toolCounts
	buf  [2048]float32
	win  [256]float32
}

func newState(cfg Config) *state {
	tables()
	s := &state{cfg: cfg, sri: rateIndex(cfg.SampleRate)}
	switch {
	case s.sri <= 1:
		s.swbLong, s.swbShort = swbOffset1024_96, swbOffset128_96
	case s.sri == 2:
		s.swbLong, s.swbShort = swbOffset1024_64, swbOffset128_64
	case s.sri <= 4:
		s.swbLong, s.swbShort = swbOffset1024_48, swbOffset128_48
	case s.sri == 5:
		s.swbLong, s.swbShort = swbOffset1024_32, swbOffset128_48
	case s.sri <= 7:
		s.swbLong, s.swbShort = swbOffset1024_24, swbOffset128_24
	case s.sri <= 10:
		s.swbLong, s.swbShort = swbOffset1024_16, swbOffset128_16
	default:
		s.swbLong, s.swbShort = swbOffset1024_8, swbOffset128_8
	}
	s.reset()
	return s
}

func (s *state) reset() {
	for i := range s.ch {
		s.ch[i].overlap = [1024]float32{}
		s.ch[i].prevShape = shapeSine
	}
	s.noise = 0x1f2e3d4c
}

func invalid(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, ErrInvalid)...)
}

func unsupported(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, ErrUnsupported)...)
}

// decode parses a whole raw_data_block, then reconstructs and synthesises
// its channels: a block that fails to parse changes no state.
func (s *state) decode(au []byte, dst []float32) ([]float32, error) {
	r := newBitReader(au)
	nch := s.cfg.Channels
	decoded := false
	for done := false; !done; {
		if r.left() < 3 {
			if decoded {
				break // tolerate a block that ends without END
			}
			return dst, invalid("raw_data_block of %d bytes ends before its audio", len(au))
		}
		id := r.read(3)
		switch id {
		case elemSCE, elemLFE, elemCPE:
			want := elemSCE
			if nch == 2 {
				want = elemCPE
			}
			if int(id) != want {
				return dst, unsupported("element type %d in a %d-channel stream", id, nch)
			}
			if decoded {
				return dst, unsupported("more than one audio element in a %d-channel stream", nch)
			}
			r.skip(4) // element_instance_tag
			var err error
			if id == elemCPE {
				err = s.decodeCPE(&r)
			} else {
				err = s.decodeICS(&r, &s.ch[0], false)
			}
			if err != nil {
				return dst, err
			}
			decoded = true
		case elemCCE:
			return dst, unsupported("coupling channel element")
		case elemDSE:
			r.skip(4)
			align := r.bit()
			n := int(r.read(8))
			if n == 255 {
				n += int(r.read(8))
			}
			if align {
				r.align()
			}
			r.skip(8 * n)
		case elemPCE:
			skipPCE(&r)
		case elemFIL:
			n := int(r.read(4))
			if n == 15 {
				n += int(r.read(8)) - 1
			}
			r.skip(8 * n)
		case elemEND:
			done = true
		}
		if r.overrun {
			return dst, invalid("raw_data_block of %d bytes truncated", len(au))
		}
	}
	if !decoded {
		return dst, invalid("raw_data_block without an audio element")
	}
	for c := range nch {
		s.reconstruct(c)
	}
	if nch == 2 {
		s.stereo()
	}
	for c := range nch {
		s.tns(&s.ch[c])
		s.synthesize(&s.ch[c])
	}
	n := len(dst)
	dst = append(dst, make([]float32, 1024*nch)...)
	out := dst[n:]
	if nch == 1 {
		copy(out, s.ch[0].spec[:])
	} else {
		l, r := &s.ch[0].spec, &s.ch[1].spec
		for i := range 1024 {
			out[2*i] = l[i]
			out[2*i+1] = r[i]
		}
	}
	return dst, nil
}

// skipPCE reads past a program_config_element (4.4.1.1).
func skipPCE(r *bitReader) {
	r.skip(4 + 2 + 4)
	front, side, back := int(r.read(4)), int(r.read(4)), int(r.read(4))
	lfe, assoc, cc := int(r.read(2)), int(r.read(3)), int(r.read(4))
	if r.bit() { // mono_mixdown_element_number
		r.skip(4)
	}
	if r.bit() { // stereo_mixdown_element_number
		r.skip(4)
	}
	if r.bit() { // matrix_mixdown_idx, pseudo_surround_enable
		r.skip(3)
	}
	r.skip(5*(front+side+back) + 4*lfe + 4*assoc + 5*cc)
	r.align()
	r.skip(8 * int(r.read(8)))
}

func (s *state) decodeCPE(r *bitReader) error {
	common := r.bit()
	s.common = common
	s.msPresent = 0
	if common {
		if err := s.readICSInfo(r, &s.ch[0].info); err != nil {
			return err
		}
		s.ch[1].info = s.ch[0].info
		s.msPresent = int(r.read(2))
		switch s.msPresent {
		case 1:
			info := &s.ch[0].info
			for g := range info.numGroups {
				for b := range info.maxSfb {
					s.msUsed[g][b] = r.bit()
				}
			}
		case 3:
			return invalid("ms_mask_present 3 (reserved)")
		}
	}
	if err := s.decodeICS(r, &s.ch[0], common); err != nil {
		return err
	}
	return s.decodeICS(r, &s.ch[1], common)
}

func (s *state) readICSInfo(r *bitReader, info *icsInfo) error {
	r.skip(1) // ics_reserved_bit
	info.seq = int(r.read(2))
	info.shape = int(r.read(1))
	if info.seq == eightShort {
		info.maxSfb = int(r.read(4))
		grouping := r.read(7)
		info.numWindows = 8
		info.numGroups = 1
		info.groupLen = [8]int{1}
		for i := 6; i >= 0; i-- {
			if grouping>>i&1 != 0 {
				info.groupLen[info.numGroups-1]++
			} else {
				info.groupLen[info.numGroups] = 1
				info.numGroups++
			}
		}
		info.swb = s.swbShort
	} else {
		info.maxSfb = int(r.read(6))
		if r.bit() {
			return unsupported("predictor data (AAC Main prediction or LTP) in an AAC-LC stream")
		}
		info.numWindows, info.numGroups = 1, 1
		info.groupLen = [8]int{1}
		info.swb = s.swbLong
	}
	if n := len(info.swb) - 1; info.maxSfb > n {
		return invalid("max_sfb %d above the %d bands of the window", info.maxSfb, n)
	}
	return nil
}

// decodeICS reads an individual_channel_stream into ch.q and ch.spec
// (dequantized; noise and intensity bands are filled in later).
func (s *state) decodeICS(r *bitReader, ch *channel, common bool) error {
	ch.globalGain = int(r.read(8))
	if !common {
		if err := s.readICSInfo(r, &ch.info); err != nil {
			return err
		}
	}
	info := &ch.info
	short := info.seq == eightShort
	// section_data
	bits := 5
	if short {
		bits = 3
	}
	esc := 1<<bits - 1
	for g := range info.numGroups {
		for k := 0; k < info.maxSfb; {
			cb := uint8(r.read(4))
			if cb == 12 {
				return invalid("section codebook 12 (reserved)")
			}
			n := 0
			for {
				inc := int(r.read(bits))
				n += inc
				if inc != esc || r.overrun {
					break
				}
			}
			if r.overrun {
				return invalid("section data truncated")
			}
			if n == 0 || k+n > info.maxSfb {
				return invalid("section of %d bands from band %d past max_sfb %d", n, k, info.maxSfb)
			}
			for b := k; b < k+n; b++ {
				ch.cb[g][b] = cb
			}
			k += n
		}
	}
	// scale_factor_data
	sf, noise, is := ch.globalGain, ch.globalGain-90, 0
	firstNoise := true
	for g := range info.numGroups {
		for b := range info.maxSfb {
			switch ch.cb[g][b] {
			case cbZero:
				ch.sf[g][b] = 0
			case cbIntensity, cbIntensity2:
				d, ok := sfHuf.decode(r)
				if !ok {
					return invalid("bad scalefactor code")
				}
				is += int(d) - 60
				ch.sf[g][b] = is
			case cbNoise:
				if firstNoise {
					firstNoise = false
					noise += int(r.read(9)) - 256
				} else {
					d, ok := sfHuf.decode(r)
					if !ok {
						return invalid("bad scalefactor code")
					}
					noise += int(d) - 60
				}
				ch.sf[g][b] = noise
			default:
				d, ok := sfHuf.decode(r)
				if !ok {
					return invalid("bad scalefactor code")
				}
				sf += int(d) - 60
				if sf < 0 || sf > 255 {
					return invalid("scalefactor %d out of range", sf)
				}
				ch.sf[g][b] = sf
			}
		}
	}
	if is < -256 || is > 256 || noise < -256 || noise > 512 {
		return invalid("intensity position %d or noise energy %d out of range", is, noise)
	}
	// pulse_data
	type pulse struct{ k, amp int }
	var pulses [4]pulse
	npulse := 0
	if r.bit() {
		if short {
			return invalid("pulse data in a short-window frame")
		}
		npulse = int(r.read(2)) + 1
		start := int(r.read(6))
		if start >= len(info.swb)-1 {
			return invalid("pulse start band %d", start)
		}
		k := int(info.swb[start])
		for i := range npulse {
			k += int(r.read(5))
			if k >= 1024 {
				return invalid("pulse at coefficient %d", k)
			}
			pulses[i] = pulse{k, int(r.read(4))}
		}
	}
	// tns_data
	ch.tnsPresent = r.bit()
	if ch.tnsPresent {
		if err := readTNS(r, ch); err != nil {
			return err
		}
	}
	if r.bit() {
		return unsupported("gain control data (AAC SSR) in an AAC-LC stream")
	}
	if r.overrun {
		return invalid("channel stream truncated")
	}
	// spectral_data
	ch.q = [1024]int32{}
	win := 0
	for g := range info.numGroups {
		for b := range info.maxSfb {
			cb := int(ch.cb[g][b])
			if cb == cbZero || cb >= cbNoise {
				continue
			}
			t := &spectralHuf[cb-1]
			lo, hi := int(info.swb[b]), int(info.swb[b+1])
			for w := win; w < win+info.groupLen[g]; w++ {
				q := ch.q[w*128+lo : w*128+hi]
				if err := decodeBand(r, t, cb, q); err != nil {
					return err
				}
			}
		}
		win += info.groupLen[g]
	}
	if r.overrun {
		return invalid("spectral data truncated")
	}
	if npulse > 0 {
		s.used.pulseSets++
	}
	for _, p := range pulses[:npulse] {
		if ch.q[p.k] > 0 {
			ch.q[p.k] += int32(p.amp)
		} else {
			ch.q[p.k] -= int32(p.amp)
		}
	}
	// Dequantization: sign(q)·|q|^(4/3)·2^((sf-100)/4).
	ch.spec = [1024]float32{}
	win = 0
	for g := range info.numGroups {
		for b := range info.maxSfb {
			cb := int(ch.cb[g][b])
			if cb == cbZero || cb >= cbNoise {
				continue
			}
			gain := float32(math.Exp2(float64(ch.sf[g][b]-100) / 4))
			lo, hi := int(info.swb[b]), int(info.swb[b+1])
			for w := win; w < win+info.groupLen[g]; w++ {
				for k := w*128 + lo; k < w*128+hi; k++ {
					q := ch.q[k]
					switch {
					case q > 0:
						ch.spec[k] = iqTable[min(q, 8191)] * gain
					case q < 0:
						ch.spec[k] = -iqTable[min(-q, 8191)] * gain
					}
				}
			}
		}
		win += info.groupLen[g]
	}
	return nil
}

// decodeBand reads the spectral codewords of one band of one window.
func decodeBand(r *bitReader, t *huffTable, cb int, q []int32) error {
	unsigned := cb >= 3 && cb != 5 && cb != 6
	dim := 2
	if cb <= 4 {
		dim = 4
	}
	for k := 0; k+dim <= len(q); k += dim {
		sym, ok := t.decode(r)
		if !ok {
			return invalid("bad spectral code in codebook %d", cb)
		}
		for i := range dim {
			v := int32(sym>>(5*i)&31) - 15
			if unsigned && v != 0 && r.bit() {
				v = -v
			}
			q[k+i] = v
		}
		if cb == cbEsc {
			for i := range 2 {
				v := q[k+i]
				if v != 16 && v != -16 {
					continue
				}
				n := 0
				for r.bit() {
					n++
					if n > 8 {
						return invalid("escape sequence too long")
					}
				}
				e := int32(1)<<(n+4) + int32(r.read(n+4))
				if v < 0 {
					e = -e
				}
				q[k+i] = e
			}
		}
		if r.overrun {
			return nil
		}
	}
	return nil
}

func readTNS(r *bitReader, ch *channel) error {
	short := ch.info.seq == eightShort
	nBits, lenBits, ordBits, maxOrder := 2, 6, 5, tnsMaxOrder
	if short {
		nBits, lenBits, ordBits, maxOrder = 1, 4, 3, 7
	}
	for w := range ch.info.numWindows {
		ch.nFilt[w] = int(r.read(nBits))
		if ch.nFilt[w] == 0 {
			continue
		}
		res := int(r.read(1)) + 3
		for f := range ch.nFilt[w] {
			flt := &ch.filt[w][f]
			flt.length = int(r.read(lenBits))
			flt.order = int(r.read(ordBits))
			if flt.order > maxOrder {
				return invalid("TNS filter order %d (at most %d)", flt.order, maxOrder)
			}
			if flt.order == 0 {
				continue
			}
			flt.down = r.bit()
			bits := res - int(r.read(1))
			iqfac := (float64(int(1)<<(res-1)) - 0.5) / (math.Pi / 2)
			iqfacM := (float64(int(1)<<(res-1)) + 0.5) / (math.Pi / 2)
			var parcor [tnsMaxOrder]float64
			for i := range flt.order {
				c := int(r.read(bits))
				if c >= 1<<(bits-1) {
					c -= 1 << bits
				}
				if c >= 0 {
					parcor[i] = math.Sin(float64(c) / iqfac)
				} else {
					parcor[i] = math.Sin(float64(c) / iqfacM)
				}
			}
			// Step-up recursion from reflection to direct-form coefficients.
			var a, b [tnsMaxOrder + 1]float64
			a[0] = 1
			for m := 1; m <= flt.order; m++ {
				for i := 1; i < m; i++ {
					b[i] = a[i] + parcor[m-1]*a[m-i]
				}
				copy(a[1:m], b[1:m])
				a[m] = parcor[m-1]
			}
			for i := range a {
				flt.lpc[i] = float32(a[i])
			}
		}
	}
	return nil
}

// reconstruct fills the noise bands of channel c (perceptual noise
// substitution, 4.6.13) except those a channel pair shares, which stereo
// does.
func (s *state) reconstruct(c int) {
	ch := &s.ch[c]
	info := &ch.info
	win := 0
	for g := range info.numGroups {
		for b := range info.maxSfb {
			if ch.cb[g][b] != cbNoise {
				continue
			}
			lo, hi := int(info.swb[b]), int(info.swb[b+1])
			correlated := c == 1 && s.ch[0].cb[g][b] == cbNoise && s.msPresent != 0 && (s.msPresent == 2 || s.msUsed[g][b])
			if correlated {
				s.used.sharedNoise++
			}
			shared := correlated && !s.independentNoise
			for w := win; w < win+info.groupLen[g]; w++ {
				band := ch.spec[w*128+lo : w*128+hi]
				if shared {
					copy(band, s.ch[0].spec[w*128+lo:w*128+hi])
				} else {
					for i := range band {
						s.noise = s.noise*1664525 + 1013904223
						band[i] = float32(int32(s.noise))
					}
				}
				s.used.noise++
				var e float64
				for _, v := range band {
					e += float64(v) * float64(v)
				}
				if e == 0 {
					continue
				}
				scale := float32(math.Exp2(float64(ch.sf[g][b])/4) / math.Sqrt(e))
				for i := range band {
					band[i] *= scale
				}
			}
		}
		win += info.groupLen[g]
	}
}

// stereo applies M/S (4.6.8.1) and intensity stereo (4.6.8.2) to a pair.
func (s *state) stereo() {
	l, r := &s.ch[0], &s.ch[1]
	info := &r.info
	win := 0
	for g := range info.numGroups {
		for b := range info.maxSfb {
			lo, hi := int(info.swb[b]), int(info.swb[b+1])
			ms := s.msPresent == 2 || s.msPresent == 1 && s.msUsed[g][b]
			switch cb := r.cb[g][b]; {
			case cb == cbIntensity || cb == cbIntensity2:
				if !s.common {
					continue // intensity needs a common window
				}
				scale := float32(math.Exp2(-float64(r.sf[g][b]) / 4))
				if (cb == cbIntensity2) != (s.msPresent == 1 && s.msUsed[g][b]) {
					scale = -scale
				}
				s.used.intensity++
				for w := win; w < win+info.groupLen[g]; w++ {
					for k := w*128 + lo; k < w*128+hi; k++ {
						r.spec[k] = l.spec[k] * scale
					}
				}
			case ms && cb != cbNoise && l.cb[g][b] != cbNoise && s.msPresent != 0:
				s.used.ms++
				for w := win; w < win+info.groupLen[g]; w++ {
					for k := w*128 + lo; k < w*128+hi; k++ {
						m, d := l.spec[k], r.spec[k]
						l.spec[k], r.spec[k] = m+d, m-d
					}
				}
			}
		}
		win += info.groupLen[g]
	}
}

// tns applies the channel's temporal noise shaping filters (4.6.9).
func (s *state) tns(ch *channel) {
	if !ch.tnsPresent {
		return
	}
	info := &ch.info
	short := info.seq == eightShort
	maxBands := tnsMaxBands[0][min(s.sri, 12)]
	if short {
		maxBands = tnsMaxBands[1][min(s.sri, 12)]
	}
	limit := min(maxBands, info.maxSfb)
	for w := range info.numWindows {
		bottom := len(info.swb) - 1
		for f := range ch.nFilt[w] {
			flt := &ch.filt[w][f]
			top := bottom
			bottom = max(top-flt.length, 0)
			if flt.order == 0 {
				continue
			}
			start := int(info.swb[min(bottom, limit)])
			end := int(info.swb[min(top, limit)])
			if end <= start {
				continue
			}
			s.used.tnsFilters++
			x := ch.spec[w*128+start : w*128+end]
			var hist [tnsMaxOrder]float32
			order := flt.order
			n := len(x)
			for i := range n {
				k := i
				if flt.down {
					k = n - 1 - i
				}
				y := x[k]
				for j := range order {
					y -= flt.lpc[j+1] * hist[j]
				}
				copy(hist[1:order], hist[:order-1])
				hist[0] = y
				x[k] = y
			}
		}
	}
}

// synthesize runs the filter bank (4.6.11): IMDCT, windowing and
// overlap-add, leaving the channel's 1024 output samples in ch.spec.
func (s *state) synthesize(ch *channel) {
	info := &ch.info
	buf := s.buf[:]
	prevLong := windows[ch.prevShape][0]
	prevShort := windows[ch.prevShape][1]
	curLong := windows[info.shape][0]
	curShort := windows[info.shape][1]
	if info.seq == eightShort {
		clear(buf)
		for w := range 8 {
			short.transform(ch.spec[w*128:w*128+128], s.win[:])
			rise := curShort
			if w == 0 {
				rise = prevShort
			}
			o := buf[448+w*128 : 448+w*128+256]
			for i := range 128 {
				o[i] += s.win[i] * rise[i]
				o[128+i] += s.win[128+i] * curShort[127-i]
			}
		}
	} else {
		long.transform(ch.spec[:], buf)
		if info.seq == longStop {
			clear(buf[:448])
			for i := range 128 {
				buf[448+i] *= prevShort[i]
			}
		} else {
			for i := range 1024 {
				buf[i] *= prevLong[i]
			}
		}
		if info.seq == longStart {
			for i := range 128 {
				buf[1024+448+i] *= curShort[127-i]
			}
			clear(buf[1024+576:])
		} else {
			for i := range 1024 {
				buf[1024+i] *= curLong[1023-i]
			}
		}
	}
	for i := range 1024 {
		ch.spec[i] = buf[i] + ch.overlap[i]
	}
	copy(ch.overlap[:], buf[1024:])
	ch.prevShape = info.shape
	s.used.seq[info.seq]++
	s.used.kbd += info.shape
}

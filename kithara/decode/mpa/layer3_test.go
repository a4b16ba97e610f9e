package mpa

import (
	"errors"
	"math"
	"testing"
)

// setBits writes v as an n-bit field at bit offset pos of b.
func setBits(b []byte, pos, n int, v int) {
	for i := range n {
		bit := (v >> (n - 1 - i)) & 1
		p := pos + i
		b[p/8] &^= 0x80 >> (p % 8)
		b[p/8] |= byte(bit) << (7 - p%8)
	}
}

// monoFrame returns an MPEG-1 mono 128 kb/s frame whose side information
// and main data are all zero: valid, and silent.
func monoFrame() []byte {
	f := make([]byte, 417)
	copy(f, []byte{0xff, 0xfb, 0x90, 0xc0})
	return f
}

func TestDecodeFrameErrors(t *testing.T) {
	// Bit offsets into an MPEG-1 mono side information (after the header).
	const (
		bigValues  = 4*8 + 18 + 12
		winSwitch  = 4*8 + 18 + 12 + 9 + 8 + 4
		blockTypes = winSwitch + 1
	)
	for _, tc := range []struct {
		name  string
		frame func() []byte
		want  error
	}{
		{"truncated", func() []byte { return monoFrame()[:416] }, ErrFrame},
		{"not a header", func() []byte { f := monoFrame(); f[1] = 0xfd; return f }, ErrHeader},
		{"big values", func() []byte { f := monoFrame(); setBits(f, bigValues, 9, 289); return f }, ErrSideInfo},
		{"block type 0", func() []byte { f := monoFrame(); setBits(f, winSwitch, 1, 1); setBits(f, blockTypes, 2, 0); return f }, ErrSideInfo},
		{"table 4", func() []byte {
			f := monoFrame()
			setBits(f, bigValues, 9, 1)
			setBits(f, winSwitch+1, 5, 4)
			return f
		}, ErrSideInfo},
		{"more bits than the frame", func() []byte { f := monoFrame(); setBits(f, 4*8+18, 12, 8*(417-21)+1); return f }, ErrSideInfo},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder()
			dst := []float32{1, 2, 3}
			got, err := d.DecodeFrame(tc.frame(), dst)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if len(got) != 3 {
				t.Errorf("dst grew to %d samples on error", len(got))
			}
			if tc.want != ErrSideInfo && len(d.res) != 0 {
				t.Errorf("a rejected frame fed %d bytes to the reservoir", len(d.res))
			}
		})
	}
	t.Run("silence", func(t *testing.T) {
		got, err := NewDecoder().DecodeFrame(monoFrame(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1152 {
			t.Fatalf("%d samples", len(got))
		}
		for i, v := range got {
			if v != 0 {
				t.Fatalf("sample %d is %g", i, v)
			}
		}
	})
}

// TestIntensityStereo checks the intensity and mid/side processing band by
// band on a hand-made spectrum: long blocks, 44.1 kHz (MPEG-1) and
// 22.05 kHz (MPEG-2, with its own position coding and illegal positions).
func TestIntensityStereo(t *testing.T) {
	const last = 10 // the right channel is non-zero up to long band 9
	type want func(band int, l, r float32) (float32, float32)
	ms := func(l, r float32) (float32, float32) {
		return (l + r) * math.Sqrt2 / 2, (l - r) * math.Sqrt2 / 2
	}
	for _, tc := range []struct {
		name    string
		h       Header
		sfc     int     // right channel scalefac_compress
		pos     [22]int // right channel scalefactors (intensity positions)
		bits    [22]int // MPEG-2: their bit lengths
		expects want
	}{
		{
			name: "mpeg1 intensity and mid/side",
			h:    Header{Version: MPEG1, Mode: ModeJointStereo, ModeExt: 3, Channels: 2, rateIndex: 0},
			pos:  [22]int{10: 0, 11: 3, 12: 6, 13: 7, 14: 2},
			expects: func(b int, l, r float32) (float32, float32) {
				switch {
				case b < last, b == 13:
					return ms(l, r) // below the intensity bands, or an illegal position
				case b == 11:
					k := float32(math.Tan(3 * math.Pi / 12))
					return l * k / (1 + k), l / (1 + k)
				case b == 12:
					return l, 0
				case b == 14:
					k := float32(math.Tan(2 * math.Pi / 12))
					return l * k / (1 + k), l / (1 + k)
				}
				return 0, l // position 0: all in the right channel
			},
		},
		{
			name: "mpeg2 intensity only",
			h:    Header{Version: MPEG2, Mode: ModeJointStereo, ModeExt: 1, Channels: 2, rateIndex: 3},
			sfc:  1, // intensity_scale 1: steps of 2^-1/2
			pos:  [22]int{10: 3, 11: 4, 12: 7, 13: 0},
			bits: [22]int{10: 3, 11: 3, 12: 3, 13: 3},
			expects: func(b int, l, r float32) (float32, float32) {
				switch {
				case b < last, b == 12:
					return l, r // no mid/side; position 7 of 3 bits is illegal
				case b == 10:
					return l * float32(math.Pow(2, -1)), l // odd: the left is attenuated
				case b == 11:
					return l, l * float32(math.Pow(2, -1)) // even: the right
				}
				return l, l
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder()
			long := &sfbLong[tc.h.rateIndex]
			for i := range 576 {
				d.xr[0][i] = float32(i%7) + 1
				if i < long[last] {
					d.xr[1][i] = float32(i%5) - 2.5
				}
			}
			for b := range 22 {
				d.sf[1][b] = uint8(tc.pos[b])
				d.sfBits[1][b] = uint8(tc.bits[b])
			}
			g := &granule{sfCompress: tc.sfc, longEnd: 22, shortStart: 13}
			l0, r0 := d.xr[0], d.xr[1]
			d.stereo(&tc.h, g)
			for b := range 22 {
				for i := long[b]; i < long[b+1]; i++ {
					wl, wr := tc.expects(b, l0[i], r0[i])
					if math.Abs(float64(d.xr[0][i]-wl)) > 1e-5 || math.Abs(float64(d.xr[1][i]-wr)) > 1e-5 {
						t.Fatalf("band %d sample %d: (%g, %g), want (%g, %g)", b, i, d.xr[0][i], d.xr[1][i], wl, wr)
					}
				}
			}
		})
	}
}

// TestIntensityStereoShort checks intensity stereo in short blocks, where
// each window finds its own lowest intensity band, and the last band takes
// the position of the one below.
func TestIntensityStereoShort(t *testing.T) {
	h := Header{Version: MPEG1, Mode: ModeJointStereo, ModeExt: 3, Channels: 2, rateIndex: 0}
	short := &sfbShort[0]
	last := [3]int{5, 8, 0} // per window, the right channel is non-zero in bands below this
	d := NewDecoder()
	pos := func(b, w int) int { return (b + 2*w) % 7 } // 6 is "all left", never illegal
	for b := range 13 {
		width := short[b+1] - short[b]
		for w := range 3 {
			lo := 3*short[b] + w*width
			for i := lo; i < lo+width; i++ {
				d.xr[0][i] = float32(i%9) + 1
				if b < last[w] {
					d.xr[1][i] = float32(i%4) - 1.5
				}
			}
			if b < 12 {
				d.sf[1][3*b+w] = uint8(pos(b, w))
			}
		}
	}
	l0, r0 := d.xr[0], d.xr[1]
	d.stereo(&h, &granule{blockType: 2, longEnd: 0, shortStart: 0})
	for b := range 13 {
		width := short[b+1] - short[b]
		for w := range 3 {
			lo := 3*short[b] + w*width
			for i := lo; i < lo+width; i++ {
				var wl, wr float32
				if b < last[w] {
					wl, wr = (l0[i]+r0[i])*math.Sqrt2/2, (l0[i]-r0[i])*math.Sqrt2/2
				} else {
					f := isRatioV1[pos(min(b, 11), w)]
					wl, wr = l0[i]*f[0], l0[i]*f[1]
				}
				if math.Abs(float64(d.xr[0][i]-wl)) > 1e-5 || math.Abs(float64(d.xr[1][i]-wr)) > 1e-5 {
					t.Fatalf("band %d window %d sample %d: (%g, %g), want (%g, %g)", b, w, i, d.xr[0][i], d.xr[1][i], wl, wr)
				}
			}
		}
	}
}

package mpa

import (
	"math"
	"math/rand/v2"
	"testing"
)

// window is the IMDCT window of ISO/IEC 11172-3 2.4.3.4.10.2 for block type
// bt, sample i of 36 (of 12 for short blocks).
func window(bt, i int) float64 {
	long := math.Sin(math.Pi / 36 * (float64(i) + 0.5))
	switch bt {
	case 1:
		switch {
		case i < 18:
			return long
		case i < 24:
			return 1
		case i < 30:
			return math.Sin(math.Pi / 12 * (float64(i-18) + 0.5))
		}
		return 0
	case 2:
		return math.Sin(math.Pi / 12 * (float64(i) + 0.5))
	case 3:
		switch {
		case i < 6:
			return 0
		case i < 12:
			return math.Sin(math.Pi / 12 * (float64(i-6) + 0.5))
		case i < 18:
			return 1
		}
	}
	return long
}

// imdctRef is the textbook IMDCT of one subband, windowed, in float64: 36
// samples of which the first 18 are output and the rest overlap.
func imdctRef(x []float32, bt int) [36]float64 {
	var z [36]float64
	if bt == 2 {
		for w := range 3 {
			for i := range 12 {
				var s float64
				for k := range 6 {
					s += float64(x[3*k+w]) * math.Cos(math.Pi/24*float64((2*i+1+6)*(2*k+1)))
				}
				z[6+6*w+i] += s * window(2, i)
			}
		}
		return z
	}
	for i := range 36 {
		var s float64
		for k := range 18 {
			s += float64(x[k]) * math.Cos(math.Pi/72*float64((2*i+1+18)*(2*k+1)))
		}
		z[i] = s * window(bt, i)
	}
	return z
}

// TestHybrid checks the IMDCT, overlap and frequency inversion of every
// block type, mixed blocks included (two long subbands with the normal
// window, short ones above), against the textbook formulas.
func TestHybrid(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name string
		g    granule
		bt   func(sb int) int
	}{
		{"normal", granule{blockType: 0}, func(int) int { return 0 }},
		{"start", granule{blockType: 1}, func(int) int { return 1 }},
		{"short", granule{blockType: 2}, func(int) int { return 2 }},
		{"stop", granule{blockType: 3}, func(int) int { return 3 }},
		{"mixed", granule{blockType: 2, mixed: true}, func(sb int) int {
			if sb < 2 {
				return 0
			}
			return 2
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder()
			for i := range d.xr[0] {
				d.xr[0][i] = float32(rng.NormFloat64())
			}
			in := d.xr[0]
			d.hybrid(&tc.g, 0)
			first := d.sub
			d.xr[0] = [576]float32{}
			d.hybrid(&tc.g, 0) // releases the overlap
			second := d.sub
			for sb := range 32 {
				z := imdctRef(in[18*sb:18*sb+18], tc.bt(sb))
				for i := range 18 {
					sign := 1.0
					if sb&1 == 1 && i&1 == 1 {
						sign = -1
					}
					if got, want := float64(first[i][sb]), sign*z[i]; math.Abs(got-want) > 1e-4 {
						t.Fatalf("subband %d sample %d: %g, want %g", sb, i, got, want)
					}
					if got, want := float64(second[i][sb]), sign*z[18+i]; math.Abs(got-want) > 1e-4 {
						t.Fatalf("subband %d overlap sample %d: %g, want %g", sb, i, got, want)
					}
				}
			}
		})
	}
}

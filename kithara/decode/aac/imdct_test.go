package aac

import (
	"math"
	"math/rand/v2"
	"testing"
)

// imdctDirect is the synthesis equation of ISO/IEC 14496-3 4.6.11.3.1
// itself, O(n²).
func imdctDirect(x []float32, n int, scale float64) []float64 {
	y := make([]float64, n)
	n0 := float64(n)/4 + 0.5
	for i := range y {
		var s float64
		for k := range n / 2 {
			s += float64(x[k]) * math.Cos(2*math.Pi/float64(n)*(float64(i)+n0)*(float64(k)+0.5))
		}
		y[i] = s * scale
	}
	return y
}

func TestIMDCTMatchesDefinition(t *testing.T) {
	tables()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		p     *imdctPlan
		scale float64
	}{{&long, 2.0 / 2048 / 32768}, {&short, 2.0 / 256 / 32768}} {
		n := tc.p.n
		x := make([]float32, n/2)
		for i := range x {
			x[i] = float32(rng.NormFloat64() * 1000)
		}
		got := make([]float32, n)
		tc.p.transform(x, got)
		want := imdctDirect(x, n, tc.scale)
		var sig, noise float64
		for i := range want {
			d := float64(got[i]) - want[i]
			sig += want[i] * want[i]
			noise += d * d
		}
		if snr := 10 * math.Log10(sig/noise); snr < 120 {
			t.Errorf("IMDCT of %d: SNR %.1f dB against the definition", n, snr)
		}
	}
}

// TestWindowsPrincenBradley checks the perfect-reconstruction condition of
// every window half: w[i]² + w[N/2-1-i]² = 1.
func TestWindowsPrincenBradley(t *testing.T) {
	tables()
	for shape := range windows {
		for size, w := range windows[shape] {
			for i := range w {
				if e := float64(w[i])*float64(w[i]) + float64(w[len(w)-1-i])*float64(w[len(w)-1-i]) - 1; math.Abs(e) > 1e-6 {
					t.Fatalf("window shape %d size %d: w[%d]²+w[%d]² - 1 = %g", shape, size, i, len(w)-1-i, e)
				}
			}
		}
	}
}

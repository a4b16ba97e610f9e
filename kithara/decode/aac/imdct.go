package aac

import "math"

// Window shapes (window_shape) and sequences (window_sequence).
const (
	shapeSine = 0
	shapeKBD  = 1

	onlyLong   = 0
	longStart  = 1
	eightShort = 2
	longStop   = 3
)

var (
	// iqTable[q] is q^(4/3), the inverse quantizer (4.6.1.3).
	iqTable [8192]float32
	// windows[shape][0] is the rising half of the long window (1024
	// values), windows[shape][1] of the short one (128).
	windows [2][2][]float32
	long    imdctPlan
	short   imdctPlan
)

func initMath() {
	for i := range iqTable {
		iqTable[i] = float32(math.Pow(float64(i), 4.0/3))
	}
	for s, n := range []int{2048, 256} {
		windows[shapeSine][s] = sineWindow(n)
	}
	windows[shapeKBD][0] = kbdWindow(2048, 4)
	windows[shapeKBD][1] = kbdWindow(256, 6)
	// The 2/N of the synthesis equation (4.6.11.3.1) and the 16-bit full
	// scale of the output.
	long = newIMDCT(2048, 2.0/2048/32768)
	short = newIMDCT(256, 2.0/256/32768)
}

// sineWindow returns the first half of the sine window of length n
// (4.6.11.3.2).
func sineWindow(n int) []float32 {
	w := make([]float32, n/2)
	for i := range w {
		w[i] = float32(math.Sin(math.Pi / float64(n) * (float64(i) + 0.5)))
	}
	return w
}

// kbdWindow returns the first half of the Kaiser-Bessel-derived window of
// length n with parameter alpha (4.6.11.3.2).
func kbdWindow(n int, alpha float64) []float32 {
	half := n / 2
	kaiser := make([]float64, half+1)
	for i := range kaiser {
		x := float64(i-n/4) / float64(n/4)
		kaiser[i] = besselI0(math.Pi * alpha * math.Sqrt(max(0, 1-x*x)))
	}
	var total float64
	for _, k := range kaiser {
		total += k
	}
	w := make([]float32, half)
	var sum float64
	for i := range w {
		sum += kaiser[i]
		w[i] = float32(math.Sqrt(sum / total))
	}
	return w
}

// besselI0 is the zeroth-order modified Bessel function of the first kind,
// by its power series.
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 60; k++ {
		term *= (x / 2) / float64(k)
		sum += term * term
		if term*term < sum*1e-17 {
			break
		}
	}
	return sum
}

// imdctPlan computes the inverse MDCT of n/2 coefficients into n samples
// through a DCT-IV of size m = n/2, itself computed with a complex FFT of
// size m/2 between two twiddles.
type imdctPlan struct {
	n, m       int
	pre, post  []complex64 // exp(-iπ(k+1/4)/m)·scale, exp(-iπk/m)
	fftTwiddle []complex64 // exp(-2πik/(m/2)), k < m/4
	rev        []int32     // bit-reversal permutation of m/2 points
	buf        []complex64
	dct        []float32
}

func newIMDCT(n int, scale float64) imdctPlan {
	m := n / 2
	h := m / 2
	p := imdctPlan{n: n, m: m,
		pre: make([]complex64, h), post: make([]complex64, h),
		fftTwiddle: make([]complex64, h/2), rev: make([]int32, h),
		buf: make([]complex64, h), dct: make([]float32, m)}
	for k := range h {
		a := -math.Pi * (float64(k) + 0.25) / float64(m)
		p.pre[k] = complex64(complex(math.Cos(a)*scale, math.Sin(a)*scale))
		b := -math.Pi * float64(k) / float64(m)
		p.post[k] = complex64(complex(math.Cos(b), math.Sin(b)))
	}
	for k := range p.fftTwiddle {
		a := -2 * math.Pi * float64(k) / float64(h)
		p.fftTwiddle[k] = complex64(complex(math.Cos(a), math.Sin(a)))
	}
	bits := 0
	for 1<<bits < h {
		bits++
	}
	for i := range p.rev {
		r := 0
		for b := range bits {
			if i>>b&1 != 0 {
				r |= 1 << (bits - 1 - b)
			}
		}
		p.rev[i] = int32(r)
	}
	return p
}

// transform writes the n-sample IMDCT of the m coefficients in x to y,
// scaled as the plan says.
func (p *imdctPlan) transform(x []float32, y []float32) {
	m, h := p.m, p.m/2
	x = x[:m]
	y = y[:p.n]
	z := p.buf[:h]
	// Pre-twiddle, into bit-reversed order.
	for k := range h {
		c := complex(x[2*k], x[m-1-2*k]) * p.pre[k]
		z[p.rev[k]] = c
	}
	// Radix-2 decimation-in-time FFT.
	for size := 2; size <= h; size <<= 1 {
		half := size >> 1
		step := h / size
		for start := 0; start < h; start += size {
			for j := range half {
				w := p.fftTwiddle[j*step]
				a := z[start+j]
				b := z[start+j+half] * w
				z[start+j] = a + b
				z[start+j+half] = a - b
			}
		}
	}
	// Post-twiddle: the DCT-IV c, even outputs from the real parts, odd
	// ones (backwards) from the imaginary parts.
	c := p.dct[:m]
	for k := range h {
		u := z[k] * p.post[k]
		c[2*k] = real(u)
		c[m-1-2*k] = -imag(u)
	}
	// Unfold the DCT-IV into the IMDCT's 2m outputs.
	q := m / 2
	for i := range q {
		y[i] = c[q+i]
	}
	for i := q; i < 3*q; i++ {
		y[i] = -c[3*q-1-i]
	}
	for i := 3 * q; i < 2*m; i++ {
		y[i] = -c[i-3*q]
	}
}

// imdctDirect is the synthesis equation itself, O(n²), for tests.
func imdctDirect(x []float32, n int, scale float64) []float32 {
	y := make([]float32, n)
	n0 := float64(n)/4 + 0.5
	for i := range y {
		var s float64
		for k := range n / 2 {
			s += float64(x[k]) * math.Cos(2*math.Pi/float64(n)*(float64(i)+n0)*(float64(k)+0.5))
		}
		y[i] = float32(s * scale)
	}
	return y
}

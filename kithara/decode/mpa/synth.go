package mpa

import "math"

// The polyphase synthesis filterbank of ISO/IEC 11172-3 2.4.3.2.2: every 32
// subband samples become 32 PCM samples. The matrixing step
// V[i] = sum_k cos((16+i)(2k+1)pi/64) S[k] is a 32-point DCT-II, computed
// with Lee's fast algorithm; V's 64 values follow from the DCT's 32 by the
// cosine's symmetries.

// dctCoef[n] holds 1/(2cos(pi(2k+1)/(2n))) for the n-point stage, n = 2..32.
var dctCoef [33][]float32

func initDCT() {
	for n := 2; n <= 32; n *= 2 {
		c := make([]float32, n/2)
		for k := range c {
			c[k] = float32(1 / (2 * math.Cos(math.Pi*float64(2*k+1)/float64(2*n))))
		}
		dctCoef[n] = c
	}
}

// dct computes out[m] = sum_k in[k] cos(pi(2k+1)m/(2n)) for n = len(in), a
// power of two from 2 to 32. tmp is scratch of at least 4n floats.
func dct(in, out, tmp []float32) {
	n := len(in)
	if n == 2 {
		out[0] = in[0] + in[1]
		out[1] = (in[0] - in[1]) * math.Sqrt2 / 2
		return
	}
	h := n / 2
	a, b, ea, eb := tmp[:h], tmp[h:2*h], tmp[2*h:3*h], tmp[3*h:4*h]
	c := dctCoef[n][:h]
	in = in[:n]
	for k := range h {
		x, y := in[k], in[n-1-k]
		a[k] = x + y
		b[k] = (x - y) * c[k]
	}
	dct(a, ea, tmp[4*h:])
	dct(b, eb, tmp[4*h:])
	out = out[:n]
	for m := range h - 1 {
		out[2*m] = ea[m]
		out[2*m+1] = eb[m] + eb[m+1]
	}
	out[n-2] = ea[h-1]
	out[n-1] = eb[h-1]
}

// synth is the filterbank state of one channel: the last 16 blocks of V,
// each of 64 values, as a ring.
type synth struct {
	v    [16][64]float32
	base int          // index in v of ISO's V[0..63], the newest block
	x    [32]float32  // the DCT's output
	tmp  [128]float32 // the DCT's scratch
}

func (s *synth) reset() { *s = synth{} }

// run turns 32 subband samples into 32 PCM samples written to
// out[0], out[stride], ...
func (s *synth) run(sub *[32]float32, out []float32, stride int) {
	x := &s.x
	dct(sub[:], x[:], s.tmp[:])
	s.base = (s.base - 1) & 15
	v := &s.v[s.base]
	for i := range 16 {
		v[i] = x[16+i]
	}
	v[16] = 0
	for i := 17; i < 48; i++ {
		v[i] = -x[48-i]
	}
	for i := 48; i < 64; i++ {
		v[i] = -x[i-48]
	}
	// out[j] = sum_i V[128i+j] D[64i+j] + V[128i+96+j] D[64i+32+j]
	var acc [32]float32
	for i := range 8 {
		even := &s.v[(s.base+2*i)&15]
		odd := &s.v[(s.base+2*i+1)&15]
		d0 := (*[32]float32)(synthWin[64*i:])
		d1 := (*[32]float32)(synthWin[64*i+32:])
		o := (*[32]float32)(odd[32:])
		for j := range 32 {
			acc[j] += even[j]*d0[j] + o[j]*d1[j]
		}
	}
	for j := range 32 {
		out[j*stride] = acc[j]
	}
}

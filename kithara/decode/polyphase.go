package decode

import (
	"math"
	"sync"
)

// polyBank is a bank of interpolation filters for one fixed rational rate
// ratio at speed 1. Output frame m falls at input position m·num/den, so only
// den fractional offsets ever occur; the bank holds the exact filter for each,
// which saves the per-tap table interpolation of the general path and is the
// fast path for the common conversions (44.1 ↔ 48 kHz: 160 and 147 phases).
type polyBank struct {
	num, den int64 // input frames per output frame, as a reduced fraction
	nl, nr   int   // taps on frames i-nl+1 … i and i+1 … i+nr
	w        []float32
}

// maxBankPhases bounds the bank size; ratios with larger denominators (odd
// rates) use the interpolated path.
const maxBankPhases = 1024

var banks struct {
	sync.Mutex
	m map[[2]int]*polyBank
}

// bankFor returns the shared bank for converting in Hz to out Hz, building
// it on first use, or nil when the ratio's denominator is too large.
func bankFor(in, out int) *polyBank {
	g := gcd(in, out)
	num, den := in/g, out/g
	if den > maxBankPhases || in == out {
		return nil
	}
	banks.Lock()
	defer banks.Unlock()
	key := [2]int{in, out}
	if b := banks.m[key]; b != nil {
		return b
	}
	if banks.m == nil {
		banks.m = make(map[[2]int]*polyBank)
	}
	b := newPolyBank(int64(num), int64(den))
	banks.m[key] = b
	return b
}

func newPolyBank(num, den int64) *polyBank {
	scale := min(1, float64(den)/float64(num))
	n := int(math.Ceil(sincZeros / scale))
	b := &polyBank{num: num, den: den, nl: n, nr: n}
	taps := b.nl + b.nr
	b.w = make([]float32, int(den)*taps)
	for p := range int(den) {
		f := float64(p) / float64(den)
		w := b.w[p*taps : (p+1)*taps]
		for k := range b.nl { // frame i-k
			w[b.nl-1-k] = float32(scale * sincPrototype((f+float64(k))*scale))
		}
		for k := range b.nr { // frame i+1+k
			w[b.nl+k] = float32(scale * sincPrototype((1-f+float64(k))*scale))
		}
	}
	return b
}

// filter returns the taps for phase p.
func (b *polyBank) filter(p int64) []float32 {
	taps := int64(b.nl + b.nr)
	return b.w[p*taps : (p+1)*taps]
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

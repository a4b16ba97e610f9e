//go:build !hotpath

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

// maxBanks bounds how many banks the cache keeps. A player meets a handful of
// ratios (44.1 ↔ 48 kHz, 22.05 → 48 kHz, …); beyond that an arbitrary entry
// makes room. Resamplers keep the bank they were given, so evicting one only
// means the next stream at that ratio builds it again.
const maxBanks = 16

// bankKey is a reduced rate ratio: input frames per output frame. The bank
// depends on nothing else, so 44.1 → 48 kHz and 88.2 → 96 kHz share one.
type bankKey struct{ num, den int64 }

// bankEntry is built once, outside the cache's lock, by the first Resampler
// that needs it; the others wait on the same Once and then share the bank
// read-only.
type bankEntry struct {
	once sync.Once
	b    *polyBank
}

var banks struct {
	sync.Mutex
	m map[bankKey]*bankEntry
}

// bankFor returns the shared bank for converting in Hz to out Hz, building
// it on first use, or nil when the rates are equal or the ratio's
// denominator is too large.
func bankFor(in, out int) *polyBank {
	if in <= 0 || out <= 0 || in == out {
		return nil
	}
	g := gcd(in, out)
	key := bankKey{int64(in / g), int64(out / g)}
	if key.den > maxBankPhases {
		return nil
	}
	e := bankEntryFor(key)
	// The build is measured: once per ratio, and what it costs the first
	// Resampler (time, and the bank's bytes in allocation mode).
	//
	//hotpath:measure label=poly_bank_build
	e.once.Do(func() { e.b = newPolyBank(key.num, key.den) })
	return e.b
}

// bankEntryFor finds or adds the cache entry for key.
func bankEntryFor(key bankKey) *bankEntry {
	banks.Lock()
	defer banks.Unlock()
	if e := banks.m[key]; e != nil {
		return e
	}
	if banks.m == nil {
		banks.m = make(map[bankKey]*bankEntry)
	}
	if len(banks.m) >= maxBanks {
		for k := range banks.m {
			delete(banks.m, k)
			break
		}
	}
	e := new(bankEntry)
	banks.m[key] = e
	return e
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

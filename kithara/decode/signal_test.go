package decode

import (
	"bytes"
	"errors"
	"io"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/hotpath-go/hotpath/testdata/fixtures"
)

// The fixture signals (testdata/fixtures/README.md).
const (
	toneRate   = 44100
	toneFrames = 132300 // 3 s
	toneLeft   = 440.0
	toneRight  = 880.0
	toneAmp    = 0.5
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := fixtures.FS.ReadFile(name)
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return b
}

func fixtureReader(t testing.TB, name string) *bytes.Reader {
	return bytes.NewReader(fixture(t, name))
}

// decoded is a whole stream decoded into one interleaved slice.
type decoded struct {
	format  Format
	samples []float32
	chunks  []chunkInfo
}

// chunkInfo is what is left of a chunk once its samples are copied out.
type chunkInfo struct {
	format Format
	time   time.Duration
	frames int
}

func (d decoded) frames() int { return len(d.samples) / d.format.Channels }

// channel extracts channel c.
func (d decoded) channel(c int) []float64 {
	ch := d.format.Channels
	out := make([]float64, len(d.samples)/ch)
	for i := range out {
		out[i] = float64(d.samples[i*ch+c])
	}
	return out
}

// decodeAll runs dec to the end and fails the test on any error.
func decodeAll(t testing.TB, dec Decoder) decoded {
	t.Helper()
	d, err := decodeUntilError(dec)
	if err != nil {
		t.Fatalf("decode after %d frames: %v", d.frames(), err)
	}
	return d
}

// decodeUntilError runs dec until io.EOF (nil error) or another error.
func decodeUntilError(dec Decoder) (decoded, error) {
	d := decoded{format: dec.Format()}
	for {
		c, err := dec.Next()
		if errors.Is(err, io.EOF) {
			return d, nil
		}
		if err != nil {
			return d, err
		}
		d.samples = append(d.samples, c.Samples...)
		d.chunks = append(d.chunks, chunkInfo{format: c.Format, time: c.Time, frames: c.Frames()})
		c.Release()
	}
}

// sine returns n interleaved frames with channel c a sine of freqs[c] Hz at
// the given rate and amplitude, starting at frame start.
func sine(n, start, rate int, amp float64, freqs ...float64) []float32 {
	ch := len(freqs)
	out := make([]float32, n*ch)
	for i := range n {
		for c, f := range freqs {
			out[i*ch+c] = float32(amp * math.Sin(2*math.Pi*f*float64(start+i)/float64(rate)))
		}
	}
	return out
}

// sineFit is a least-squares fit of a·sin + b·cos at a known frequency.
type sineFit struct {
	amp, phase float64 // amplitude, and phase relative to sin at index 0
	snr        float64 // fitted power over residual power, dB
}

// fitSine fits a sine of freq Hz to x[from:to] sampled at rate.
func fitSine(x []float64, rate, freq float64, from, to int) sineFit {
	w := 2 * math.Pi * freq / rate
	var ss, sc, cc, ys, yc float64
	for i := from; i < to; i++ {
		s, c := math.Sincos(w * float64(i))
		ss += s * s
		sc += s * c
		cc += c * c
		ys += x[i] * s
		yc += x[i] * c
	}
	det := ss*cc - sc*sc
	a := (ys*cc - yc*sc) / det
	b := (yc*ss - ys*sc) / det
	var e, p float64
	for i := from; i < to; i++ {
		s, c := math.Sincos(w * float64(i))
		fit := a*s + b*c
		e += (x[i] - fit) * (x[i] - fit)
		p += fit * fit
	}
	return sineFit{amp: math.Hypot(a, b), phase: math.Atan2(b, a), snr: 10 * math.Log10(p/e)}
}

// goertzel returns the amplitude of the freq Hz component of x.
func goertzel(x []float64, rate, freq float64) float64 {
	w := 2 * math.Pi * freq / rate
	coef := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s0 := v + coef*s1 - s2
		s2, s1 = s1, s0
	}
	power := s1*s1 + s2*s2 - coef*s1*s2
	return 2 * math.Sqrt(max(power, 0)) / float64(len(x))
}

// zeroCrossingHz estimates the frequency of a clean tone from the interval
// between its first and last rising zero crossings, interpolated linearly.
func zeroCrossingHz(x []float64, rate float64) float64 {
	first, last := -1.0, -1.0
	n := 0
	for i := 1; i < len(x); i++ {
		if x[i-1] < 0 && x[i] >= 0 {
			at := float64(i-1) + x[i-1]/(x[i-1]-x[i])
			if first < 0 {
				first = at
			}
			last = at
			n++
		}
	}
	if n < 2 {
		return 0
	}
	return float64(n-1) * rate / (last - first)
}

func fixtureBytes(name string) ([]byte, error) { return fixtures.FS.ReadFile(name) }

// toneMP3Result is tone.mp3 decoded once, for all the tests that look at it.
type toneMP3Result struct {
	decoded
	format   Format
	duration time.Duration
	known    bool
	stats    MP3Stats
}

var toneMP3 = sync.OnceValues(func() (toneMP3Result, error) {
	b, err := fixtureBytes("tone.mp3")
	if err != nil {
		return toneMP3Result{}, err
	}
	dec, err := NewMP3Decoder(bytes.NewReader(b))
	if err != nil {
		return toneMP3Result{}, err
	}
	r := toneMP3Result{format: dec.Format()}
	r.duration, r.known = dec.Duration()
	r.decoded, err = decodeUntilError(dec)
	r.stats = dec.Stats()
	return r, err
})

func decodedToneMP3(t testing.TB) toneMP3Result {
	t.Helper()
	r, err := toneMP3()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// decodeChunks decodes at most n chunks.
func decodeChunks(t testing.TB, dec Decoder, n int) decoded {
	t.Helper()
	d := decoded{format: dec.Format()}
	for range n {
		c, err := dec.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		d.samples = append(d.samples, c.Samples...)
		d.chunks = append(d.chunks, chunkInfo{format: c.Format, time: c.Time, frames: c.Frames()})
		c.Release()
	}
	return d
}

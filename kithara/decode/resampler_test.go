package decode

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// feed runs x (interleaved, format f) through r in chunks whose sizes come
// from size, calling between(i) before chunk i, and flushes at the end. It
// returns the output samples and the output chunks' infos.
func feed(r *Resampler, f Format, x []float32, size func(i int) int, between func(i int)) ([]float32, []chunkInfo) {
	var out []float32
	var infos []chunkInfo
	collect := func(c Chunk) {
		if c.Frames() > 0 {
			infos = append(infos, chunkInfo{format: c.Format, time: c.Time, frames: c.Frames()})
			out = append(out, c.Samples...)
		}
		c.Release()
	}
	frames := len(x) / f.Channels
	for i, off := 0, 0; off < frames; i++ {
		if between != nil {
			between(i)
		}
		n := min(max(size(i), 1), frames-off)
		s := make([]float32, n*f.Channels) // process takes ownership
		copy(s, x[off*f.Channels:])
		collect(r.Process(Chunk{Format: f, Samples: s, Time: framesToDuration(int64(off), f.SampleRate)}))
		off += n
	}
	collect(r.Flush())
	return out, infos
}

func fixedSize(n int) func(int) int { return func(int) int { return n } }

func channelOf(x []float32, ch, c int) []float64 {
	out := make([]float64, len(x)/ch)
	for i := range out {
		out[i] = float64(x[i*ch+c])
	}
	return out
}

// TestFilterResponse measures the continuous frequency response of the
// interpolation filter prototype, frequency in cycles per input sample
// (0.5 is the Nyquist frequency).
func TestFilterResponse(t *testing.T) {
	n := sincZeros * sincPhases
	h := make([]float64, 2*n+1)
	for j := range h {
		h[j] = sincPrototype(float64(j-n) / sincPhases)
	}
	response := func(nu float64) float64 {
		// h is symmetric, so its response is real: a sum of cosines.
		sum := h[n]
		for j := 1; j <= n; j++ {
			sum += 2 * h[n+j] * math.Cos(2*math.Pi*nu*float64(j)/sincPhases)
		}
		return 20 * math.Log10(math.Abs(sum)/sincPhases)
	}
	for nu := 0.0; nu <= 0.40; nu += 0.02 {
		if db := response(nu); math.Abs(db) > 0.02 {
			t.Errorf("passband at %.2f: %.4f dB, want within 0.02 dB", nu, db)
		}
	}
	worst := math.Inf(-1)
	for nu := 0.5; nu <= 2; nu += 0.0125 {
		worst = max(worst, response(nu))
	}
	if worst > -99 {
		t.Errorf("stopband peak %.1f dB, want below -99 dB", worst)
	}
	t.Logf("passband flat within 0.02 dB to 0.40, -3 dB near %.3f, stopband peak %.1f dB", minus3dB(response), worst)
}

func minus3dB(response func(float64) float64) float64 {
	lo, hi := 0.40, 0.50
	for range 30 {
		mid := (lo + hi) / 2
		if response(mid) > -3 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

func TestResamplerLength(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, rates := range [][2]int{{44100, 48000}, {48000, 44100}, {22050, 48000}, {44100, 44100}} {
		for _, speed := range []float64{1, 0.5, 0.75, 1.5, 2} {
			for i, size := range []func(int) int{fixedSize(1152), fixedSize(7), func(int) int { return 1 + rng.IntN(3000) }} {
				if raceEnabled && i != 2 {
					continue
				}
				in, out := rates[0], rates[1]
				n := 5000 + rng.IntN(10000)
				if raceEnabled {
					n = 2000 + rng.IntN(3000)
				}
				r := NewResampler(out)
				r.SetSpeed(speed)
				f := Format{in, 2}
				y, _ := feed(r, f, sine(n, 0, in, 0.5, 440, 660), size, nil)
				want := math.Ceil(float64(n) * float64(out) / float64(in) / speed)
				if got := float64(len(y) / 2); math.Abs(got-want) > 1 {
					t.Errorf("%d → %d Hz at speed %g, %d frames in: %g frames out, want ceil(n·ratio) = %g", in, out, speed, n, got, want)
				}
			}
		}
	}
}

func TestResamplerSineSNR(t *testing.T) {
	for _, tc := range []struct {
		in, out int
		freq    float64
	}{
		{44100, 48000, 440}, {44100, 48000, 1000}, {44100, 48000, 10000}, {44100, 48000, 16000},
		{48000, 44100, 1000}, {48000, 44100, 15000},
		{22050, 48000, 1000}, {22050, 48000, 8000},
	} {
		t.Run(fmt.Sprintf("%d-%d-%g", tc.in, tc.out, tc.freq), func(t *testing.T) {
			n := tc.in / 4
			r := NewResampler(tc.out)
			y, _ := feed(r, Format{tc.in, 2}, sine(n, 0, tc.in, 0.5, tc.freq, tc.freq), fixedSize(1152), nil)
			x := channelOf(y, 2, 0)
			// Leave out the ends, where the signal starts and stops abruptly.
			edge := tc.out / 50
			fit := fitSine(x, float64(tc.out), tc.freq, edge, len(x)-edge)
			if fit.snr < 100 {
				t.Errorf("SNR %.1f dB, want > 100 dB", fit.snr)
			}
			if db := 20 * math.Log10(fit.amp/0.5); math.Abs(db) > 0.01 {
				t.Errorf("gain %.4f dB", db)
			}
			// The output is the input signal at the output times: in phase.
			if math.Abs(fit.phase) > 1e-4 {
				t.Errorf("phase %.6f rad", fit.phase)
			}
			t.Logf("SNR %.1f dB", fit.snr)
		})
	}
}

func TestResamplerStopband(t *testing.T) {
	// Downsampling: a 23 kHz tone is above the 22.05 kHz output Nyquist
	// frequency and must not alias down to 21.1 kHz.
	r := NewResampler(44100)
	y, _ := feed(r, Format{48000, 1}, sine(48000, 0, 48000, 0.5, 23000), fixedSize(4096), nil)
	x := channelOf(y, 1, 0)
	mid := x[2000 : len(x)-2000]
	if a := goertzel(mid, 44100, 44100-23000); 20*math.Log10(a/0.5) > -95 {
		t.Errorf("23 kHz aliased to 21.1 kHz at %.1f dB, want below -95 dB", 20*math.Log10(a/0.5))
	}
	// Upsampling: the image of a 20 kHz tone at 24.1 kHz (folding to
	// 23.9 kHz at 48 kHz) must be suppressed.
	r = NewResampler(48000)
	y, _ = feed(r, Format{44100, 1}, sine(44100, 0, 44100, 0.5, 20000), fixedSize(4096), nil)
	x = channelOf(y, 1, 0)
	mid = x[2000 : len(x)-2000]
	if a := goertzel(mid, 48000, 23900); 20*math.Log10(a/0.5) > -95 {
		t.Errorf("image at 23.9 kHz at %.1f dB, want below -95 dB", 20*math.Log10(a/0.5))
	}
}

func TestResamplerSpeed(t *testing.T) {
	for _, tc := range []struct {
		in, out int
		speed   float64
	}{{44100, 44100, 2}, {44100, 44100, 0.5}, {44100, 48000, 1.5}, {48000, 44100, 2}} {
		r := NewResampler(tc.out)
		if got := r.SetSpeed(tc.speed); got != tc.speed {
			t.Fatalf("SetSpeed(%g) = %g", tc.speed, got)
		}
		n := tc.in / 2 // half a second
		y, infos := feed(r, Format{tc.in, 1}, sine(n, 0, tc.in, 0.5, 440), fixedSize(1000), nil)
		// Duration scales by 1/speed, pitch by speed (varispeed).
		gotDur := float64(len(y)) / float64(tc.out)
		if want := 0.5 / tc.speed; math.Abs(gotDur-want) > 1.0/float64(tc.out) {
			t.Errorf("%+v: %.5f s out, want %.5f s", tc, gotDur, want)
		}
		x := channelOf(y, 1, 0)
		edge := tc.out / 20
		if hz := zeroCrossingHz(x[edge:len(x)-edge], float64(tc.out)); math.Abs(hz-440*tc.speed) > 0.05 {
			t.Errorf("%+v: %.3f Hz, want %g", tc, hz, 440*tc.speed)
		}
		// Chunk times are media times: they advance by speed × output time.
		var outFrames int
		for _, c := range infos {
			want := time.Duration(float64(outFrames) / float64(tc.out) * tc.speed * float64(time.Second))
			if absDur(c.time-want) > time.Second/time.Duration(tc.in) {
				t.Fatalf("%+v: chunk after %d frames at %v, want %v", tc, outFrames, c.time, want)
			}
			outFrames += c.frames
		}
	}
}

func TestResamplerSpeedChangesKeepContinuity(t *testing.T) {
	for _, rates := range [][2]int{{44100, 48000}, {44100, 44100}} {
		in, out := rates[0], rates[1]
		r := NewResampler(out)
		speeds := []float64{1, 1.5, 0.7, 2, 1, 1, 0.5, 1}
		const chunk = 3000
		n := chunk * len(speeds)
		var passed []bool
		x := sine(n, 0, in, 0.5, 300)
		var y []float32
		for i, s := range speeds {
			r.SetSpeed(s)
			buf := make([]float32, chunk)
			copy(buf, x[i*chunk:])
			c := r.Process(Chunk{Format: Format{in, 1}, Samples: buf, Time: framesToDuration(int64(i*chunk), in)})
			// Passed through: the very buffer, untouched. (Pointer identity
			// alone is not enough: a consumed input buffer goes back to
			// the pool and may come back as the output buffer.)
			passed = append(passed, c.Frames() == chunk && &c.Samples[0] == &buf[0] &&
				slicesEqual(c.Samples, x[i*chunk:(i+1)*chunk]))
			y = append(y, c.Samples...)
		}
		tail := r.Flush()
		y = append(y, tail.Samples...)
		// The waveform has no jump: no step between samples exceeds the
		// steepest slope of the fastest tone (300 Hz at speed 2). The last
		// frames, where the signal stops dead, are left out.
		maxStep := 0.5 * 2 * math.Pi * 300 * 2 / float64(out) * 1.01
		for i := 1; i < len(y)-100; i++ {
			if d := math.Abs(float64(y[i] - y[i-1])); d > maxStep {
				t.Fatalf("%d → %d Hz: jump of %.4f at output frame %d, max slope %.4f", in, out, d, i, maxStep)
			}
		}
		// Length: a speed applies from the position the output has reached,
		// which lags the input by the filter's look-ahead, except where
		// speed 1 at equal rates copies the input through to its end.
		var want, pos float64
		for i, sp := range speeds {
			end := float64((i + 1) * chunk)
			if i < len(speeds)-1 && (in != out || sp != 1) {
				scale := min(1, float64(out)/float64(in)/sp)
				end -= math.Ceil(sincZeros/scale) + 1
			}
			want += max(end-pos, 0) * float64(out) / float64(in) / sp
			pos = max(pos, end)
		}
		if got := float64(len(y)); math.Abs(got-want) > float64(len(speeds)) {
			t.Errorf("%d → %d Hz: %g frames, want %.1f", in, out, got, want)
		}
		if in == out {
			// Back at speed 1 with equal rates the resampler catches up on
			// the next whole frame, then passes chunks through untouched.
			want := []bool{true, false, false, false, false, true, false, false}
			if fmt.Sprint(passed) != fmt.Sprint(want) {
				t.Errorf("passthrough per chunk %v, want %v", passed, want)
			}
		}
	}
}

func TestResamplerFlushKeepsTail(t *testing.T) {
	r := NewResampler(48000)
	const n = 10000
	x := sine(n, 0, 44100, 0.5, 1000)
	var got int
	for off := 0; off < n; off += 2500 {
		c := r.Process(Chunk{Format: Format{44100, 1}, Samples: append([]float32(nil), x[off:off+2500]...)})
		got += c.Frames()
	}
	if !r.Pending() {
		t.Fatal("Pending is false with input held")
	}
	want := int(math.Ceil(n * 48000.0 / 44100))
	if got >= want {
		t.Fatalf("%d frames before flush: the filter's look-ahead should hold some back", got)
	}
	tail := r.Flush()
	if got+tail.Frames() != want {
		t.Fatalf("%d + %d flushed frames, want %d", got, tail.Frames(), want)
	}
	// The tail is the end of the signal filtered against the silence after
	// it: the same frames a resampler makes from the signal followed by
	// explicit silence.
	padded := append(append([]float32(nil), x...), make([]float32, 200)...)
	ref, _ := feed(NewResampler(48000), Format{44100, 1}, padded, fixedSize(2500), nil)
	var worst, energy float64
	for i, v := range tail.Samples {
		worst = max(worst, math.Abs(float64(v-ref[got+i])))
		energy += float64(v) * float64(v)
	}
	if worst > 1e-6 {
		t.Errorf("flushed tail differs from the signal followed by silence by up to %g", worst)
	}
	if rms := math.Sqrt(energy / float64(tail.Frames())); rms < 0.2 {
		t.Errorf("tail RMS %.3f: it should carry the end of a 0.5-amplitude sine", rms)
	}
	if r.Pending() {
		t.Error("Pending after Flush")
	}
	if c := r.Flush(); c.Frames() != 0 {
		t.Errorf("second Flush returned %d frames", c.Frames())
	}
}

func TestResamplerPassthrough(t *testing.T) {
	r := NewResampler(44100)
	for i := range 3 {
		buf := sine(1152, i*1152, 44100, 0.5, 440, 880)
		want := append([]float32(nil), buf...)
		at := framesToDuration(int64(i*1152), 44100)
		c := r.Process(Chunk{Format: Format{44100, 2}, Samples: buf, Time: at})
		if &c.Samples[0] != &buf[0] || !slicesEqual(c.Samples, want) || c.Time != at {
			t.Fatalf("chunk %d: not passed through untouched", i)
		}
	}
	if r.Pending() {
		t.Error("Pending in passthrough")
	}
	if c := r.Flush(); c.Frames() != 0 {
		t.Errorf("Flush after passthrough returned %d frames", c.Frames())
	}
}

func TestResamplerResetsOnFormatChange(t *testing.T) {
	r := NewResampler(48000)
	dc := func(n, ch int, v float32) []float32 {
		s := make([]float32, n*ch)
		for i := range s {
			s[i] = v
		}
		return s
	}
	r.Process(Chunk{Format: Format{44100, 2}, Samples: dc(5000, 2, 0.9)})
	for _, next := range []Format{{48000, 2}, {22050, 1}} {
		if !r.Changes(next) {
			t.Fatalf("Changes(%v) = false", next)
		}
		at := 7 * time.Second
		c := r.Process(Chunk{Format: next, Samples: dc(5000, next.Channels, -0.25), Time: at})
		if c.Format != (Format{48000, next.Channels}) || c.Time != at {
			t.Fatalf("after switching to %v: chunk %v at %v", next, c.Format, c.Time)
		}
		// Nothing of the old stream (0.9) leaks into the new one (-0.25).
		for i, v := range c.Samples {
			if v > 0.01 {
				t.Fatalf("after switching to %v: sample %d = %g", next, i, v)
			}
		}
	}
	if r.Changes(Format{22050, 1}) {
		t.Error("Changes reports the current format as a change")
	}
}

func TestResamplerWithoutOutputRate(t *testing.T) {
	// Rate 0 keeps each stream's own rate: speed changes alone.
	r := NewResampler(0)
	buf := sine(1000, 0, 22050, 0.5, 440)
	if c := r.Process(Chunk{Format: Format{22050, 1}, Samples: buf}); &c.Samples[0] != &buf[0] || r.OutputRate() != 22050 {
		t.Fatalf("speed 1: %v, output rate %d; want a passthrough at 22050 Hz", c.Format, r.OutputRate())
	}
	r.Reset()
	r.SetSpeed(2)
	y, infos := feed(r, Format{32000, 2}, sine(32000, 0, 32000, 0.5, 440, 440), fixedSize(4000), nil)
	if infos[0].format != (Format{32000, 2}) || len(y)/2 != 16000 {
		t.Fatalf("speed 2: %v, %d frames; want 16000 frames at 32 kHz", infos[0].format, len(y)/2)
	}
}

func TestResamplerSpeedClamp(t *testing.T) {
	r := NewResampler(48000)
	for in, want := range map[float64]float64{5: MaxSpeed, 0.1: MinSpeed, -1: MinSpeed, math.NaN(): 1, 1.25: 1.25} {
		if got := r.SetSpeed(in); got != want || r.Speed() != want {
			t.Errorf("SetSpeed(%g) = %g, Speed() = %g; want %g", in, got, r.Speed(), want)
		}
	}
}

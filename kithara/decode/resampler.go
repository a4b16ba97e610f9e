//go:build !hotpath

package decode

import (
	"math"
	"slices"
	"sync/atomic"
	"time"

	"github.com/hotpath-go/hotpath/kithara/bufpool"
)

// Speed limits. Speed is varispeed: 2 plays twice as fast an octave higher.
const (
	MinSpeed = 0.5
	MaxSpeed = 2.0
)

// Resampler converts a stream of chunks to one output sample rate and applies
// the playback speed, with the band-limited interpolator described in
// sinc.go.
//
// Each output frame is computed at its own fractional input position, which
// advances by speed·(input rate/output rate) per frame. The ratio and speed
// are read on every call, so SetSpeed takes effect at the next chunk with no
// rebuild and no discontinuity. When the input rate equals the output rate at
// speed 1 chunks pass through untouched (the same buffer, no copy). When a
// chunk arrives in another format (sample rate or channel count, as after an
// ABR switch) the resampler starts afresh, dropping the frames it still held:
// call Flush first to keep them.
//
// Over a whole stream of n input frames at constant speed, process and flush
// together produce ceil(n·ratio) frames, ratio = output rate / input rate /
// speed, and output frame k is the input signal at time k/ratio.
//
// A Resampler is not safe for concurrent use, except SetSpeed and Speed.
type Resampler struct {
	outRate int           // as configured; 0 keeps each stream's rate
	out     int           // output rate of the current stream
	speed   atomic.Uint64 // math.Float64bits of the speed

	in      Format // format of the current stream; zero when none
	scratch []float32
	// The input held: hist[0] is absolute input frame histStart. Frames before
	// the stream start are zeros, so the filter can start at once.
	hist      []float32
	histStart int64
	inEnd     int64 // absolute input frames received
	// Position of the next output frame in absolute input frames:
	// tBase + m·step. Counting m from the last change of step keeps the
	// position exact over hours instead of accumulating rounding.
	tBase float64
	m     int64
	step  float64
	reach int64         // context kept on each side, for the widest filter
	t0    time.Duration // media time of absolute input frame 0
	bank  *polyBank     // exact filters for this rate ratio at speed 1, if any
	unit  bool          // the speed is exactly 1
}

// NewResampler returns a resampler to outRate Hz at speed 1. An outRate of
// zero or less keeps the rate of each stream, for speed changes alone.
func NewResampler(outRate int) *Resampler {
	r := &Resampler{outRate: max(outRate, 0)}
	r.speed.Store(math.Float64bits(1))
	return r
}

// OutputRate reports the output sample rate: the configured one, or while
// a stream runs on a resampler configured without one, that stream's rate.
func (r *Resampler) OutputRate() int {
	if r.outRate == 0 && r.in != (Format{}) {
		return r.out
	}
	return r.outRate
}

// SetSpeed sets the playback speed, clamped to [MinSpeed, MaxSpeed], and
// returns the speed set. NaN means 1. It is safe to call from any goroutine;
// the next chunk processed uses the new speed.
func (r *Resampler) SetSpeed(s float64) float64 {
	s = clampSpeed(s)
	r.speed.Store(math.Float64bits(s))
	return s
}

// Speed reports the current speed.
func (r *Resampler) Speed() float64 { return math.Float64frombits(r.speed.Load()) }

func clampSpeed(s float64) float64 {
	if math.IsNaN(s) {
		return 1
	}
	return min(max(s, MinSpeed), MaxSpeed)
}

// Process resamples in and returns the output it makes possible, which may
// be empty while the filter fills. It takes ownership of in: the returned
// chunk may be in itself (passthrough), and otherwise in's buffer goes back
// to the pool.
func (r *Resampler) Process(in Chunk) Chunk { return r.process(in) }

// Flush returns the frames still held at the end of a stream, filtering them
// against silence, and readies the resampler for a new stream.
func (r *Resampler) Flush() Chunk { return r.flush() }

// Reset drops everything held, as after a seek.
func (r *Resampler) Reset() { r.in = Format{} }

// Changes reports whether a chunk of format f would start a new stream,
// dropping what the resampler holds; a caller that wants that tail flushes
// first.
func (r *Resampler) Changes(f Format) bool { return r.in != (Format{}) && r.in != f }

// Pending reports whether Flush would return frames.
func (r *Resampler) Pending() bool {
	return r.in != (Format{}) && r.position() < float64(r.inEnd)
}

func (r *Resampler) position() float64 { return r.tBase + float64(r.m)*r.step }

// process resamples one chunk; its rate and speed are read on every call.
//
//hotpath:measure
func (r *Resampler) process(in Chunk) Chunk {
	if !in.Format.valid() {
		in.Release()
		return Chunk{Format: Format{SampleRate: r.OutputRate()}}
	}
	if in.Format != r.in {
		r.start(in.Format, in.Time)
	}
	r.setStep()
	n := int64(in.Frames())
	if r.step == 1 && r.position() == float64(r.inEnd) {
		// Equal rates at speed 1, and the output is aligned on input frames:
		// pass the chunk on and keep only its tail as filter context.
		r.keepTail(in.Samples)
		r.inEnd += n
		r.tBase, r.m = float64(r.inEnd), 0
		return in
	}
	t := r.timeAt(r.position())
	r.hist = append(r.hist, in.Samples...)
	r.inEnd += n
	in.Release()
	out := r.generate(r.inEnd-r.rightReach(), false)
	if r.step == 1 {
		// Speed is back to 1 at equal rates: step onto the next whole input
		// frame (less than one frame later) and copy the rest through, so
		// the next chunk passes through untouched.
		out = r.snap(out)
	}
	r.trim()
	return Chunk{Format: Format{SampleRate: r.out, Channels: r.in.Channels}, Samples: out, Time: t}
}

// flush returns the tail still held in the filter's history.
//
//hotpath:measure
func (r *Resampler) flush() Chunk {
	if r.in == (Format{}) {
		return Chunk{Format: Format{SampleRate: r.outRate}}
	}
	r.setStep()
	t := r.timeAt(r.position())
	end := r.inEnd
	// The frames after the end are silence; the filter needs them as context.
	r.hist = appendZeros(r.hist, int(r.reach)*r.in.Channels)
	r.inEnd += r.reach
	out := r.generate(end, true)
	f := Format{SampleRate: r.out, Channels: r.in.Channels}
	r.in = Format{}
	return Chunk{Format: f, Samples: out, Time: t}
}

// start begins a new stream of format f whose first frame is at media time t.
func (r *Resampler) start(f Format, t time.Duration) {
	r.in = f
	r.t0 = t
	r.out = r.outRate
	if r.out == 0 {
		r.out = f.SampleRate
	}
	// The smallest stretch factor needs the widest context.
	minScale := min(1, float64(r.out)/float64(f.SampleRate)/MaxSpeed)
	r.reach = int64(math.Ceil(sincZeros/minScale)) + 2
	r.hist = appendZeros(r.hist[:0], int(r.reach)*f.Channels)
	r.histStart = -r.reach
	r.inEnd = 0
	r.tBase, r.m, r.step = 0, 0, 0
	r.bank = bankFor(f.SampleRate, r.out)
}

// appendZeros appends n zeros to s.
func appendZeros(s []float32, n int) []float32 {
	s = slices.Grow(s, n)
	s = s[:len(s)+n]
	clear(s[len(s)-n:])
	return s
}

// setStep reads the speed and applies it from the current position on.
func (r *Resampler) setStep() {
	speed := r.Speed()
	r.unit = speed == 1
	step := speed * float64(r.in.SampleRate) / float64(r.out)
	if step != r.step {
		r.tBase, r.m, r.step = r.position(), 0, step
	}
}

// scale is the filter stretch factor: 1 when upsampling, the
// output-to-input frame ratio when downsampling.
func (r *Resampler) scale() float64 { return min(1, 1/r.step) }

// rightReach is how many input frames after the current one the filter reads.
func (r *Resampler) rightReach() int64 {
	return int64(math.Ceil(sincZeros/r.scale())) + 1
}

// timeAt converts an absolute input position to media time.
func (r *Resampler) timeAt(pos float64) time.Duration {
	return r.t0 + time.Duration(pos/float64(r.in.SampleRate)*float64(time.Second))
}

// generate computes output frames while the position is before limit (in
// absolute input frames; exclusive) and returns them in a pooled buffer.
func (r *Resampler) generate(limit int64, flushing bool) []float32 {
	ch := r.in.Channels
	pos := r.position()
	count := 0
	if float64(limit) > pos {
		count = int(math.Ceil((float64(limit)-pos)/r.step)) + 1
	}
	out := bufpool.Float32.Get(count * ch)[:0]
	if r.bank != nil && r.unit && r.tBase == math.Trunc(r.tBase) {
		return r.generateBank(out, limit, flushing)
	}
	scale := r.scale()
	for {
		pos = r.position()
		if pos >= float64(limit) {
			break
		}
		i := int64(math.Floor(pos))
		if !flushing && i+r.rightReach() >= r.inEnd {
			break
		}
		f := pos - float64(i)
		rel := int(i - r.histStart)
		n := len(out)
		out = out[:n+ch]
		dst := out[n:]
		switch {
		case scale == 1 && ch == 2:
			r.interpStereo(rel, f, dst)
		case scale == 1:
			r.interpPhase(rel, f, dst)
		default:
			r.interpStretched(rel, f, scale, dst)
		}
		r.m++
	}
	return out
}

// generateBank is generate on the polyphase bank: the position is tracked as
// an exact fraction from a whole input frame, so each output frame takes its
// filter from the bank.
func (r *Resampler) generateBank(out []float32, limit int64, flushing bool) []float32 {
	b := r.bank
	ch := r.in.Channels
	base := int64(r.tBase)
	reach := int64(b.nr)
	for {
		q := r.m * b.num
		i := base + q/b.den
		if i >= limit || (!flushing && i+reach >= r.inEnd) {
			break
		}
		w := b.filter(q % b.den)
		lo := int(i-r.histStart) - b.nl + 1
		x := r.hist[lo*ch : (lo+len(w))*ch]
		n := len(out)
		out = out[:n+ch]
		dst := out[n:]
		if ch == 2 {
			// Two accumulators per channel halve the dependency chain.
			// The length checks in the loop condition let the compiler
			// drop the bounds checks on the constant indices.
			var a0, a1, b0, b1 float32
			for len(w) >= 2 && len(x) >= 4 {
				a0 += w[0] * x[0]
				a1 += w[0] * x[1]
				b0 += w[1] * x[2]
				b1 += w[1] * x[3]
				w, x = w[2:], x[4:]
			}
			if len(w) == 1 && len(x) >= 2 {
				a0 += w[0] * x[0]
				a1 += w[0] * x[1]
			}
			dst[0], dst[1] = a0+b0, a1+b1
		} else {
			r.dot(w, lo*ch, dst)
		}
		r.m++
	}
	return out
}

// interpStereo computes one unstretched stereo output frame from input frame
// rel (index into hist) and fraction f: the hot path of 44.1 → 48 kHz.
func (r *Resampler) interpStereo(rel int, f float64, dst []float32) {
	tab := sharedSinc()
	ph := f * sincPhases
	j := int(ph)
	fr := float32(ph - float64(j))
	jr := sincPhases - 1 - j
	frr := 1 - fr
	// Left wing: frames rel-sincZeros+1 .. rel; right wing: rel+1 .. rel+sincZeros.
	x := r.hist[(rel-sincZeros+1)*2 : (rel+sincZeros+1)*2]
	// Array pointers let the compiler drop the bounds checks in the loop.
	xl := (*[2 * sincZeros]float32)(x[:2*sincZeros])
	xr := (*[2 * sincZeros]float32)(x[2*sincZeros:])
	wl, dl := &tab.left[j], &tab.dleft[j]
	wr, dr := &tab.right[jr], &tab.dright[jr]
	var a0, a1, b0, b1 float32
	for k := 0; k < sincZeros; k++ {
		w := wl[k] + fr*dl[k]
		a0 += w * xl[2*k]
		a1 += w * xl[2*k+1]
		v := wr[k] + frr*dr[k]
		b0 += v * xr[2*k]
		b1 += v * xr[2*k+1]
	}
	dst[0], dst[1] = a0+b0, a1+b1
}

// interpPhase is interpStereo for any channel count.
func (r *Resampler) interpPhase(rel int, f float64, dst []float32) {
	tab := sharedSinc()
	ch := r.in.Channels
	ph := f * sincPhases
	j := int(ph)
	fr := float32(ph - float64(j))
	jr := sincPhases - 1 - j
	frr := 1 - fr
	w := r.weights(2 * sincZeros)
	for k := 0; k < sincZeros; k++ {
		w[k] = tab.left[j][k] + fr*tab.dleft[j][k]
		w[sincZeros+k] = tab.right[jr][k] + frr*tab.dright[jr][k]
	}
	r.dot(w, (rel-sincZeros+1)*ch, dst)
}

// interpStretched computes one output frame with the filter stretched by
// scale < 1, reading the prototype at arbitrary positions.
func (r *Resampler) interpStretched(rel int, f, scale float64, dst []float32) {
	tab := sharedSinc()
	ch := r.in.Channels
	step := scale * sincPhases
	// Taps u = (f+k)·scale on the left and (1-f+k)·scale on the right, while
	// u < sincZeros; the table has an entry past the end for rounding.
	nl := int(math.Ceil(sincZeros/scale - f))
	nr := int(math.Ceil(sincZeros/scale - 1 + f))
	lin, dlin := tab.linear, tab.dlinear
	if ch == 2 {
		var a0, a1 float32
		x := r.hist[(rel-nl+1)*2 : (rel+nr+1)*2]
		pos := f * step
		for k := nl - 1; k >= 0; k-- { // frame rel-k... rel, nearest last
			j := int(pos)
			w := lin[j] + float32(pos-float64(j))*dlin[j]
			a0 += w * x[2*k]
			a1 += w * x[2*k+1]
			pos += step
		}
		x = x[2*nl:]
		pos = (1 - f) * step
		for k := range nr {
			j := int(pos)
			w := lin[j] + float32(pos-float64(j))*dlin[j]
			a0 += w * x[2*k]
			a1 += w * x[2*k+1]
			pos += step
		}
		dst[0], dst[1] = a0*float32(scale), a1*float32(scale)
		return
	}
	w := r.weights(nl + nr)
	pos := f * step
	for k := range nl {
		j := int(pos)
		w[nl-1-k] = (lin[j] + float32(pos-float64(j))*dlin[j]) * float32(scale)
		pos += step
	}
	pos = (1 - f) * step
	for k := range nr {
		j := int(pos)
		w[nl+k] = (lin[j] + float32(pos-float64(j))*dlin[j]) * float32(scale)
		pos += step
	}
	r.dot(w, (rel-nl+1)*ch, dst)
}

// weights returns scratch space for n filter taps.
func (r *Resampler) weights(n int) []float32 {
	if cap(r.scratch) < n {
		r.scratch = make([]float32, n)
	}
	return r.scratch[:n]
}

// dot applies taps w to the frames of hist starting at sample index base.
func (r *Resampler) dot(w []float32, base int, dst []float32) {
	ch := len(dst)
	x := r.hist[base : base+len(w)*ch]
	if ch == 1 {
		var a float32
		for k, v := range w {
			a += v * x[k]
		}
		dst[0] = a
		return
	}
	clear(dst)
	for k, v := range w {
		fr := x[k*ch : k*ch+ch]
		for c := range dst {
			dst[c] += v * fr[c]
		}
	}
}

// snap moves the position onto the next whole input frame and appends the
// input from there to the end to out, copied through unfiltered.
func (r *Resampler) snap(out []float32) []float32 {
	ch := r.in.Channels
	from := int64(math.Ceil(r.position()))
	if from < r.inEnd {
		out = append(out, r.hist[int(from-r.histStart)*ch:]...)
	}
	r.tBase, r.m = float64(max(from, r.inEnd)), 0
	return out
}

// trim drops input frames the filter will not read again.
func (r *Resampler) trim() {
	keep := int64(math.Floor(r.position())) - r.reach
	drop := keep - r.histStart
	if drop <= 0 {
		return
	}
	ch := r.in.Channels
	n := copy(r.hist, r.hist[int(drop)*ch:])
	r.hist = r.hist[:n]
	r.histStart = keep
}

// keepTail keeps the last reach frames of the input, in passthrough, as
// context for when resampling resumes.
func (r *Resampler) keepTail(s []float32) {
	ch := r.in.Channels
	need := int(r.reach) * ch
	if len(s) >= need {
		r.hist = append(r.hist[:0], s[len(s)-need:]...)
	} else {
		r.hist = append(r.hist, s...)
		if extra := len(r.hist) - need; extra > 0 {
			n := copy(r.hist, r.hist[extra:])
			r.hist = r.hist[:n]
		}
	}
	r.histStart = r.inEnd + int64(len(s)/ch) - int64(len(r.hist)/ch)
}

package core

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"sync/atomic"
	"time"
)

// clockBase anchors the monotonic clock. time.Since on a Time that carries a
// monotonic reading costs one read of the runtime's nanotime and a
// subtraction, about half of time.Now, which reads the wall clock as well.
var clockBase = time.Now()

// monoNow returns monotonic nanoseconds since clockBase.
func monoNow() int64 { return int64(time.Since(clockBase)) }

// nanotime returns the clock that measurements use, in nanoseconds since
// clockBase: the monotonic clock, or the processor's cycle counter
// converted to nanoseconds when the TSC clock is on (HOTPATH_CLOCK=tsc or
// the hotpath_tsc build tag, see setupClock).
//
// The measured-call path (Begin, End, Close) writes this branch out
// itself: nanotime is too large to inline, and a call more on each clock
// read costs a nanosecond or two.
func nanotime() int64 {
	if tscClock.Load() != nil {
		return tscNanotime()
	}
	return int64(time.Since(clockBase))
}

// tscNanotime is nanotime on the TSC clock.
func tscNanotime() int64 {
	c := tscClock.Load()
	if c == nil {
		return int64(time.Since(clockBase))
	}
	return c.now(rdtsc())
}

// tscClock is the TSC's calibration while the TSC clock is on, nil
// otherwise. It never changes once set, but to nil when a check finds
// that the counter drifted from the monotonic clock.
var tscClock atomic.Pointer[tscCalibration]

// tscConfigured records that the TSC clock was asked for, and why it is
// not in use if it is not.
var tscConfigured struct {
	asked   bool
	calib   *tscCalibration // the calibration made at start, if any
	refused string          // why the TSC clock was refused or dropped
	dropped atomic.Bool     // a check dropped it for the monotonic clock
}

// tscCalibration converts counter readings into nanoseconds since
// clockBase: mono0 + (tsc - tsc0) * mult / 2^32.
type tscCalibration struct {
	tsc0  uint64
	mono0 int64
	mult  uint64 // nanoseconds per tick, times 2^32
	hz    float64
}

func (c *tscCalibration) now(tsc uint64) int64 {
	hi, lo := bits.Mul64(tsc-c.tsc0, c.mult)
	return c.mono0 + int64(hi<<32|lo>>32)
}

// tscMaxError is the largest rate difference from the monotonic clock
// that calibration accepts and that a check tolerates: 0.1%.
const tscMaxError = 1e-3

// clockPair reads the counter between two monotonic readings, a few
// times, and returns the counter and the middle of the tightest bracket.
func clockPair(read func() uint64, mono func() int64) (uint64, int64) {
	var bestT uint64
	var bestM int64
	width := int64(math.MaxInt64)
	for range 5 {
		m1 := mono()
		t := read()
		m2 := mono()
		if m2-m1 < width {
			width, bestT, bestM = m2-m1, t, m1+(m2-m1)/2
		}
	}
	return bestT, bestM
}

// calibrateTSC measures the counter's rate against the monotonic clock
// over wait, then checks it over a second wait: the two must agree within
// tscMaxError, and the rate must be one a processor can have.
func calibrateTSC(read func() uint64, mono func() int64, wait time.Duration) (*tscCalibration, error) {
	spin := func() {
		end := mono() + int64(wait)
		for mono() < end {
		}
	}
	t0, m0 := clockPair(read, mono)
	spin()
	t1, m1 := clockPair(read, mono)
	if t1 <= t0 || m1 <= m0 {
		return nil, errors.New("the TSC or the monotonic clock did not advance")
	}
	ticks, ns := t1-t0, uint64(m1-m0)
	hz := float64(ticks) / float64(ns) * 1e9
	if hz < 50e6 || hz > 20e9 {
		return nil, fmt.Errorf("the TSC runs at %.0f Hz, not a processor's rate", hz)
	}
	hi, lo := bits.Mul64(ns, 1<<32)
	if hi >= ticks {
		return nil, errors.New("the TSC runs too slowly to calibrate")
	}
	mult, _ := bits.Div64(hi, lo, ticks)
	c := &tscCalibration{tsc0: t0, mono0: m0, mult: mult, hz: hz}
	spin()
	if drift := c.drift(read, mono); math.Abs(drift) > tscMaxError {
		return nil, fmt.Errorf("the TSC's rate changed by %.3f%% during calibration", drift*100)
	}
	return c, nil
}

// drift returns how far the counter, converted, has run from the
// monotonic clock since calibration, as a fraction of the time elapsed.
func (c *tscCalibration) drift(read func() uint64, mono func() int64) float64 {
	t, m := clockPair(read, mono)
	if m <= c.mono0 {
		return 0
	}
	return float64(c.now(t)-m) / float64(m-c.mono0)
}

// setupClock turns the TSC clock on when mode (HOTPATH_CLOCK, or the
// build's default) asks for it and the processor has an invariant TSC
// that calibrates; otherwise measurements use the monotonic clock, and
// why is written to w.
func setupClock(mode string, w io.Writer) {
	switch mode {
	case "":
		mode = defaultClock
	case "tsc", "monotonic":
	default:
		fmt.Fprintf(w, "hotpath: HOTPATH_CLOCK=%q: want tsc or monotonic; using the monotonic clock\n", mode)
		mode = "monotonic"
	}
	tscClock.Store(nil)
	tscConfigured.asked = mode == "tsc"
	tscConfigured.calib, tscConfigured.refused = nil, ""
	tscConfigured.dropped.Store(false)
	if mode != "tsc" {
		return
	}
	if ok, why := tscProbe(); !ok {
		tscConfigured.refused = why
		fmt.Fprintf(w, "hotpath: TSC clock refused (%s); using the monotonic clock\n", why)
		return
	}
	c, err := calibrateTSC(rdtsc, monoNow, 10*time.Millisecond)
	if err != nil {
		tscConfigured.refused = err.Error()
		fmt.Fprintf(w, "hotpath: TSC clock refused (%v); using the monotonic clock\n", err)
		return
	}
	tscConfigured.calib = c
	tscClock.Store(c)
}

// tscProbe is tscAvailable; tests replace it to prove the fallback.
var tscProbe = tscAvailable

func init() { setupClock(os.Getenv("HOTPATH_CLOCK"), os.Stderr) }

// ClockState is the state of the TSC clock when a report was made; package
// hotpath's ClockCheck has the same fields and documents them.
type ClockState struct {
	Source   string  `json:"source"`
	TSCHz    float64 `json:"tsc_hz"`
	DriftPPM float64 `json:"drift_ppm"`
	Reason   string  `json:"reason,omitempty"`
}

// CheckClock re-checks the TSC calibration against the monotonic clock,
// drops the TSC clock when it drifted beyond tscMaxError, and returns what
// it found; nil when the TSC clock was not asked for.
func CheckClock(w io.Writer) *ClockState {
	if !tscConfigured.asked {
		return nil
	}
	c := tscConfigured.calib
	if c == nil {
		return &ClockState{Source: "monotonic", Reason: tscConfigured.refused}
	}
	cc := &ClockState{Source: "tsc", TSCHz: math.Round(c.hz)}
	drift := c.drift(rdtsc, monoNow)
	cc.DriftPPM = math.Round(drift*1e6*100) / 100
	if math.Abs(drift) > tscMaxError && tscConfigured.dropped.CompareAndSwap(false, true) {
		tscClock.Store(nil)
		fmt.Fprintf(w, "hotpath: the TSC clock drifted %.3f%% from the monotonic clock; using the monotonic clock from now on\n", drift*100)
	}
	if tscConfigured.dropped.Load() {
		cc.Source = "monotonic"
		cc.Reason = "the TSC drifted from the monotonic clock"
	}
	return cc
}

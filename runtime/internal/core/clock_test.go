package core

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"
)

// restoreClock puts the clock back as the environment set it up.
func restoreClock(t *testing.T) {
	t.Cleanup(func() {
		tscProbe = tscAvailable
		setupClock(defaultClock, &bytes.Buffer{})
	})
}

// TestTSCCalibration calibrates the real counter and checks it against the
// monotonic clock over one second: the error must stay within 0.1%.
func TestTSCCalibration(t *testing.T) {
	if ok, why := tscAvailable(); !ok {
		t.Skipf("no TSC clock here: %s", why)
	}
	c, err := calibrateTSC(rdtsc, monoNow, 10*time.Millisecond)
	if err != nil {
		t.Fatalf("calibration failed on a processor with an invariant TSC: %v", err)
	}
	t0, m0 := clockPair(rdtsc, monoNow)
	time.Sleep(time.Second)
	t1, m1 := clockPair(rdtsc, monoNow)
	tscNS, monoNS := c.now(t1)-c.now(t0), m1-m0
	errFrac := math.Abs(float64(tscNS-monoNS)) / float64(monoNS)
	t.Logf("TSC at %.0f Hz; over %v the TSC measured %v: error %.1f ppm", c.hz, time.Duration(monoNS), time.Duration(tscNS), errFrac*1e6)
	if errFrac > tscMaxError {
		t.Errorf("calibration error %.4f%% over 1 s, want at most 0.1%%", errFrac*100)
	}
	// Converted readings are on the monotonic clock's scale and origin.
	if d := c.now(rdtsc()) - monoNow(); d < -int64(time.Millisecond) || d > int64(time.Millisecond) {
		t.Errorf("converted TSC is %v from the monotonic clock", time.Duration(d))
	}
}

// TestTSCClockOn turns the TSC clock on as HOTPATH_CLOCK=tsc does and
// checks that measurements still come out in nanoseconds.
// TestTSCFallback checks that the monotonic clock stays in use when the
// TSC clock cannot be had: a processor without an invariant TSC (every
// architecture but amd64 answers so), a bad HOTPATH_CLOCK value, and
// counters that do not calibrate.
func TestTSCFallback(t *testing.T) {
	restoreClock(t)
	var w bytes.Buffer
	tscProbe = func() (bool, string) { return false, "the processor's TSC is not invariant" }
	setupClock("tsc", &w)
	if tscClock.Load() != nil || !strings.Contains(w.String(), "not invariant") {
		t.Errorf("TSC clock on without an invariant TSC; said %q", w.String())
	}
	if c := CheckClock(&w); c == nil || c.Source != "monotonic" || !strings.Contains(c.Reason, "invariant") {
		t.Errorf("report's clock check = %+v, want monotonic and why", c)
	}
	w.Reset()
	setupClock("cycles", &w)
	if tscClock.Load() != nil || !strings.Contains(w.String(), `HOTPATH_CLOCK="cycles"`) {
		t.Errorf("bad HOTPATH_CLOCK: said %q", w.String())
	}
	if c := CheckClock(&w); c != nil {
		t.Errorf("clock check %+v when the TSC clock was not asked for", c)
	}

	// A fake counter made from the monotonic clock.
	counter := func(hz func(ns int64) float64) func() uint64 {
		return func() uint64 { ns := monoNow(); return uint64(float64(ns) * hz(ns) / 1e9) }
	}
	var reads int
	var switchNS int64
	for _, c := range []struct {
		name string
		read func() uint64
		want string
	}{
		{"stopped", func() uint64 { return 12345 }, "did not advance"},
		{"too slow", counter(func(int64) float64 { return 1e3 }), "Hz"},
		{"rate changes", func() uint64 {
			// Steady at 3 GHz for the two calibration readings (five reads
			// each), then 1% faster for the check.
			reads++
			ns := monoNow()
			if reads <= 10 {
				switchNS = ns
				return uint64(float64(ns) * 3)
			}
			return uint64(float64(switchNS)*3 + float64(ns-switchNS)*3.03)
		}, "rate changed"},
	} {
		reads = 0
		if _, err := calibrateTSC(c.read, monoNow, 10*time.Millisecond); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: calibration error %v, want one saying %q", c.name, err, c.want)
		}
	}
	good, err := calibrateTSC(counter(func(int64) float64 { return 2.5e9 }), monoNow, 10*time.Millisecond)
	if err != nil || math.Abs(good.hz-2.5e9) > 2.5e9*tscMaxError {
		t.Errorf("a steady 2.5 GHz counter calibrated to %+v, %v", good, err)
	}
}

// TestClockCheckDrops installs a calibration that is 0.5% off, as if the
// counter's rate had changed since start: the check at the next report
// finds the drift and measurements fall back to the monotonic clock.
func TestClockCheckDrops(t *testing.T) {
	if ok, why := tscAvailable(); !ok {
		t.Skipf("no TSC clock here: %s", why)
	}
	restoreClock(t)
	setupClock("tsc", &bytes.Buffer{})
	c := tscClock.Load()
	if c == nil {
		t.Skip("the TSC did not calibrate here")
	}
	off := *c
	off.mult = uint64(float64(off.mult) * 1.005)
	tscConfigured.calib = &off
	tscClock.Store(&off)
	time.Sleep(20 * time.Millisecond)
	var w bytes.Buffer
	cc := CheckClock(&w)
	if cc == nil || cc.Source != "monotonic" || cc.DriftPPM < 1000 || tscClock.Load() != nil {
		t.Fatalf("check = %+v, clock %v; want the drift found and the TSC dropped", cc, tscClock.Load())
	}
	if !strings.Contains(w.String(), "drifted") {
		t.Errorf("no warning: %q", w.String())
	}
	if d := nanotime() - monoNow(); d > int64(time.Millisecond) || d < -int64(time.Millisecond) {
		t.Errorf("after the fallback nanotime is %v from the monotonic clock", time.Duration(d))
	}
}

package abr

import (
	"math"
	"strings"
	"testing"
	"time"
)

// sampleAt returns a one-second sample that measures bps bits per second.
func sampleAt(bps float64) Sample {
	return Sample{Bytes: int64(bps / 8), Duration: time.Second}
}

func TestEstimatorIgnoresCacheAndSmallSamples(t *testing.T) {
	e := NewEstimator()
	e.Add(Sample{Bytes: 1 << 20, Duration: time.Millisecond, FromCache: true})
	e.Add(Sample{Bytes: MinSampleBytes - 1, Duration: time.Millisecond})
	if est, ok := e.Estimate(); ok {
		t.Fatalf("Estimate = %v after only ignored samples, want none", est)
	}
	e.Add(Sample{Bytes: MinSampleBytes, Duration: time.Second})
	if est, ok := e.Estimate(); !ok || math.Abs(est-MinSampleBytes*8) > 1e-6 {
		t.Fatalf("Estimate = %v, %v; want %v", est, ok, MinSampleBytes*8)
	}
}

func TestEstimatorZeroBiasCorrection(t *testing.T) {
	// One sample must give its own rate, not a fraction of it: without the
	// correction a 1 s sample would read as only 29% (fast) of its value.
	e := NewEstimator()
	e.Add(sampleAt(3_000_000))
	est, _ := e.Estimate()
	if math.Abs(est-3_000_000) > 1 {
		t.Fatalf("single-sample estimate = %.0f, want 3000000", est)
	}
}

func TestEstimatorTakesTheSmallerAverage(t *testing.T) {
	e := NewEstimator()
	for range 20 {
		e.Add(sampleAt(8_000_000))
	}
	e.Add(sampleAt(1_000_000))
	fast, slow := e.fast.estimate(), e.slow.estimate()
	if !(fast < slow) {
		t.Fatalf("after a drop the fast average (%.0f) should be below the slow one (%.0f)", fast, slow)
	}
	if est, _ := e.Estimate(); est != fast {
		t.Fatalf("Estimate = %.0f, want the fast average %.0f", est, fast)
	}
	// Each one-second sample keeps 1/sqrt(2) of a 2 s half-life's memory;
	// the bias correction divides by the weight of real data, 1-a^21.
	a := math.Pow(0.5, 0.5)
	raw := 8_000_000*(1-math.Pow(a, 20))*a + 1_000_000*(1-a)
	want := raw / (1 - math.Pow(a, 21))
	if math.Abs(fast-want) > 1 {
		t.Fatalf("fast average = %.0f, want %.0f", fast, want)
	}

	e = NewEstimator()
	for range 60 {
		e.Add(sampleAt(1_000_000))
	}
	e.Add(sampleAt(8_000_000))
	if est, _ := e.Estimate(); est != e.slow.estimate() || est > 1_500_000 {
		t.Fatalf("after a spike Estimate = %.0f, want the slow average (%.0f) near 1 Mbit/s", est, e.slow.estimate())
	}
}

func TestEstimatorClampsInstantSamples(t *testing.T) {
	e := NewEstimator()
	e.Add(Sample{Bytes: 100_000, Duration: 0})
	est, ok := e.Estimate()
	if want := 100_000 * 8 / minSampleDuration.Seconds(); !ok || math.Abs(est-want) > 1 || math.IsInf(est, 0) {
		t.Fatalf("Estimate = %v, %v; want %v", est, ok, want)
	}
}

// fakeClock is an injectable clock the tests move by hand.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time          { return c.now }
func (c *fakeClock) advance(d time.Duration) { c.now = c.now.Add(d) }

var bandwidths = []uint64{1_000_000, 2_000_000, 4_000_000}

func newController(t *testing.T, initial int, clock *fakeClock) *Controller {
	t.Helper()
	c, err := New(bandwidths, Options{Initial: initial, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDecideReasons(t *testing.T) {
	const noEstimate = -1
	for _, tc := range []struct {
		name    string
		current int
		bps     float64 // estimate, or noEstimate
		buffer  time.Duration
		target  int
		reason  Reason
	}{
		{"no estimate", 1, noEstimate, 20 * time.Second, 1, ReasonNoEstimate},
		{"already optimal", 1, 2_600_000, 20 * time.Second, 1, ReasonAlreadyOptimal},
		{"up to the candidate", 0, 6_000_000, 10 * time.Second, 2, ReasonUpSwitch},
		{"up short of the candidate", 0, 5_100_000, 10 * time.Second, 1, ReasonUpSwitch},
		{"insufficient headroom", 1, 5_100_000, 20 * time.Second, 1, ReasonInsufficientHeadroom},
		{"buffer too low for up", 0, 6_000_000, 9900 * time.Millisecond, 0, ReasonBufferTooLowForUp},
		{"down on low buffer", 2, 4_900_000, 5 * time.Second, 1, ReasonDownLowBuffer},
		{"down on throughput", 2, 3_200_000, 20 * time.Second, 1, ReasonDownThroughput},
		{"down to the lowest", 2, 200_000, 20 * time.Second, 0, ReasonDownThroughput},
		{"within hysteresis", 2, 4_900_000, 20 * time.Second, 2, ReasonWithinHysteresis},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newController(t, tc.current, &fakeClock{now: time.Unix(1000, 0)})
			if tc.bps != noEstimate {
				c.AddSample(sampleAt(tc.bps))
			}
			d := c.Decide(tc.buffer)
			if d.Target != tc.target || d.Reason != tc.reason || d.Changed != (tc.target != tc.current) {
				t.Fatalf("Decide = {target %d, %v, changed %v}, want {target %d, %v, changed %v}",
					d.Target, d.Reason, d.Changed, tc.target, tc.reason, tc.target != tc.current)
			}
			if d.Buffer != tc.buffer {
				t.Errorf("Decision.Buffer = %v, want %v", d.Buffer, tc.buffer)
			}
			if c.Current() != tc.current {
				t.Errorf("Decide changed the current variant to %d", c.Current())
			}
		})
	}
}

func TestMinSwitchInterval(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1000, 0)}
	c := newController(t, 2, clock)
	c.AddSample(sampleAt(200_000))
	first := c.Decide(time.Minute)
	if !first.Changed || !c.Apply(first) || c.Current() != 0 {
		t.Fatalf("the first switch must be free: %+v, current %d", first, c.Current())
	}
	for range 10 {
		c.AddSample(sampleAt(50_000_000))
	}
	clock.advance(DefaultMinSwitchInterval - time.Nanosecond)
	if d := c.Decide(time.Minute); d.Reason != ReasonMinInterval || d.Changed || d.Target != 0 {
		t.Fatalf("within the interval: %+v, want min-interval on variant 0", d)
	}
	clock.advance(time.Nanosecond)
	if d := c.Decide(time.Minute); d.Reason != ReasonUpSwitch || d.Target != 2 {
		t.Fatalf("after the interval: %+v, want up-switch to 2", d)
	}
}

func TestManualMode(t *testing.T) {
	c := newController(t, 0, &fakeClock{now: time.Unix(1000, 0)})
	if err := c.SetManual(3); err == nil {
		t.Error("SetManual(3) with 3 variants succeeded")
	}
	if err := c.SetManual(2); err != nil {
		t.Fatal(err)
	}
	if c.Mode() != Manual {
		t.Fatalf("Mode = %v after SetManual", c.Mode())
	}
	c.AddSample(sampleAt(100_000)) // would force a down-switch in Auto
	d := c.Decide(0)
	if d.Target != 2 || d.Reason != ReasonManual || !d.Changed {
		t.Fatalf("Decide = %+v, want manual switch to 2", d)
	}
	c.Apply(d)
	if d := c.Decide(0); d.Target != 2 || d.Changed || d.Reason != ReasonManual {
		t.Fatalf("after Apply: %+v, want to stay on 2", d)
	}
	c.SetAuto()
	if c.Mode() != Auto {
		t.Fatalf("Mode = %v after SetAuto", c.Mode())
	}
	// The manual switch counts for the interval.
	if d := c.Decide(0); d.Reason != ReasonMinInterval {
		t.Fatalf("auto right after a manual switch: %+v, want min-interval", d)
	}
}

func TestInitialAndApply(t *testing.T) {
	c := newController(t, 1, &fakeClock{now: time.Unix(1000, 0)})
	if d := c.Initial(); d.Target != 1 || d.Reason != ReasonInitial {
		t.Fatalf("Initial = %+v", d)
	}
	if c.Apply(Decision{Target: 1}) || c.Apply(Decision{Target: 7}) || c.Apply(Decision{Target: -1}) {
		t.Fatal("Apply of the current or an invalid variant reported a change")
	}
	if !c.Apply(Decision{Target: 0}) || c.Current() != 0 {
		t.Fatal("Apply did not switch to variant 0")
	}
}

func TestNewRejectsBadInput(t *testing.T) {
	if _, err := New(nil, Options{}); err == nil {
		t.Error("New with no variants succeeded")
	}
	if _, err := New(bandwidths, Options{Initial: 3}); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("New with initial 3 of 3: %v", err)
	}
}

func TestDisabledChecks(t *testing.T) {
	c, err := New(bandwidths, Options{Initial: 0, MinBufferForUpSwitch: -1, MinSwitchInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	c.AddSample(sampleAt(6_000_000))
	d := c.Decide(0)
	if d.Reason != ReasonUpSwitch || !c.Apply(d) {
		t.Fatalf("with the buffer check disabled: %+v, want up-switch", d)
	}
	c.AddSample(sampleAt(200_000))
	c.AddSample(sampleAt(200_000))
	if d := c.Decide(time.Minute); !d.Changed || d.Target != 0 {
		t.Fatalf("with the interval disabled: %+v, want an immediate down-switch", d)
	}
}

func TestStrings(t *testing.T) {
	for r := ReasonInitial; r <= ReasonWithinHysteresis; r++ {
		if s := r.String(); s == "" || strings.HasPrefix(s, "Reason(") {
			t.Errorf("Reason %d has no name", int(r))
		}
	}
	if s := Reason(99).String(); s != "Reason(99)" {
		t.Errorf("Reason(99).String() = %q", s)
	}
	if Auto.String() != "auto" || Manual.String() != "manual" || Mode(5).String() != "Mode(5)" {
		t.Error("Mode strings")
	}
}

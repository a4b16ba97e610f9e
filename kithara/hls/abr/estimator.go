package abr

import (
	"math"
	"time"
)

// Estimator constants, as in Kithara.
const (
	// FastHalfLife and SlowHalfLife are the half-lives of the two moving
	// averages, in seconds of download time.
	FastHalfLife = 2 * time.Second
	SlowHalfLife = 10 * time.Second
	// MinSampleBytes is the smallest sample that counts: shorter transfers
	// measure latency more than bandwidth.
	MinSampleBytes = 16_000
	// minSampleDuration keeps a sample that arrived "instantly" (from a
	// kernel buffer) from claiming infinite bandwidth.
	minSampleDuration = 500 * time.Microsecond
)

// Sample is one throughput measurement: Bytes arrived over Duration.
type Sample struct {
	Bytes    int64
	Duration time.Duration
	// FromCache marks bytes read from the local cache; they say nothing about
	// the network and are ignored.
	FromCache bool
}

// BitsPerSecond is the sample's rate, with the duration clamped as the
// estimator clamps it.
func (s Sample) BitsPerSecond() float64 {
	d := max(s.Duration, minSampleDuration)
	return float64(s.Bytes) * 8 / d.Seconds()
}

// Estimator estimates network throughput from samples with two exponentially
// weighted moving averages, weighted by download time: a fast one that
// reacts to drops and a slow one that resists spikes. The estimate is the
// smaller of the two, so the estimator is quick to go down and slow to go up.
// The zero value is not ready; use NewEstimator. An Estimator is not safe for
// concurrent use (the Controller guards its own).
type Estimator struct {
	fast, slow ewma
}

// NewEstimator returns an estimator with Kithara's half-lives.
func NewEstimator() *Estimator {
	return &Estimator{fast: newEWMA(FastHalfLife), slow: newEWMA(SlowHalfLife)}
}

// Add records a sample. Cache hits and samples under MinSampleBytes are
// ignored.
func (e *Estimator) Add(s Sample) {
	if s.FromCache || s.Bytes < MinSampleBytes {
		return
	}
	weight := max(s.Duration, minSampleDuration).Seconds()
	bps := s.BitsPerSecond()
	e.fast.add(weight, bps)
	e.slow.add(weight, bps)
}

// Estimate returns the estimated throughput in bits per second, and false
// before the first counted sample.
func (e *Estimator) Estimate() (float64, bool) {
	if e.fast.total == 0 {
		return 0, false
	}
	return min(e.fast.estimate(), e.slow.estimate()), true
}

// ewma is an exponentially weighted moving average whose decay is measured
// in weight (seconds of download) rather than in samples.
type ewma struct {
	alpha float64 // the decay per unit of weight
	avg   float64 // the raw average, biased towards its zero start
	total float64 // the weight seen so far
}

func newEWMA(halfLife time.Duration) ewma {
	return ewma{alpha: math.Exp(math.Ln2 * -1 / halfLife.Seconds())}
}

func (a *ewma) add(weight, value float64) {
	w := math.Pow(a.alpha, weight)
	a.avg = value*(1-w) + w*a.avg
	a.total += weight
}

// estimate corrects the bias towards the zero the average started from:
// after total weight, only 1-alpha^total of the average is real data.
func (a *ewma) estimate() float64 {
	return a.avg / max(1-math.Pow(a.alpha, a.total), 1e-6)
}

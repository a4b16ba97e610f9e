//go:build !hotpath

// Package abr chooses which variant of an adaptive stream to fetch, from the
// measured network throughput and the buffered duration ahead of playback.
//
// It is the Go port of Kithara's kithara-abr crate: a dual-EWMA throughput
// Estimator and a Controller whose every Decision carries a Reason.
package abr

//go:generate go tool hotpathgen

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// Mode selects automatic adaptation or a fixed variant.
type Mode int

// Controller modes.
const (
	// Auto adapts the variant to the throughput estimate and buffer level.
	Auto Mode = iota
	// Manual keeps the variant set with SetManual.
	Manual
)

// String returns "auto" or "manual".
func (m Mode) String() string {
	switch m {
	case Auto:
		return "auto"
	case Manual:
		return "manual"
	default:
		return fmt.Sprintf("Mode(%d)", int(m))
	}
}

// Default option values. Kithara's, except DefaultSafetyFactor.
const (
	DefaultMinBufferForUpSwitch = 10 * time.Second
	DefaultDownSwitchBuffer     = 5 * time.Second
	DefaultUpHysteresis         = 1.3
	DefaultDownHysteresis       = 0.8
	DefaultMinSwitchInterval    = 30 * time.Second
	// DefaultSafetyFactor is the share of the estimate that a variant may
	// use. Kithara multiplies by 1.5, which picks variants the network cannot
	// carry: after a down-switch on a throughput drop it would choose a
	// variant needing 150% of the measured rate and stall again. 0.8 leaves
	// 25% headroom for the variance of the estimate, in line with common
	// players (ExoPlayer 0.7, dash.js 0.9).
	DefaultSafetyFactor = 0.8
)

// Options configure a Controller. New replaces zero fields with the
// defaults above; set a duration to a negative value to disable its check.
type Options struct {
	// Mode is the starting mode.
	Mode Mode
	// Initial is the starting variant index (in Manual mode: the fixed one).
	Initial int
	// MinBufferForUpSwitch is the buffer level below which the controller
	// does not switch up.
	MinBufferForUpSwitch time.Duration
	// DownSwitchBuffer is the buffer level at or below which the controller
	// switches down as soon as a lower variant is the candidate.
	DownSwitchBuffer time.Duration
	// SafetyFactor scales the estimate before choosing a candidate: the
	// candidate is the highest variant with bandwidth <= estimate*SafetyFactor.
	SafetyFactor float64
	// UpHysteresis: switch up only when estimate >= UpHysteresis * bandwidth
	// of the new variant.
	UpHysteresis float64
	// DownHysteresis: with enough buffer, switch down only when
	// estimate <= DownHysteresis * bandwidth of the current variant.
	DownHysteresis float64
	// MinSwitchInterval is the least time between two switches; the first
	// switch is always allowed.
	MinSwitchInterval time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	orDur := func(d *time.Duration, def time.Duration) {
		if *d == 0 {
			*d = def
		}
	}
	orF := func(f *float64, def float64) {
		if *f == 0 {
			*f = def
		}
	}
	orDur(&o.MinBufferForUpSwitch, DefaultMinBufferForUpSwitch)
	orDur(&o.DownSwitchBuffer, DefaultDownSwitchBuffer)
	orDur(&o.MinSwitchInterval, DefaultMinSwitchInterval)
	orF(&o.SafetyFactor, DefaultSafetyFactor)
	orF(&o.UpHysteresis, DefaultUpHysteresis)
	orF(&o.DownHysteresis, DefaultDownHysteresis)
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Decision is the controller's answer to "which variant next?".
type Decision struct {
	// Target is the variant to fetch next.
	Target int
	// Changed reports Target != the current variant when decided.
	Changed bool
	// Reason says why.
	Reason Reason
	// Estimate is the throughput estimate in bits per second it was based
	// on (0 when there was none), and Buffer the buffer level.
	Estimate float64
	Buffer   time.Duration
}

// Controller decides variant switches. It is safe for concurrent use: the
// HLS driver feeds samples from its download while deciding at segment
// boundaries.
type Controller struct {
	mu         sync.Mutex
	opts       Options
	bandwidths []uint64
	byBW       []int // variant indices by ascending bandwidth
	est        *Estimator
	mode       Mode
	manual     int // the variant Manual mode holds; Apply makes it current
	current    int
	lastSwitch time.Time
	switched   bool
}

// New returns a controller over variants with the given bandwidths (bits
// per second, in variant order).
func New(bandwidths []uint64, opts Options) (*Controller, error) {
	if len(bandwidths) == 0 {
		return nil, fmt.Errorf("abr: no variants")
	}
	if opts.Initial < 0 || opts.Initial >= len(bandwidths) {
		return nil, fmt.Errorf("abr: initial variant %d out of range [0, %d)", opts.Initial, len(bandwidths))
	}
	opts = opts.withDefaults()
	byBW := make([]int, len(bandwidths))
	for i := range byBW {
		byBW[i] = i
	}
	slices.SortStableFunc(byBW, func(a, b int) int {
		switch {
		case bandwidths[a] < bandwidths[b]:
			return -1
		case bandwidths[a] > bandwidths[b]:
			return 1
		}
		return 0
	})
	return &Controller{
		opts:       opts,
		bandwidths: slices.Clone(bandwidths),
		byBW:       byBW,
		est:        NewEstimator(),
		mode:       opts.Mode,
		manual:     opts.Initial,
		current:    opts.Initial,
	}, nil
}

// Initial returns the decision that starts playback: the initial variant,
// with ReasonInitial.
func (c *Controller) Initial() Decision {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Decision{Target: c.current, Changed: true, Reason: ReasonInitial}
}

// AddSample feeds a throughput sample to the estimator.
func (c *Controller) AddSample(s Sample) {
	c.mu.Lock()
	c.est.Add(s)
	c.mu.Unlock()
}

// Estimate returns the throughput estimate in bits per second, and false
// before the first counted sample.
func (c *Controller) Estimate() (float64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.est.Estimate()
}

// Current returns the variant in use.
func (c *Controller) Current() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.current
}

// Mode returns the current mode.
func (c *Controller) Mode() Mode {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mode
}

// SetManual fixes the variant: later decisions return it with ReasonManual
// until SetAuto.
func (c *Controller) SetManual(variant int) error {
	if variant < 0 || variant >= len(c.bandwidths) {
		return fmt.Errorf("abr: variant %d out of range [0, %d)", variant, len(c.bandwidths))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mode = Manual
	c.manual = variant
	return nil
}

// SetAuto resumes adaptation from the current variant.
func (c *Controller) SetAuto() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mode = Auto
}

// Apply makes d's target the current variant. A change starts a new
// MinSwitchInterval. It reports whether the variant changed.
func (c *Controller) Apply(d Decision) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d.Target == c.current || d.Target < 0 || d.Target >= len(c.bandwidths) {
		return false
	}
	c.current = d.Target
	c.lastSwitch = c.opts.Now()
	c.switched = true
	return true
}

// Decide returns the variant to fetch next given the buffered duration
// ahead of playback. It changes nothing: the caller applies the decision
// (at a segment boundary) with Apply.
//
// In Auto mode, the candidate is the highest variant whose bandwidth is at
// most estimate*SafetyFactor (the lowest variant when none is). Going up
// needs MinBufferForUpSwitch of buffer and an estimate of at least
// UpHysteresis times the new variant's bandwidth; the highest variant
// between the current one and the candidate that has that headroom is
// chosen. Going down happens when the buffer is at most DownSwitchBuffer or
// the estimate is at most DownHysteresis times the current bandwidth.
// Nothing switches within MinSwitchInterval of the last switch.
//
//hotpath:measure
func (c *Controller) Decide(buffer time.Duration) Decision {
	c.mu.Lock()
	defer c.mu.Unlock()
	cur := c.current
	d := Decision{Target: cur, Buffer: buffer}
	if c.mode == Manual {
		d.Target, d.Reason = c.manual, ReasonManual
		d.Changed = d.Target != cur
		return d
	}
	if c.switched && c.opts.MinSwitchInterval > 0 && c.opts.Now().Sub(c.lastSwitch) < c.opts.MinSwitchInterval {
		d.Reason = ReasonMinInterval
		return d
	}
	est, ok := c.est.Estimate()
	if !ok {
		d.Reason = ReasonNoEstimate
		return d
	}
	d.Estimate = est
	budget := est * c.opts.SafetyFactor
	cand := c.byBW[0]
	for _, v := range c.byBW {
		if float64(c.bandwidths[v]) <= budget {
			cand = v
		}
	}
	curBW, candBW := c.bandwidths[cur], c.bandwidths[cand]
	switch {
	case candBW > curBW:
		if c.opts.MinBufferForUpSwitch > 0 && buffer < c.opts.MinBufferForUpSwitch {
			d.Reason = ReasonBufferTooLowForUp
			return d
		}
		up := -1
		for _, v := range c.byBW {
			bw := c.bandwidths[v]
			if bw > curBW && bw <= candBW && est >= c.opts.UpHysteresis*float64(bw) {
				up = v
			}
		}
		if up < 0 {
			d.Reason = ReasonInsufficientHeadroom
			return d
		}
		d.Target, d.Changed, d.Reason = up, true, ReasonUpSwitch
	case candBW < curBW:
		switch {
		case buffer <= c.opts.DownSwitchBuffer:
			d.Target, d.Changed, d.Reason = cand, true, ReasonDownLowBuffer
		case est <= c.opts.DownHysteresis*float64(curBW):
			d.Target, d.Changed, d.Reason = cand, true, ReasonDownThroughput
		default:
			d.Reason = ReasonWithinHysteresis
		}
	default:
		d.Reason = ReasonAlreadyOptimal
	}
	return d
}

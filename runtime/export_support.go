package hotpath

import (
	"time"
)

// AllocWindow returns the allocation numbers of the newest guard alive in
// allocation mode: a report of every function and block since the guard
// started (its Focus and Limit do not apply), with the allocation columns
// filled, and the guard's start. It returns ok false when no guard is in
// allocation mode, or the heap profile could not be read. Like
// [Guard.Snapshot] it runs a garbage collection; exporters call it once
// per scrape.
func AllocWindow() (rep *Report, start time.Time, ok bool) {
	g := liveAllocGuard()
	if g == nil {
		return nil, time.Time{}, false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		return nil, time.Time{}, false
	}
	opts := g.opts
	opts.Limit = 0
	opts.focus = func(string) bool { return true }
	rep, err := buildReport(opts, g.base, time.Since(g.started))
	if err != nil || rep.AllocTotals == nil {
		return nil, time.Time{}, false
	}
	return rep, g.started, true
}

// ProcessStart returns the instant the runtime was initialised: where the
// numbers of a snapshot taken against a nil base start, and the start time
// of the exporters' cumulative series.
func ProcessStart() time.Time { return processStart }

// Package exportbridge gives the exporters (runtime/export/prom and
// runtime/export/otel) what they read from package hotpath beyond its public
// API, without exporting it to users. Package hotpath sets the variables in
// its init; the exporters import hotpath, so they are set before any of
// their functions runs.
package exportbridge

import "time"

var (
	// Window returns, as a *hotpath.Report (this package cannot name the
	// type: hotpath imports it), the allocation numbers of the newest guard alive in
	// allocation mode: a report of every function and block since the
	// guard started (its Focus and Limit do not apply), with the allocation
	// columns filled, and the guard's start. ok is false when no guard is
	// in allocation mode or the heap profile could not be read. Like
	// Guard.Snapshot it runs a garbage collection; exporters call it once
	// per scrape.
	Window func() (rep any, start time.Time, ok bool)
	// Start is the instant package hotpath was initialised: where the
	// numbers of a snapshot taken against a nil base start, and the start
	// time of the exporters' cumulative series.
	Start time.Time
)

// AllocWindow calls Window and gives its report the type R, which is
// *hotpath.Report: exporters call AllocWindow[*hotpath.Report]().
func AllocWindow[R any]() (rep R, start time.Time, ok bool) {
	r, start, ok := Window()
	if !ok {
		return rep, start, false
	}
	rep, ok = r.(R)
	return rep, start, ok
}

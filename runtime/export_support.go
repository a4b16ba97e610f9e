package hotpath

import (
	"slices"
	"sync"
	"time"
)

// allocGuards are the guards alive in allocation mode, oldest first; the
// exporters read allocation numbers from the newest.
var allocGuards guardList

type guardList struct {
	mu sync.Mutex
	gs []*Guard
}

func (l *guardList) add(g *Guard) {
	l.mu.Lock()
	l.gs = append(l.gs, g)
	l.mu.Unlock()
}

func (l *guardList) remove(g *Guard) {
	l.mu.Lock()
	l.gs = slices.DeleteFunc(l.gs, func(x *Guard) bool { return x == g })
	l.mu.Unlock()
}

func (l *guardList) newest() *Guard {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.gs) == 0 {
		return nil
	}
	return l.gs[len(l.gs)-1]
}

// AllocWindow returns the allocation numbers of the newest guard alive in
// allocation mode: a report of every function and block since the guard
// started (its Focus and Limit do not apply), with the allocation columns
// filled, and the guard's start. It returns ok false when no guard is in
// allocation mode, or the heap profile could not be read. Like
// [Guard.Snapshot] it runs a garbage collection; exporters call it once
// per scrape.
func AllocWindow() (rep *Report, start time.Time, ok bool) {
	g := allocGuards.newest()
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

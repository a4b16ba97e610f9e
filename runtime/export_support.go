package hotpath

import (
	"time"

	"github.com/hotpath-go/hotpath/runtime/internal/exportbridge"
)

func init() {
	exportbridge.Window = func() (any, time.Time, bool) { return allocWindow() }
	exportbridge.Start = processStart
}

// allocWindow is exportbridge.Window: the allocation numbers of the newest
// guard alive in allocation mode, for the exporters.
func allocWindow() (rep *Report, start time.Time, ok bool) {
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

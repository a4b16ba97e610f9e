package core

import (
	"runtime"
	"sync/atomic"
)

// GoSite is one //hotpath:go statement. Generated code declares one
// package-level GoSite per site, as a composite literal, and wraps the go
// statement's function value in the hotpathimpl.GoFunc of its shape
// (runtime/hotpathimpl/gocall.go):
//
//	var _hotpath_go_w_0 = hotpathimpl.GoSite{Label: "example.com/w.(*W).Start:go@42", Func: "example.com/w.(*W).Start", Site: "example.com/w/w.go:42"}
//
//	go hotpathimpl.GoFunc2R0(&_hotpath_go_w_0, w.loop).Run(ctx, n)
//
// A GoSite must not be copied after first use.
type GoSite struct {
	// Label names the row: label=NAME from the directive, or
	// pkg.F:go@LINE, F being the function that holds the go statement.
	Label string
	// Func is the function that holds the go statement, as pprof prints it.
	Func string
	// Site is the go statement's position: import path, file and line.
	Site string

	state atomic.Pointer[GoState]
}

// GoState is the mutable part of a GoSite, allocated when the site starts
// its first goroutine.
//
// Every go statement adds to started and alive, and every goroutine that
// ends subtracts from alive: one contended atomic each way, which costs
// little next to starting a goroutine (a few hundred nanoseconds) and
// keeps alive exact. The lifetimes go through a Func's per-P shards into
// one histogram, as measured calls do, so ending costs no lock.
type GoState struct {
	site *GoSite
	_    [56]byte // started, alive and peak on a line of their own
	// started counts go statements executed; alive the goroutines started
	// and not yet ended; peak the largest alive ever was.
	started atomic.Uint64
	alive   atomic.Int64
	peak    atomic.Int64
	_       [40]byte
	// panicked and goexited count the goroutines that ended by a panic
	// and by runtime.Goexit: rare, so a plain atomic each.
	panicked, goexited atomic.Uint64
	// life holds the lifetimes of the goroutines that ended, panicked or
	// not: its call count is the number that ended. It is never in the
	// registry of functions.
	life FuncState
}

// GoSpan is one watched goroutine, from its go statement to its end:
// returned by [GoBegin] when the goroutine begins, and ended by its
// deferred [GoSpan.End].
type GoSpan struct {
	st    *GoState
	start int64
}

// register allocates the site's state on first use.
func (s *GoSite) register() *GoState {
	st := &GoState{site: s}
	if !s.state.CompareAndSwap(nil, st) {
		return s.state.Load()
	}
	goSites.add(s)
	return st
}

// goSites holds every GoSite that has started a goroutine; it only grows,
// as the registry of functions does.
var goSites growingList[*GoSite]

// GoBegin counts a goroutine of site s that has begun to run (started,
// alive, peak) and returns its span; at is the [Nanotime] of its go
// statement, where its lifetime starts. The Run methods of hotpathimpl's
// gocall.go call it first thing in the goroutine, in a deferred call's
// receiver:
//
//	defer core.GoBegin(c.s, c.t).End(&ok)
//
// A goroutine is counted from the instant it runs, not from its go
// statement: a go statement whose arguments panic starts nothing, and
// counts nothing.
func GoBegin(s *GoSite, at int64) GoSpan {
	st := s.state.Load()
	if st == nil {
		st = s.register()
	}
	st.started.Add(1)
	if n := st.alive.Add(1); n > st.peak.Load() {
		st.notePeak(n)
	}
	return GoSpan{st: st, start: at}
}

// notePeak raises the site's peak to n unless it is already higher.
func (st *GoState) notePeak(n int64) {
	for p := st.peak.Load(); n > p && !st.peak.CompareAndSwap(p, n); p = st.peak.Load() {
	}
}

// End ends the goroutine started with g. Run defers it first thing in the
// goroutine, with a flag that it sets after the function returned:
//
//	ok := false
//	defer core.GoBegin(c.s, c.t).End(&ok)
//	c.f(args...)
//	ok = true
//
// A goroutine whose flag is not set is ending by a panic or by
// runtime.Goexit; End tells the two apart from its own stack (see
// [abnormalEnd]) and never recovers: a panic goes on, with the same
// value, and crashes the program with the same message and the original
// frames at the top of its stack, as it would have without hotpath.
//
// A goroutine counts as ended once its function has returned and its own
// deferred calls have run: code that waits for a signal the goroutine
// sends before that (a WaitGroup's Done, a closed channel) may see it
// alive for a moment longer.
func (g GoSpan) End(returned *bool) {
	st := g.st
	if st == nil {
		return
	}
	d := nanotime() - g.start
	st.life.record(d, 1)
	if !*returned {
		// After the lifetime: a reader takes panicked before the
		// lifetimes, so it never sees more panics than ended goroutines.
		st.abnormalEnd()
	}
	st.alive.Add(-1)
}

// abnormalEnd classifies a goroutine that is ending without its function
// having returned. The deferred calls of a panic run below
// runtime.gopanic, those of runtime.Goexit below runtime.Goexit; the
// nearer of the two on the stack is how this goroutine is ending (a
// deferred call that calls Goexit while a panic runs stops the panic, and
// the goroutine ends without crashing the program; a deferred call that
// panics while Goexit runs crashes it). Only this path pays for reading
// the stack.
//
//go:noinline
func (st *GoState) abnormalEnd() {
	if goexiting() {
		st.goexited.Add(1)
		return
	}
	st.panicked.Add(1)
	if h := goPanicHook; h != nil {
		h(st.site)
	}
}

// goPanicHook, when set (by tests, SetGoPanicHook), is called after a
// panicking goroutine is counted, before the panic goes on.
var goPanicHook func(*GoSite)

// SetGoPanicHook sets a function that a panicking watched goroutine calls
// once it is counted, before its panic goes on; nil removes it. It is for
// tests, which cannot see the count otherwise: the panic ends the program.
func SetGoPanicHook(h func(*GoSite)) { goPanicHook = h }

// goexiting reports whether the calling goroutine is running its deferred
// calls for runtime.Goexit rather than for a panic. A stack that shows
// neither (which the runtime of this Go version never produces: see
// TestGoEndClassifies) counts as a panic.
func goexiting() bool {
	var pcs [64]uintptr
	n := runtime.Callers(3, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		switch f.Function {
		case "runtime.Goexit":
			return true
		case "runtime.gopanic":
			return false
		}
		if !more {
			return false
		}
	}
}

// GoCounts are a site's numbers at one instant.
type GoCounts struct {
	started            uint64
	panicked, goexited uint64
	// alive and peak are now and ever, not differences.
	alive, peak int64
	// life holds the lifetimes of the goroutines that ended; life.calls
	// counts them.
	life FuncSnapshot
}

// snapshot reads the site's numbers. It reads panicked and goexited
// before the lifetimes, and the lifetimes before started, the reverse of
// the order in which a goroutine adds to them, so that the numbers agree:
// never more ended than started, nor more panics than ends.
func (st *GoState) snapshot() GoCounts {
	var c GoCounts
	c.panicked = st.panicked.Load()
	c.goexited = st.goexited.Load()
	c.life = st.life.snapshot()
	c.started = st.started.Load()
	c.alive = st.alive.Load()
	c.peak = st.peak.Load()
	return c
}

// finished returns the goroutines that ended without a panic: their
// function returned, or they called runtime.Goexit.
func (c *GoCounts) finished() uint64 { return c.life.calls - c.panicked }

func (c *GoCounts) used() bool { return c.started > 0 || c.life.calls > 0 }

// since returns what happened between base and c; alive and peak stay
// c's.
func (c GoCounts) since(base GoCounts) GoCounts {
	return GoCounts{
		started:  c.started - base.started,
		panicked: c.panicked - base.panicked,
		goexited: c.goexited - base.goexited,
		alive:    c.alive,
		peak:     c.peak,
		life:     c.life.since(base.life),
	}
}

// What package hotpath reads to build reports; nothing here is called on
// the hot path.

// GoSites returns every GoSite that has started a goroutine; the slice is
// never mutated after it is returned.
func GoSites() []*GoSite { return goSites.list() }

// State returns s's numbers, nil until s starts its first goroutine.
func (s *GoSite) State() *GoState { return s.state.Load() }

// Snapshot returns the site's numbers now.
func (st *GoState) Snapshot() GoCounts { return st.snapshot() }

// GoBaseline snapshots every site in use, for a guard that starts now.
func GoBaseline() map[*GoSite]GoCounts {
	b := map[*GoSite]GoCounts{}
	for _, s := range goSites.list() {
		if c := s.state.Load().snapshot(); c.used() {
			b[s] = c
		}
	}
	return b
}

// Used reports whether a goroutine of the site began or ended.
func (c GoCounts) Used() bool { return c.used() }

// Since returns what happened between base and c; Alive and Peak stay c's.
func (c GoCounts) Since(base GoCounts) GoCounts { return c.since(base) }

// Started returns the goroutines that began to run.
func (c GoCounts) Started() uint64 { return c.started }

// Finished returns the goroutines that ended without a panic (returned,
// or called runtime.Goexit).
func (c GoCounts) Finished() uint64 { return c.finished() }

// Goexited returns the goroutines of Finished that called runtime.Goexit.
func (c GoCounts) Goexited() uint64 { return c.goexited }

// Panicked returns the goroutines that ended by a panic.
func (c GoCounts) Panicked() uint64 { return c.panicked }

// Alive returns the goroutines that had begun and not ended.
func (c GoCounts) Alive() int64 { return c.alive }

// Peak returns the most goroutines alive at once since the site's first.
func (c GoCounts) Peak() int64 { return c.peak }

// Lifetimes returns the lifetimes of the goroutines that ended.
func (c GoCounts) Lifetimes() DurationSummary { return c.life.DurationSummary }

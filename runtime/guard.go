package hotpath

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hotpath-go/hotpath/runtime/internal/core"
)

// Guard collects a report over its lifetime: from Start to Stop it sees
// every call of every measured function, in every goroutine. Guards may
// overlap (parallel tests, say); each reports what happened in its own
// window.
type Guard struct {
	opts    resolved
	optErr  error
	started time.Time
	base    baseline

	mu      sync.Mutex
	stopped bool
	report  *Report
	err     error
}

// Start begins a report. Bad option values (from Options or the
// environment) do not stop measuring: they fall back to defaults, are
// printed once on standard error, and are returned again by Stop. In a
// build without -tags hotpath (Enabled is false) a guard given no Format,
// Output or Writer, in code or by the environment, writes no report.
func Start(opts Options) *Guard {
	r, err := resolveOptions(opts, osGetenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	if r.Name == "" {
		r.Name = filepath.Base(os.Args[0])
	}
	core.WarnStale(os.Stderr)
	core.SetSampling(r.SampleEvery, r.SampleEstimated)
	g := &Guard{opts: r, optErr: err}
	var heap *heapBaseline
	if r.Alloc {
		// Before the registry's baseline: the GC that makes the heap
		// profile current takes a while, and calls made meanwhile then
		// count in the window like the allocations made meanwhile.
		var aerr error
		if heap, aerr = startAllocMode(); aerr != nil {
			fmt.Fprintln(os.Stderr, aerr)
			g.opts.Alloc = false
			g.optErr = errors.Join(g.optErr, aerr)
		}
	}
	g.base = takeBaseline()
	g.base.alloc = heap
	g.started = time.Now()
	liveGuardStarted(g) // ?since=guard, the exporters' alloc window; HOTPATH_HTTP (live.go)
	return g
}

// Stop ends the report, writes it as the options say and returns any error
// met on the way. An error writing the report is also printed on standard
// error, so that "defer g.Stop()" does not lose it. Calling Stop again does
// nothing and returns the same error.
func (g *Guard) Stop() error {
	defer liveGuardStopped(g) // after the unlock below: handlers may wait for g.mu
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		return g.err
	}
	g.stopped = true
	elapsed := time.Since(g.started)
	rep, err := buildReport(g.opts, g.base, elapsed)
	if g.base.alloc != nil {
		stopAllocMode()
	}
	g.report = rep
	werr := g.write(g.report)
	if werr != nil {
		// Printed as option errors are: "defer g.Stop()" drops the
		// returned error, and a report that was not written must not pass
		// unnoticed.
		fmt.Fprintln(os.Stderr, werr)
	}
	g.err = errors.Join(g.optErr, err, werr)
	return g.err
}

// silent reports a guard that writes nothing: one in a build without
// -tags hotpath (nothing is measured, so its table would only say "no
// calls recorded") that was not told how or where to write, by Options or
// the environment.
func (g *Guard) silent() bool {
	return !Enabled && !g.opts.formatSet && g.opts.Output == "" && g.opts.Writer == nil
}

// Report returns the report made by Stop, or nil before Stop.
func (g *Guard) Report() *Report {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.report
}

// Snapshot returns what the guard has seen so far, without stopping it.
// After Stop it returns the report made by Stop. In allocation mode it
// runs a garbage collection to read current allocation numbers.
func (g *Guard) Snapshot() *Report {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		return g.report
	}
	rep, err := buildReport(g.opts, g.base, time.Since(g.started))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	return rep
}

func (g *Guard) write(r *Report) error {
	if g.opts.Format == FormatNone || g.silent() {
		return nil
	}
	if g.opts.Format == FormatPprof && g.opts.Output == "" {
		// A gzipped profile goes to a file, never to Writer (which is
		// often a terminal): Report().Write(w, FormatPprof) writes one
		// anywhere.
		g.opts.Output = DefaultPprofOutput
	}
	if g.opts.Output != "" {
		f, err := os.Create(g.opts.Output)
		if err != nil {
			return fmt.Errorf("hotpath: write report: %w", err)
		}
		err = r.Write(f, g.opts.Format)
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("hotpath: write report %s: %w", g.opts.Output, err)
		}
		return nil
	}
	w := g.opts.Writer
	if w == nil {
		w = os.Stdout
	}
	if err := r.Write(w, g.opts.Format); err != nil {
		return fmt.Errorf("hotpath: write report: %w", err)
	}
	return nil
}

// Write renders the report in the given format.
func (r *Report) Write(w io.Writer, format Format) error {
	switch format {
	case FormatTable, "":
		return r.writeTable(w)
	case FormatJSON:
		return r.writeJSON(w, false)
	case FormatJSONPretty:
		return r.writeJSON(w, true)
	case FormatPprof:
		return r.writePprof(w)
	case FormatNone:
		return nil
	}
	return fmt.Errorf("unknown format %q", format)
}

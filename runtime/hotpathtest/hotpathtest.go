// Package hotpathtest starts hotpath guards for tests, so that a package's
// tests report what its measured functions did. It is separate from the
// runtime so that the runtime does not import package testing.
//
// For a whole package:
//
//	func TestMain(m *testing.M) { os.Exit(hotpathtest.Main(m, hotpath.Options{})) }
//
// For one test, with the report available to assert on:
//
//	g := hotpathtest.Start(t, hotpath.Options{Percentiles: []float64{50, 90, 95, 99}})
//	... exercise the code ...
//	rep := hotpathtest.Stop(t, g)
//	if f := rep.Func("example.com/p.Decode"); f == nil || f.Calls != 10 { t.Errorf(...) }
package hotpathtest

import (
	"testing"

	hotpath "github.com/hotpath-go/hotpath/runtime"
)

// Main runs the tests of a package under one guard named after the test
// binary and returns the exit code for os.Exit. A failure to write the
// report fails the run.
func Main(m *testing.M, opts hotpath.Options) int {
	g := hotpath.Start(opts)
	code := m.Run()
	if err := g.Stop(); err != nil && code == 0 {
		return 1
	}
	return code
}

// Start starts a guard for one test, named after the test unless opts
// names it. The guard stops when the test ends, if Stop was not called;
// errors from writing the report fail the test.
func Start(tb testing.TB, opts hotpath.Options) *hotpath.Guard {
	tb.Helper()
	if opts.Name == "" {
		opts.Name = tb.Name()
	}
	g := hotpath.Start(opts)
	tb.Cleanup(func() {
		if err := g.Stop(); err != nil {
			tb.Errorf("hotpath: %v", err)
		}
	})
	return g
}

// Stop stops the guard, fails the test on an error, and returns the
// report to assert on.
func Stop(tb testing.TB, g *hotpath.Guard) *hotpath.Report {
	tb.Helper()
	if err := g.Stop(); err != nil {
		tb.Fatalf("hotpath: %v", err)
	}
	return g.Report()
}

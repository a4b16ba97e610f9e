// Package hotpath is the API that programs and tests use to profile with
// hotpathgen and read what it measured: guards, reports, snapshots, the live
// view and pprof profiles.
//
// Import it as
//
//	import hotpath "github.com/hotpath-go/hotpath/runtime"
//
// Generated twin files (x_hotpath.go, built with -tags hotpath) call the
// recording code through package hotpathimpl, which is for generated code
// only: one Func per measured function, a Span opened on entry.
//
// A program collects a report with a [Guard]:
//
//	g := hotpath.Start(hotpath.Options{Name: "main"})
//	defer g.Stop()
//
// Measuring never allocates, never blocks on other goroutines for long, and
// works with no guard alive: the numbers simply wait for one. Registration
// is lazy — a Func joins the registry on its first call — so package
// initialisation order does not matter.
package hotpath

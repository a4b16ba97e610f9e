// Package core is the profiler's recording core: the state that measured
// code writes and the hot path that writes it. Generated twins reach it
// through package hotpathimpl (type aliases and inlined wrappers); package
// hotpath reads it to build snapshots, reports, the live view and pprof
// profiles. Nothing here knows about guards, options or output formats.
//
// What lives where:
//
//	func.go             Func, Span (Begin/End/Close), per-P shards, a Func's snapshot
//	chan.go             ChanSite, Track and the counted channel operations
//	chan_sendto.go      Sender/SendTo, the send side that generated code uses
//	chan_registry.go    the weak index from a channel to its site (queue depths)
//	chan_snapshot.go    a site's numbers at one instant
//	histwindow.go       the duration histogram and durations/DurationSummary
//	clock*.go, .s       the monotonic and TSC clocks (HOTPATH_CLOCK)
//	procpin.go          procPin/procUnpin, linked from the Go runtime
//	shardstore_*.go     plain or atomic stores into a shard, by architecture
//	sampling.go         one call in N timed (Options.SampleEvery)
//	registry.go         every Func and ChanSite seen, in order
//	read.go             the exported readers package hotpath uses
//	testhooks.go        clock and recording hooks for package hotpath's tests
//
// A new kind of measurement adds its recording file(s) here (state, the
// operations generated code calls, a snapshot and its readers) and its
// wrappers to hotpathimpl; the report section lives in package hotpath.
package core

package core

import _ "unsafe" // for go:linkname

// procPin pins the calling goroutine to its P and returns the P's id;
// procUnpin releases it. sync.Pool uses the same pair to find its per-P
// shard. The runtime keeps both symbols reachable for packages outside the
// standard library (see the "hall of shame" note on procPin in
// runtime/proc.go), so this pull linkname is supported.
//
// The profiler uses the id only to pick a shard, and unpins at once: a
// shard is protected by its own lock, so a goroutine that migrates between
// the two calls costs a little contention, never a wrong count. Callers
// write the pair out, id := procPin(); procUnpin(): a helper making both
// calls would be too large to inline, and the hot path would pay for a
// third call.
//
//go:linkname procPin runtime.procPin
func procPin() int

//go:linkname procUnpin runtime.procUnpin
func procUnpin()

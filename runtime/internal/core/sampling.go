package core

import "sync/atomic"

// sampleEvery is read on every measured call; 0 and 1 both mean "time all".
// It has a cache line of its own, so that no variable written often by the
// program shares the line and slows every measured call.
var sampleEvery struct {
	_ [64]byte
	atomic.Int64
	_ [56]byte
}

// SetSampleEvery makes one call in n timed (n < 1 means every call), for
// every Func; a guard sets it when it starts.
func SetSampleEvery(n int) { sampleEvery.Store(int64(max(n, 1))) }

// SampleEvery returns the sampling in force: one call in SampleEvery() is
// timed.
func SampleEvery() int { return max(int(sampleEvery.Load()), 1) }

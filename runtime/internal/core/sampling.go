package core

import (
	"math"
	"sync/atomic"
	_ "unsafe" // for go:linkname
)

// sampling is read on every measured call. It has a cache line of its own,
// so that no variable written often by the program shares the line and
// slows every measured call.
//
// every is the sampling in force: 0 and 1 both mean "time all". est is
// every when the sampling is estimated (SetSampling), 0 when it is exact.
var sampling struct {
	_     [64]byte
	every atomic.Int64
	est   atomic.Uint32
	_     [52]byte
}

// SetSampleEvery makes one call in n timed (n < 1 means every call), for
// every Func, counting every call exactly; a guard sets it when it starts.
func SetSampleEvery(n int) { SetSampling(n, false) }

// SetSampling makes one call in n timed (n < 1 means every call), for
// every Func. With estimated false every call is counted exactly, which
// costs an untimed call a pin of its P. With estimated true the untimed
// calls are not counted at all: each call is timed with probability 1/n,
// drawn from the runtime's per-thread generator, and a timed call counts
// as n calls, an unbiased estimate of the count.
func SetSampling(n int, estimated bool) {
	n = max(n, 1)
	sampling.every.Store(int64(n))
	if estimated && n > 1 {
		sampling.est.Store(uint32(min(n, math.MaxUint32)))
	} else {
		sampling.est.Store(0)
	}
}

// SampleEvery returns the sampling in force: one call in SampleEvery() is
// timed.
func SampleEvery() int {
	if n := sampling.est.Load(); n > 1 {
		return int(n)
	}
	return max(int(sampling.every.Load()), 1)
}

// SampleEstimated reports whether the call counts are estimated: sampling
// is on and was set with SetSampling(n, true).
func SampleEstimated() bool { return sampling.est.Load() > 1 }

// cheaprandn returns a pseudo-random number in [0, n) from the running
// thread's generator: no lock, no shared state. The runtime keeps the
// symbol reachable for packages outside the standard library (the "hall
// of shame" note on cheaprandn in runtime/rand.go, go.dev/issue/67401), so
// this pull linkname is supported.
//
//go:linkname cheaprandn runtime.cheaprandn
func cheaprandn(n uint32) uint32

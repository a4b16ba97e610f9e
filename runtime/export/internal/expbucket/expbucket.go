// Package expbucket is the bucket arithmetic of exponential histograms,
// shared by the Prometheus (native histograms) and OpenTelemetry
// (exponential histograms) exporters.
//
// At scale s, bucket k holds the values v with
//
//	2^((k-1)/2^s) < v <= 2^(k/2^s)
//
// (Prometheus numbers buckets this way; an OpenTelemetry index is k-1).
// Upper returns the bound exactly as Key compares with it, so that every
// value lands in the bucket whose bounds hold it, whatever the rounding of
// the logarithm.
package expbucket

import (
	"math"
	"sort"
	"sync"
)

// maxTableScale is the finest scale with a table of bounds (2^8 entries);
// finer scales compute with logarithms.
const maxTableScale = 8

// tables[s] holds 2^(r/2^s) for r in 0..2^s, for s in 1..maxTableScale.
var tables [maxTableScale + 1]struct {
	once sync.Once
	t    []float64
}

func table(s int32) []float64 {
	tb := &tables[s]
	tb.once.Do(func() {
		n := 1 << s
		tb.t = make([]float64, n+1)
		for r := range n {
			tb.t[r] = math.Exp2(float64(r) / float64(n))
		}
		tb.t[n] = 2
	})
	return tb.t
}

// Key returns the bucket that holds v > 0 at the scale.
func Key(v float64, scale int32) int {
	switch {
	case scale > maxTableScale:
		k := int(math.Ceil(math.Log2(v) * math.Ldexp(1, int(scale))))
		for Upper(k, scale) < v {
			k++
		}
		for Upper(k-1, scale) >= v {
			k--
		}
		return k
	case scale > 0:
		frac, exp := math.Frexp(v) // v = frac * 2^exp, frac in [0.5, 1)
		t := table(scale)
		r := sort.SearchFloat64s(t, 2*frac) // smallest r with t[r] >= 2*frac
		return (exp-1)<<scale + r
	default:
		frac, exp := math.Frexp(v)
		k := exp // scale 0: v in (2^(k-1), 2^k]
		if frac == 0.5 {
			k--
		}
		shift := -scale
		return (k + 1<<shift - 1) >> shift // ceiling of k / 2^shift
	}
}

// Upper returns the upper bound of bucket k at the scale.
func Upper(k int, scale int32) float64 {
	switch {
	case scale > maxTableScale:
		return math.Exp2(float64(k) / math.Ldexp(1, int(scale)))
	case scale > 0:
		n := 1 << scale
		q, r := k>>scale, k&(n-1) // floor division
		return math.Ldexp(table(scale)[r], q)
	default:
		return math.Ldexp(1, k<<(-scale))
	}
}

// FloorNS returns the largest n with float64(n)/1e9 <= bound (seconds), so
// that a duration of n nanoseconds can be compared with bound as an
// integer, exactly as its value in seconds compares. It returns -1 for a
// bound below 0 and math.MaxInt64 for one beyond.
func FloorNS(bound float64) int64 {
	switch {
	case bound < 0:
		return -1
	case bound >= float64(math.MaxInt64)/1e9:
		return math.MaxInt64
	}
	n := int64(bound * 1e9)
	for float64(n+1)/1e9 <= bound {
		n++
	}
	for n >= 0 && float64(n)/1e9 > bound {
		n--
	}
	return n
}

package otel

import "testing"

// FuzzExpIndex checks that every duration in the runtime's range lands in
// the exponential bucket whose bounds hold it, at every scale.
func FuzzExpIndex(f *testing.F) {
	for _, s := range []int64{1, 2, 1000, 999_936, 1 << 40, 3_600_000_000_000} {
		f.Add(s, int8(20))
		f.Add(s, int8(-10))
	}
	f.Fuzz(func(t *testing.T, ns int64, scale int8) {
		if ns < 1 || ns > 3_600_000_000_000 {
			return
		}
		s := min(max(int32(scale), -10), 20)
		v := float64(ns) / 1e9
		i := expIndex(v, s)
		if !(lower(i, s) < v && v <= lower(i+1, s)) {
			t.Fatalf("scale %d: %g in bucket %d = (%g, %g]", s, v, i, lower(i, s), lower(i+1, s))
		}
		// One scale down the bucket is i>>1, as the producer merges them.
		if s > -10 {
			if j := expIndex(v, s-1); j != i>>1 {
				t.Fatalf("scale %d: %g in bucket %d, at %d in %d, not %d", s, v, i, s-1, j, i>>1)
			}
		}
	})
}

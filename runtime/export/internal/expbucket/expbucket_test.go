package expbucket

import (
	"math"
	"testing"
)

func check(t *testing.T, v float64, scale int32) {
	t.Helper()
	k := Key(v, scale)
	if !(Upper(k-1, scale) < v && v <= Upper(k, scale)) {
		t.Fatalf("scale %d: %g in bucket %d = (%g, %g]", scale, v, k, Upper(k-1, scale), Upper(k, scale))
	}
	// The bounds are 2^(k/2^s) to within rounding.
	if want := math.Exp2(float64(k) / math.Ldexp(1, int(scale))); math.Abs(Upper(k, scale)-want) > want*1e-15 {
		t.Fatalf("scale %d: Upper(%d) = %g, want %g", scale, k, Upper(k, scale), want)
	}
	// One scale down, bucket k becomes ceil(k/2) = (k+1)>>1.
	if scale > -10 {
		if got := Key(v, scale-1); got != (k+1)>>1 {
			t.Fatalf("scale %d: %g in %d, at scale %d in %d, want %d", scale, v, k, scale-1, got, (k+1)>>1)
		}
	}
}

func TestKey(t *testing.T) {
	for scale := int32(-10); scale <= 20; scale++ {
		for _, v := range []float64{1e-9, 1.5e-9, 1e-6, 0.001, 0.25, 0.5, 1, 2, 3, 1024, 3600, math.Sqrt2, 1.0001e-7} {
			check(t, v, scale)
		}
	}
	for _, c := range []struct {
		v     float64
		scale int32
		k     int
	}{{1, 3, 0}, {2, 0, 1}, {2.0000001, 0, 2}, {4, -1, 1}, {4.5, -1, 2}, {1, -4, 0}, {0.5, 1, -2}, {1.4, 1, 1}, {1.5, 1, 2}} {
		if k := Key(c.v, c.scale); k != c.k {
			t.Errorf("Key(%g, %d) = %d, want %d", c.v, c.scale, k, c.k)
		}
	}
}

func FuzzKey(f *testing.F) {
	for _, ns := range []int64{1, 2, 1000, 999_936, 1 << 40, 3_600_000_000_000} {
		f.Add(ns, int8(3))
		f.Add(ns, int8(20))
		f.Add(ns, int8(-4))
	}
	f.Fuzz(func(t *testing.T, ns int64, scale int8) {
		if ns < 1 || ns > 3_600_000_000_000 {
			return
		}
		check(t, float64(ns)/1e9, min(max(int32(scale), -10), 20))
	})
}

func BenchmarkKey(b *testing.B) {
	for _, scale := range []int32{3, 8, 12} {
		b.Run("scale"+string(rune('0'+scale%10)), func(b *testing.B) {
			v := 1e-6
			for b.Loop() {
				_ = Key(v, scale)
				v *= 1.001
				if v > 3600 {
					v = 1e-6
				}
			}
		})
	}
}

func TestFloorNS(t *testing.T) {
	for _, b := range []float64{0, 1e-9, 1e-6, 2.5e-4, 0.001, 1, 10, 3600, Upper(-3401, 8), Upper(17, 3), 0.1 + 0.2} {
		n := FloorNS(b)
		if !(float64(n)/1e9 <= b && float64(n+1)/1e9 > b) {
			t.Errorf("FloorNS(%g) = %d", b, n)
		}
	}
	if FloorNS(-1) != -1 || FloorNS(math.Inf(1)) != math.MaxInt64 {
		t.Error("FloorNS out of range")
	}
}

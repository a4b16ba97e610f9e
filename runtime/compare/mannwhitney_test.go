package compare

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"testing"
)

func TestMannWhitneyKnownValues(t *testing.T) {
	// May and August ozone of R's airquality data set, NAs dropped.
	may := []float64{41, 36, 12, 18, 28, 23, 19, 8, 7, 16, 11, 14, 18, 14, 34, 6, 30, 11, 1, 11, 4, 32, 23, 45, 115, 37}
	aug := []float64{39, 9, 16, 78, 35, 66, 122, 89, 110, 44, 28, 65, 22, 59, 23, 31, 44, 21, 9, 45, 168, 73, 76, 118, 84, 85}
	tests := []struct {
		name  string
		x, y  []float64
		u, p  float64
		exact bool
	}{
		{
			// ?wilcox.test, Hollander & Wolfe (1973) p. 69: R prints
			// W = 35, p-value = 0.1272 for alternative = "greater"; the
			// two-sided p-value is twice that.
			name:  "hollander-wolfe",
			x:     []float64{0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46},
			y:     []float64{1.15, 0.88, 0.90, 0.74, 1.21},
			u:     35,
			p:     2 * 382.0 / 3003,
			exact: true,
		},
		{
			// wilcox.test(Ozone ~ Month, data = airquality, subset = Month
			// %in% c(5, 8)): W = 127.5, p-value = 0.0001208.
			name: "airquality",
			x:    may,
			y:    aug,
			u:    127.5,
			p:    0.00012080783076877465,
		},
		{
			// Completely separated samples: only 2 of the C(10, 5) = 252
			// splits are this extreme.
			name:  "separated 5v5",
			x:     []float64{1, 2, 3, 4, 5},
			y:     []float64{6, 7, 8, 9, 10},
			u:     0,
			p:     2.0 / 252,
			exact: true,
		},
		{
			name:  "separated 4v4 reversed",
			x:     []float64{18, 17, 16, 15},
			y:     []float64{4, 3, 2, 1},
			u:     16,
			p:     2.0 / 70,
			exact: true,
		},
		{
			// The smallest p-value 3 runs a side can give: never below 0.05.
			name:  "separated 3v3",
			x:     []float64{1, 2, 3},
			y:     []float64{4, 5, 6},
			u:     0,
			p:     0.1,
			exact: true,
		},
		{
			// Ties, counted by enumerating all 462 splits: 49 have a rank
			// sum at most the observed one.
			name:  "ties",
			x:     []float64{1, 2, 2, 3, 5},
			y:     []float64{2, 3, 3, 4, 4, 6},
			u:     8,
			p:     2 * 49.0 / 462,
			exact: true,
		},
		{
			name:  "all equal",
			x:     []float64{7, 7, 7},
			y:     []float64{7, 7},
			u:     3,
			p:     1,
			exact: true,
		},
		{
			name:  "empty",
			x:     nil,
			y:     []float64{1, 2},
			u:     0,
			p:     1,
			exact: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MannWhitney(tt.x, tt.y)
			if got.U != tt.u || got.Exact != tt.exact || math.Abs(got.P-tt.p) > 1e-12 {
				t.Errorf("MannWhitney = %+v, want U %v, P %.12g, Exact %v", got, tt.u, tt.p, tt.exact)
			}
		})
	}
}

func TestMannWhitneyLargeWithoutTies(t *testing.T) {
	// 30 against 30 distinct values, shifted by 10: the normal
	// approximation; the statistic counts pairs x > y exactly.
	var x, y []float64
	for i := range 30 {
		x = append(x, float64(i))
		y = append(y, float64(i)+10.5)
	}
	got := MannWhitney(x, y)
	// Pairs with x > y: for x = i, the y below are i-10.5 > ... so
	// j < i-10, that is max(0, i-10) of them.
	want := 0.0
	for i := range 30 {
		want += float64(max(0, i-10))
	}
	if got.U != want || got.Exact {
		t.Fatalf("MannWhitney = %+v, want U %v by the normal approximation", got, want)
	}
	// z = (190 - 450 + 0.5) / sqrt(900*61/12)
	z := (want - 450 + 0.5) / math.Sqrt(900.0*61/12)
	if p := math.Erfc(-z / math.Sqrt2); math.Abs(got.P-p) > 1e-15 {
		t.Errorf("P = %v, want %v", got.P, p)
	}
}

// TestMannWhitneyExactMatchesEnumeration checks the exact distribution,
// ties and all, against the definition: every split of the pooled values.
func TestMannWhitneyExactMatchesEnumeration(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		n1, n2 := 1+rng.IntN(6), 1+rng.IntN(6)
		levels := 1 + rng.IntN(5) // few levels: many ties
		x := make([]float64, n1)
		y := make([]float64, n2)
		for i := range x {
			x[i] = float64(rng.IntN(levels))
		}
		for i := range y {
			y[i] = float64(rng.IntN(levels))
		}
		got := MannWhitney(x, y)
		want := enumerateP(x, y)
		if math.Abs(got.P-want) > 1e-12 {
			t.Fatalf("trial %d: MannWhitney(%v, %v).P = %v, enumeration gives %v", trial, x, y, got.P, want)
		}
	}
}

func enumerateP(x, y []float64) float64 {
	pool := append(append([]float64(nil), x...), y...)
	rank := func(v float64) float64 {
		less, equal := 0, 0
		for _, w := range pool {
			if w < v {
				less++
			} else if w == v {
				equal++
			}
		}
		return float64(less) + float64(equal+1)/2
	}
	obs := 0.0
	for _, v := range x {
		obs += rank(v)
	}
	var lower, upper, total float64
	n := len(pool)
	for mask := range 1 << n {
		if bits.OnesCount(uint(mask)) != len(x) {
			continue
		}
		s := 0.0
		for i := range n {
			if mask&(1<<i) != 0 {
				s += rank(pool[i])
			}
		}
		total++
		if s <= obs+1e-9 {
			lower++
		}
		if s >= obs-1e-9 {
			upper++
		}
	}
	return min(1, 2*min(lower, upper)/total)
}

// BenchmarkMannWhitney covers the exact path at the usual CI size (5 runs
// a side) and at its limit (25 a side), and the normal approximation.
func BenchmarkMannWhitney(b *testing.B) {
	for _, n := range []int{5, 25, 100} {
		rng := rand.New(rand.NewPCG(3, 4))
		x, y := make([]float64, n), make([]float64, n)
		for i := range n {
			x[i], y[i] = rng.Float64(), rng.Float64()+0.1
		}
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				MannWhitney(x, y)
			}
		})
	}
}

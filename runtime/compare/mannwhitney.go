package compare

import (
	"math"
	"slices"
)

// exactLimit is the largest total sample size for which MannWhitney
// computes the exact distribution of U. Up to it every count in the
// distribution is an integer below C(50, 25) ≈ 1.3e14, which float64 holds
// exactly; beyond it the normal approximation is already good.
const exactLimit = 50

// UTest is the outcome of a two-sided Mann–Whitney U test.
type UTest struct {
	// U is the statistic of the first sample: the number of pairs (x, y)
	// with x > y, ties counting one half. R's wilcox.test calls it W.
	U float64 `json:"u"`
	// P is the two-sided p-value: the probability, were both samples drawn
	// from one distribution, of a U at least this far from n1·n2/2.
	P float64 `json:"p"`
	// Exact is true when P comes from the exact permutation distribution,
	// false when from the normal approximation.
	Exact bool `json:"exact"`
}

// MannWhitney tests whether x and y come from the same distribution
// against the alternative that one tends to be larger than the other.
//
// Small samples (n1+n2 <= 50) get the exact p-value, ties included: the
// distribution of the rank sum over every way of choosing which n1 of the
// pooled, mid-ranked values belong to x. Larger samples use the normal
// approximation with the tie and continuity corrections, as R's
// wilcox.test(x, y, correct = TRUE) does. With no ties, both agree with R.
// An empty sample, or all values equal, gives P = 1.
func MannWhitney(x, y []float64) UTest {
	n1, n2 := len(x), len(y)
	if n1 == 0 || n2 == 0 {
		return UTest{P: 1, Exact: true}
	}
	groups, r1x2 := rankGroups(x, y)
	u := float64(r1x2)/2 - float64(n1*(n1+1))/2
	if n1+n2 <= exactLimit {
		return UTest{U: u, P: exactP(groups, n1, r1x2), Exact: true}
	}
	return UTest{U: u, P: normalP(groups, n1, n2, u)}
}

// tieGroup is a run of equal values in the pooled sample.
type tieGroup struct {
	size int
	// rank2 is twice the group's mid-rank, an integer even when the
	// mid-rank is a half.
	rank2 int
}

// rankGroups pools x and y, ranks them with mid-ranks for ties, and
// returns the tie groups in order and twice the rank sum of x.
func rankGroups(x, y []float64) ([]tieGroup, int) {
	type obs struct {
		v     float64
		fromX bool
	}
	pool := make([]obs, 0, len(x)+len(y))
	for _, v := range x {
		pool = append(pool, obs{v, true})
	}
	for _, v := range y {
		pool = append(pool, obs{v, false})
	}
	slices.SortFunc(pool, func(a, b obs) int {
		switch {
		case a.v < b.v:
			return -1
		case a.v > b.v:
			return 1
		}
		return 0
	})
	var groups []tieGroup
	r1x2 := 0
	for i := 0; i < len(pool); {
		j := i
		inX := 0
		for j < len(pool) && pool[j].v == pool[i].v {
			if pool[j].fromX {
				inX++
			}
			j++
		}
		// Ranks i+1 .. j; their mean doubled is i+1+j.
		g := tieGroup{size: j - i, rank2: i + 1 + j}
		groups = append(groups, g)
		r1x2 += inX * g.rank2
		i = j
	}
	return groups, r1x2
}

// exactP is the two-sided p-value of the observed doubled rank sum obs of
// the first sample, from the distribution of that sum over all
// C(N, n1) equally likely assignments of the pooled values.
func exactP(groups []tieGroup, n1, obs int) float64 {
	n := 0
	maxSum := 0
	for _, g := range groups {
		n += g.size
		maxSum += g.size * g.rank2
	}
	// ways[k][s]: assignments of k values to x, from the groups seen so
	// far, whose doubled rank sum is s.
	ways := make([][]float64, n1+1)
	for k := range ways {
		ways[k] = make([]float64, maxSum+1)
	}
	ways[0][0] = 1
	seen, reach := 0, 0
	for _, g := range groups {
		// Walk k downwards so that each group is used once, as in a 0/1
		// knapsack; c values of this group go to x in C(size, c) ways.
		for k := min(n1, seen+g.size); k >= 1; k-- {
			for c := 1; c <= min(g.size, k); c++ {
				mult := binomial(g.size, c)
				add := c * g.rank2
				from, to := ways[k-c], ways[k]
				for s := add; s <= reach+add; s++ {
					if from[s-add] != 0 {
						to[s] += from[s-add] * mult
					}
				}
			}
		}
		seen += g.size
		reach += g.size * g.rank2
	}
	var lower, upper, total float64
	for s, w := range ways[n1] {
		total += w
		if s <= obs {
			lower += w
		}
		if s >= obs {
			upper += w
		}
	}
	return min(1, 2*min(lower, upper)/total)
}

// normalP is the two-sided p-value of U under the normal approximation
// with the tie correction of the variance and a continuity correction.
func normalP(groups []tieGroup, n1, n2 int, u float64) float64 {
	n := float64(n1 + n2)
	ties := 0.0
	for _, g := range groups {
		t := float64(g.size)
		ties += t*t*t - t
	}
	sigma := math.Sqrt(float64(n1*n2) / 12 * ((n + 1) - ties/(n*(n-1))))
	if sigma == 0 {
		return 1
	}
	// U moves in steps of one half, so the continuity correction never
	// flips the sign of a non-zero z.
	z := u - float64(n1*n2)/2
	switch {
	case z > 0:
		z -= 0.5
	case z < 0:
		z += 0.5
	}
	return math.Erfc(math.Abs(z/sigma) / math.Sqrt2)
}

// binomial is C(n, k) as a float64; exact for the sizes exactP meets.
func binomial(n, k int) float64 {
	k = min(k, n-k)
	r := 1.0
	for i := 1; i <= k; i++ {
		r = r * float64(n-k+i) / float64(i)
	}
	return math.Round(r)
}

package gen

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLineMatch(t *testing.T) {
	src := strings.Split("package p\n\nfunc f() {\n\tx := 1\n\t_ = x\n}\n", "\n")
	out := strings.Split("// Code generated\n\npackage p\n\nfunc f() {\n\tdefer g()\n\tx  :=  1\n\t_ = y\n}\n\nvar z = 1\n", "\n")
	got := lineMatch(src, out, func(l string) bool { return strings.Contains(l, "defer g()") || strings.Contains(l, "var z") })
	want := []int{0, 0, 1, 2, 3, 0, 4, 5, 6, 0, 0, 7}
	// "_ = y" replaced "_ = x" in place; the trailing empty strings pair up.
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lineMatch (-want +got):\n%s", diff)
	}
}

// TestLCSPairsRandom checks the Myers implementation against the quadratic
// dynamic-programming LCS length on random inputs.
func TestLCSPairsRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for iter := 0; iter < 500; iter++ {
		a := randomLines(rng, rng.Intn(30))
		b := randomLines(rng, rng.Intn(30))
		pairs := lcsPairs(a, b)
		pi, pj := -1, -1
		for _, p := range pairs {
			if p[0] <= pi || p[1] <= pj || a[p[0]] != b[p[1]] {
				t.Fatalf("bad pair %v in %v for %q / %q", p, pairs, a, b)
			}
			pi, pj = p[0], p[1]
		}
		if got, want := len(pairs), lcsLen(a, b); got != want {
			t.Fatalf("LCS length %d, want %d for %q / %q", got, want, a, b)
		}
	}
}

func randomLines(rng *rand.Rand, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = string(rune('a' + rng.Intn(4)))
	}
	return out
}

func lcsLen(a, b []string) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

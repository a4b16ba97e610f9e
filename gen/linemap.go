package gen

import (
	"go/scanner"
	"go/token"
	"strings"
)

// lineMatch maps lines of an instrumented file back to the source they came
// from. The rewrite only inserts statements and declarations and edits a few
// lines in place; everything else prints as it was. So the lines in common
// (compared without white space, which gofmt may realign) are found with a
// longest-common-subsequence diff, and the lines of a changed stretch are
// paired in order with the source lines they replaced. A stretch that grew
// (a one-line function that now holds a deferred call, say) maps its extra
// lines to the last source line of the stretch, except lines that written
// reports were generated.
//
// It returns, for every line of out, the 1-based source line it shows, or 0
// for a line the generator wrote.
func lineMatch(src, out []string, written func(string) bool) []int {
	a := make([]string, len(src))
	for i, l := range src {
		a[i] = squash(l)
	}
	b := make([]string, len(out))
	for i, l := range out {
		b[i] = squash(l)
	}
	pairs := lcsPairs(a, b)
	m := make([]int, len(out))
	prevA, prevB := 0, 0
	fill := func(endA, endB int) {
		i := prevA
		for j := prevB; j < endB; j++ {
			switch {
			case written != nil && written(out[j]):
			case i < endA:
				m[j] = i + 1
				i++
			case endA > prevA:
				m[j] = endA // the last source line of the stretch
			}
		}
	}
	for _, p := range pairs {
		fill(p[0], p[1])
		m[p[1]] = p[0] + 1
		prevA, prevB = p[0]+1, p[1]+1
	}
	fill(len(a), len(b))
	return m
}

// squash drops white space, so lines that differ only in alignment match.
func squash(s string) string {
	if !strings.ContainsAny(s, " \t\r") {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r != ' ' && r != '\t' && r != '\r' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// lcsPairs returns the index pairs (i, j) of a longest common subsequence of
// a and b, in order, by Myers' O((N+M)D) algorithm: fast when the two differ
// in few lines, which is the case here.
func lcsPairs(a, b []string) [][2]int {
	// Trim the common prefix and suffix: most of the file.
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var pairs [][2]int
	for i := 0; i < pre; i++ {
		pairs = append(pairs, [2]int{i, i})
	}
	mid := myers(a[pre:len(a)-suf], b[pre:len(b)-suf])
	for _, p := range mid {
		pairs = append(pairs, [2]int{p[0] + pre, p[1] + pre})
	}
	for k := suf; k > 0; k-- {
		pairs = append(pairs, [2]int{len(a) - k, len(b) - k})
	}
	return pairs
}

func myers(a, b []string) [][2]int {
	n, m := len(a), len(b)
	if n == 0 || m == 0 {
		return nil
	}
	maxD := n + m
	off := maxD
	v := make([]int, 2*maxD+2)
	// trace[d] is the frontier before round d, kept only over the
	// diagonals round d reads (-d-1 .. d+1), so memory is O(D²), not O(N·D).
	var trace [][]int
	for d := 0; d <= maxD; d++ {
		lo, hi := max(off-d-1, 0), min(off+d+2, len(v))
		trace = append(trace, append([]int(nil), v[lo:hi]...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[off+k] = x
			if x >= n && y >= m {
				return backtrack(trace, a, b, off, d)
			}
		}
	}
	return nil
}

// backtrack walks the saved frontiers back from the end and collects the
// diagonal moves, which are the matched pairs.
func backtrack(trace [][]int, a, b []string, off, d int) [][2]int {
	var rev [][2]int
	x, y := len(a), len(b)
	for ; d > 0; d-- {
		lo := max(off-d-1, 0)
		at := func(k int) int { return trace[d][off+k-lo] }
		k := x - y
		var prevK int
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := at(prevK)
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			x, y = x-1, y-1
			rev = append(rev, [2]int{x, y})
		}
		x, y = prevX, prevY
	}
	for x > 0 && y > 0 {
		x, y = x-1, y-1
		rev = append(rev, [2]int{x, y})
	}
	out := make([][2]int, len(rev))
	for i := range rev {
		out[i] = rev[len(rev)-1-i]
	}
	return out
}

// multiLineTokens marks the lines (0-based) that continue a raw string or a
// block comment begun on an earlier line: a //line directive cannot go
// before them.
func multiLineTokens(text []byte) map[int]bool {
	inside := map[int]bool{}
	fset := token.NewFileSet()
	file := fset.AddFile("", -1, len(text))
	var s scanner.Scanner
	s.Init(file, text, func(token.Position, string) {}, scanner.ScanComments)
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if (tok == token.STRING || tok == token.COMMENT) && strings.Contains(lit, "\n") {
			first := file.Line(pos)
			last := first + strings.Count(lit, "\n")
			for l := first + 1; l <= last; l++ {
				inside[l-1] = true
			}
		}
	}
	return inside
}

package gen

import (
	"bytes"
	"go/ast"
	"go/build/constraint"
	"go/token"
	"strings"
)

// The source side of a twin carries "!hotpath" in its build constraint.
// hotpathgen adds it in one of four exact forms and removes exactly what it
// added, so clean leaves the file byte-identical to what it was:
//
//	no constraint:        a first line "//go:build !hotpath" and a blank line
//	//go:build EXPR:      "//go:build EXPR && !hotpath", with EXPR in
//	                      parentheses when it holds "||"
//	//go:build EXPR and   the same, and a line "// +build !hotpath" after the
//	// +build lines:      last +build line, so that the two stay in agreement
//	                      (go vet checks that they do)
//	// +build lines only: before the first of them, "//go:build !hotpath &&
//	                      EXPR", EXPR built from the +build lines as
//	                      go/build/constraint reads them, and "// +build
//	                      !hotpath"
const (
	notTagSuffix  = " && !" + buildTag
	onlyNotTag    = "//go:build !" + buildTag
	notTagPrefix  = onlyNotTag + " && "
	plusBuildNote = "// +build !" + buildTag
)

var bom = []byte("\ufeff")

// headerConstraint is the //go:build line of a file, if any, and its
// legacy "+build" lines.
type headerConstraint struct {
	start, end int    // byte range of the line, without its line ending
	text       string // the line
	plusBuild  bool   // the file has // +build lines of its user
	// line is the line of the //go:build line, or else of the first
	// // +build line: where errors about the constraint point.
	line int
	// plusStart is where the first +build line of the user starts, plusEnd
	// where the last one ends (without its line ending); plusExpr is their
	// expression, "" when they do not parse.
	plusStart, plusEnd int
	plusExpr           string
	plusErr            error
	// noteStart and noteEnd delimit the "// +build !hotpath" line that
	// hotpathgen added (line ending included), when there is one.
	noteStart, noteEnd int
	note               bool
}

// findConstraint locates the //go:build line in the header of a file (the
// comments before the package clause).
func findConstraint(src []byte, f *ast.File, fset *token.FileSet) headerConstraint {
	var h headerConstraint
	tf := fset.File(f.Pos())
	var plus constraint.Expr
	for _, g := range f.Comments {
		if g.Pos() >= f.Package {
			break
		}
		for _, c := range g.List {
			switch {
			case constraint.IsGoBuild(c.Text):
				if h.text == "" {
					h.start = tf.Offset(c.Pos())
					h.end = tf.Offset(c.End())
					h.text = string(src[h.start:h.end])
					h.text = strings.TrimRight(h.text, "\r")
					h.end = h.start + len(h.text)
					h.line = tf.PositionFor(c.Pos(), false).Line
				}
			case constraint.IsPlusBuild(c.Text):
				start, end := tf.Offset(c.Pos()), tf.Offset(c.End())
				text := strings.TrimRight(string(src[start:end]), "\r")
				if text == plusBuildNote && !h.note {
					h.note = true
					h.noteStart, h.noteEnd = start, lineEnd(src, start+len(text))
					continue
				}
				if !h.plusBuild && h.text == "" {
					h.line = tf.PositionFor(c.Pos(), false).Line
				}
				if !h.plusBuild {
					h.plusStart = start
				}
				h.plusBuild = true
				h.plusEnd = start + len(text)
				x, err := constraint.Parse(text)
				if err != nil {
					h.plusErr = err
					continue
				}
				if plus == nil {
					plus = x
				} else {
					plus = &constraint.AndExpr{X: plus, Y: x}
				}
			}
		}
	}
	if plus != nil && h.plusErr == nil {
		h.plusExpr = plus.String()
	}
	return h
}

// lineEnd returns the offset after the line ending at i, if there is one.
func lineEnd(src []byte, i int) int {
	if i < len(src) && src[i] == '\r' {
		i++
	}
	if i < len(src) && src[i] == '\n' {
		i++
	}
	return i
}

// userExpr returns the user's own constraint expression: the file's
// //go:build expression without what hotpathgen added, or the expression
// of its // +build lines when it has no //go:build line. "" means none.
func (h headerConstraint) userExpr() string {
	if h.text == "" {
		return h.plusExpr
	}
	if h.text == onlyNotTag {
		return ""
	}
	expr := strings.TrimSpace(strings.TrimPrefix(h.text, "//go:build"))
	e, ok := strings.CutSuffix(expr, notTagSuffix)
	if !ok && h.note {
		e, ok = strings.CutPrefix(h.text, notTagPrefix)
	}
	if ok {
		expr = e
		if strings.Contains(expr, "||") && wrapped(expr) {
			expr = expr[1 : len(expr)-1]
		}
	}
	return expr
}

// added reports whether the constraint already carries hotpathgen's "!hotpath".
func (h headerConstraint) added() bool {
	return h.text == onlyNotTag || strings.HasSuffix(h.text, notTagSuffix) || h.fromPlusBuild()
}

// fromPlusBuild reports the form hotpathgen writes in a file that had only
// // +build lines: the //go:build line is its own.
func (h headerConstraint) fromPlusBuild() bool {
	return h.note && strings.HasPrefix(h.text, notTagPrefix)
}

// checkConstraint rejects constraints hotpathgen cannot combine with its
// own. Errors point at the constraint, else at line (the package clause).
func checkConstraint(h headerConstraint, path string, line int) error {
	if h.line > 0 {
		line = h.line
	}
	if h.plusErr != nil {
		return errorAt(token.Position{Filename: path, Line: line, Column: 1}, "bad // +build line: %v", h.plusErr)
	}
	expr := h.userExpr()
	if expr == "" {
		return nil
	}
	x, err := constraint.Parse("//go:build " + expr)
	if err != nil {
		return errorAt(token.Position{Filename: path, Line: line, Column: 1}, "bad //go:build line: %v", err)
	}
	mentions := false
	x.Eval(func(tag string) bool {
		if tag == buildTag {
			mentions = true
		}
		return false
	})
	if mentions {
		what := "the //go:build line already mentions"
		if h.text == "" {
			what = "the // +build lines already mention"
		}
		return errorAt(token.Position{Filename: path, Line: line, Column: 1},
			"%s the %q tag, which hotpathgen manages; remove it from the file", what, buildTag)
	}
	return nil
}

func combine(expr, tag string) string {
	if expr == "" {
		return "//go:build " + tag
	}
	// gofmt writes a //go:build line as go/build/constraint prints it: when
	// the user's line is in that form, so is the combined one.
	if x, err := constraint.Parse("//go:build " + expr); err == nil && x.String() == expr {
		if y, err := constraint.Parse("//go:build " + tag); err == nil {
			return "//go:build " + (&constraint.AndExpr{X: x, Y: y}).String()
		}
	}
	if strings.Contains(expr, "||") {
		expr = "(" + expr + ")"
	}
	return "//go:build " + expr + " && " + tag
}

// wrapped reports whether s is one parenthesized expression: "(a || b)",
// not "(a || b) && (c || d)".
func wrapped(s string) bool {
	if !strings.HasPrefix(s, "(") || !strings.HasSuffix(s, ")") {
		return false
	}
	depth := 0
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 && i != len(s)-1 {
				return false
			}
		}
	}
	return true
}

// plusBuildLines returns the +build lines gofmt writes for a //go:build
// line, or nil.
func plusBuildLines(goBuild string) []string {
	x, err := constraint.Parse(goBuild)
	if err != nil {
		return nil
	}
	lines, err := constraint.PlusBuildLines(x)
	if err != nil {
		return nil
	}
	return lines
}

// plusBuildBlock returns the user's +build lines as they are written, or
// nil when they are not one run of lines.
func plusBuildBlock(src []byte, h headerConstraint) []string {
	if !h.plusBuild {
		return nil
	}
	block := strings.ReplaceAll(string(src[h.plusStart:h.plusEnd]), "\r\n", "\n")
	return strings.Split(block, "\n")
}

// gofmtPlusBuild reports a file with both kinds of line whose +build lines
// are those gofmt derives from its //go:build line: hotpathgen rewrites
// them from the new //go:build line, as gofmt would, and clean from the
// old one.
func gofmtPlusBuild(src []byte, h headerConstraint, goBuild string) bool {
	want := plusBuildLines(goBuild)
	got := plusBuildBlock(src, h)
	if want == nil || len(got) != len(want) || h.note {
		return false
	}
	for i := range want {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

func joinLines(lines []string, eol string) string { return strings.Join(lines, eol) }

// withSourceConstraint returns src with hotpathgen's "!hotpath" in its
// constraint, and how many lines were inserted before the old first line.
func withSourceConstraint(src []byte, h headerConstraint) (out []byte, shift int) {
	eol := "\n"
	if i := bytes.IndexByte(src, '\n'); i > 0 && src[i-1] == '\r' {
		eol = "\r\n"
	}
	// The note goes on the line after the user's last +build line.
	noteAt := lineEnd(src, h.plusEnd)
	if h.added() {
		return src, 0
	}
	switch {
	case h.text != "" && h.plusBuild && gofmtPlusBuild(src, h, h.text):
		line := combine(h.userExpr(), "!"+buildTag)
		lines := plusBuildLines(line)
		out = splice(src, h.plusStart, h.plusEnd, joinLines(lines, eol))
		if h.plusStart > h.start {
			return splice(out, h.start, h.end, line), len(lines) - len(plusBuildBlock(src, h))
		}
		d := len(joinLines(lines, eol)) - (h.plusEnd - h.plusStart)
		return splice(out, h.start+d, h.end+d, line), len(lines) - len(plusBuildBlock(src, h))
	case h.text != "" && h.plusBuild:
		// Later offset first.
		out = splice(src, noteAt, noteAt, plusBuildNote+eol)
		if noteAt <= h.start {
			return splice(out, h.start+len(plusBuildNote+eol), h.end+len(plusBuildNote+eol), combine(h.userExpr(), "!"+buildTag)), 1
		}
		return splice(out, h.start, h.end, combine(h.userExpr(), "!"+buildTag)), 1
	case h.text != "":
		return splice(src, h.start, h.end, combine(h.userExpr(), "!"+buildTag)), 0
	case h.plusBuild:
		expr := h.userExpr()
		if strings.Contains(expr, "||") {
			expr = "(" + expr + ")"
		}
		return splice(src, h.plusStart, h.plusStart, notTagPrefix+expr+eol+plusBuildNote+eol), 2
	}
	at := 0
	if bytes.HasPrefix(src, bom) {
		at = len(bom)
	}
	return splice(src, at, at, onlyNotTag+eol+eol), 2
}

// withoutSourceConstraint undoes withSourceConstraint exactly.
func withoutSourceConstraint(src []byte, h headerConstraint) []byte {
	if !h.added() {
		return src
	}
	if h.text == onlyNotTag {
		end := h.end
		// The line ending and the blank line that were inserted with it.
		for n := 0; n < 2 && end < len(src); n++ {
			if src[end] == '\r' {
				end++
			}
			if end < len(src) && src[end] == '\n' {
				end++
			}
		}
		return splice(src, h.start, end, "")
	}
	if h.fromPlusBuild() {
		if h.noteStart == lineEnd(src, h.end) {
			return splice(src, h.start, h.noteEnd, "")
		}
		// Lines moved by hand: remove each.
		out := splice(src, h.noteStart, h.noteEnd, "")
		if h.noteStart > h.start {
			return splice(out, h.start, lineEnd(out, h.end), "")
		}
		d := h.noteEnd - h.noteStart
		return splice(out, h.start-d, lineEnd(out, h.end-d), "")
	}
	line := "//go:build " + h.userExpr()
	if h.plusBuild && !h.note && gofmtPlusBuild(src, h, h.text) {
		eol := "\n"
		if bytes.Contains(src[h.plusStart:h.plusEnd], []byte("\r\n")) || (h.end < len(src) && src[h.end] == '\r') {
			eol = "\r\n"
		}
		lines := joinLines(plusBuildLines(line), eol)
		if h.plusStart > h.start {
			return splice(splice(src, h.plusStart, h.plusEnd, lines), h.start, h.end, line)
		}
		return splice(splice(src, h.start, h.end, line), h.plusStart, h.plusEnd, lines)
	}
	if h.note {
		// Later offset first.
		if h.noteStart > h.start {
			return splice(splice(src, h.noteStart, h.noteEnd, ""), h.start, h.end, line)
		}
		return splice(splice(src, h.start, h.end, line), h.noteStart, h.noteEnd, "")
	}
	return splice(src, h.start, h.end, line)
}

func splice(src []byte, start, end int, text string) []byte {
	out := make([]byte, 0, len(src)+len(text))
	out = append(out, src[:start]...)
	out = append(out, text...)
	return append(out, src[end:]...)
}

// twinConstraint is the //go:build line of a twin.
func twinConstraint(h headerConstraint) string {
	return combine(h.userExpr(), buildTag)
}

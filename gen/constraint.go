package gen

import (
	"bytes"
	"go/ast"
	"go/build/constraint"
	"go/token"
	"strings"
)

// The source side of a twin carries "!hotpath" in its build constraint.
// hotpathgen adds it in one of two exact forms and removes exactly what it
// added, so clean leaves the file byte-identical to what it was:
//
//	no constraint:        a first line "//go:build !hotpath" and a blank line
//	//go:build EXPR:      "//go:build EXPR && !hotpath", with EXPR in
//	                      parentheses when it holds "||"
const (
	notTagSuffix = " && !" + buildTag
	onlyNotTag   = "//go:build !" + buildTag
)

var bom = []byte("\ufeff")

// headerConstraint is the //go:build line of a file, if any.
type headerConstraint struct {
	start, end int    // byte range of the line, without its line ending
	text       string // the line
	plusBuild  bool   // the file has // +build lines
	// line is the line of the //go:build line, or else of the first
	// // +build line: where errors about the constraint point.
	line int
}

// findConstraint locates the //go:build line in the header of a file (the
// comments before the package clause).
func findConstraint(src []byte, f *ast.File, fset *token.FileSet) headerConstraint {
	var h headerConstraint
	tf := fset.File(f.Pos())
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
				if !h.plusBuild && h.text == "" {
					h.line = tf.PositionFor(c.Pos(), false).Line
				}
				h.plusBuild = true
			}
		}
	}
	return h
}

// userExpr returns the user's own constraint expression: the file's
// //go:build expression without what hotpathgen added. "" means none.
func (h headerConstraint) userExpr() string {
	if h.text == "" || h.text == onlyNotTag {
		return ""
	}
	expr := strings.TrimSpace(strings.TrimPrefix(h.text, "//go:build"))
	if e, ok := strings.CutSuffix(expr, notTagSuffix); ok {
		expr = e
		if strings.Contains(expr, "||") && strings.HasPrefix(expr, "(") && strings.HasSuffix(expr, ")") {
			expr = expr[1 : len(expr)-1]
		}
	}
	return expr
}

// added reports whether the constraint already carries hotpathgen's "!hotpath".
func (h headerConstraint) added() bool {
	return h.text == onlyNotTag || strings.HasSuffix(h.text, notTagSuffix)
}

// checkConstraint rejects constraints hotpathgen cannot combine with its
// own. Errors point at the constraint, else at line (the package clause).
func checkConstraint(h headerConstraint, path string, line int) error {
	if h.line > 0 {
		line = h.line
	}
	if h.plusBuild && h.text == "" {
		return errorAt(token.Position{Filename: path, Line: line, Column: 1},
			"the file has // +build lines but no //go:build line; add one (go fix ./... does) so hotpathgen can combine its constraint with yours")
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
		return errorAt(token.Position{Filename: path, Line: line, Column: 1},
			"the //go:build line already mentions the %q tag, which hotpathgen manages; remove it from the file", buildTag)
	}
	return nil
}

func combine(expr, tag string) string {
	if expr == "" {
		return "//go:build " + tag
	}
	if strings.Contains(expr, "||") {
		expr = "(" + expr + ")"
	}
	return "//go:build " + expr + " && " + tag
}

// withSourceConstraint returns src with hotpathgen's "!hotpath" in its
// constraint, and how many lines were inserted before the old first line.
func withSourceConstraint(src []byte, h headerConstraint) (out []byte, shift int) {
	if h.added() {
		return src, 0
	}
	if h.text != "" {
		line := combine(h.userExpr(), "!"+buildTag)
		return splice(src, h.start, h.end, line), 0
	}
	eol := "\n"
	if i := bytes.IndexByte(src, '\n'); i > 0 && src[i-1] == '\r' {
		eol = "\r\n"
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
	line := "//go:build " + h.userExpr()
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

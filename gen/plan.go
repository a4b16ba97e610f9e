package gen

import (
	"go/token"
	"path/filepath"
)

// buildTag is the build tag that selects twins over sources.
const buildTag = "hotpath"

// Plan is what the generator will do, before any file is touched: the
// directives it found and the targets they apply to, per file.
type Plan struct {
	Files []*FilePlan
}

// FilePlan is one source file and what its twin instruments.
type FilePlan struct {
	// Source is the path of the source file, Twin the path of its twin.
	Source, Twin string
	// Package is the import path of the file's package.
	Package string
	// Directives lists every directive in the file, in source order.
	Directives []Directive
	// Measures are the functions and methods to time, in source order.
	Measures []*Measure

	file *loadedFile
	// units are the kinds planning the file's package, in registry order;
	// each keeps its own targets of the file.
	units []unit
	// shift is the number of lines generate adds above the loaded source
	// (its build constraint); known once shiftKnown.
	shift      int
	shiftKnown bool
}

// NeedsTwin reports whether the file gets an instrumented twin.
func (fp *FilePlan) NeedsTwin() bool {
	for _, u := range fp.units {
		if u.needsTwin(fp) {
			return true
		}
	}
	return false
}

// finalLine is the file and line that stack frames show for a position of
// the loaded source, once generate has added its build constraint: the
// names planning gives (a channel's default label file.go:line) use it.
func (fp *FilePlan) finalLine(pos token.Position) (string, int) {
	if !fp.shiftKnown {
		f := fp.file
		_, fp.shift = withSourceConstraint(f.src, findConstraint(f.src, f.ast, f.pkg.fset))
		fp.shiftKnown = true
	}
	return fp.lineOf(pos, fp.shift)
}

// lineOf is the file and line that stack frames show for a position of
// the loaded source: its line in the source once generate has added its
// constraint (shift lines), or, in a file with //line directives of its
// own, the file and line those name, which the twin keeps and which no
// added constraint moves.
func (fp *FilePlan) lineOf(pos token.Position, shift int) (string, int) {
	src := fp.file.src
	if pos.Offset > len(src) || !hasLineDirectives(src[:pos.Offset]) {
		return baseName(fp.Source), pos.Line + shift
	}
	return lineDirectiveFile(filepath.Dir(fp.Source), pos.Filename), pos.Line
}

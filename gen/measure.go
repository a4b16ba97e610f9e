package gen

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"path/filepath"
	"sort"
	"strings"

	"github.com/dave/dst"
)

// The measure kind: //hotpath:measure [label=NAME] in the doc comment of a
// function or method times it; in the doc comment of a type, every method
// of the type (in any file of the package) but those marked
// //hotpath:skip. The twin declares a hotpathimpl.Func per function and puts
// measureStmts first in its body (see there).

// The verbs of the measure kind.
const (
	VerbMeasure Verb = "measure" // time a function, or every method of a type
	VerbSkip    Verb = "skip"    // leave a method out of its type's measure
)

type measureKind struct{}

func (measureKind) verbs() []verbSpec {
	return []verbSpec{
		{verb: VerbMeasure, label: true, usage: " (usage: //hotpath:measure [label=NAME])"},
		{verb: VerbSkip, usage: " (//hotpath:skip takes no arguments)"},
	}
}

func (measureKind) newUnit(pp *pkgPlan) unit {
	return &measureUnit{
		pp:           pp,
		measured:     map[*ast.FuncDecl]*Measure{},
		seen:         map[*ast.FuncDecl]bool{},
		typeMeasures: map[*types.TypeName]Directive{},
		skips:        map[*ast.FuncDecl]Directive{},
		skipped:      map[*FilePlan][]skipTarget{},
	}
}

// Measure is one function or method to time.
type Measure struct {
	// Name is the report label; Symbol the Go symbol name as pprof prints it.
	Name, Symbol string
	// Pos is where the function is declared.
	Pos token.Position
	// Directive is the directive that asked for it: on the function, or on
	// its receiver's type.
	Directive Directive

	decl *ast.FuncDecl
	// varName is the package-level hotpathimpl.Func variable in the twin.
	varName string
}

// skipTarget is a method that //hotpath:skip leaves out of its type's
// measure.
type skipTarget struct {
	directive Directive
	symbol    string
}

// measureUnit plans the measures of one package. The measures of a file
// are FilePlan.Measures (Inlinable reads them).
type measureUnit struct {
	pp *pkgPlan
	// measured maps a declaration to its measure, seen to whether a
	// measure directive is on it; typeMeasures maps a receiver type to
	// the directive on it; skips are the methods left out, skipped them
	// per file once checked.
	measured     map[*ast.FuncDecl]*Measure
	seen         map[*ast.FuncDecl]bool
	typeMeasures map[*types.TypeName]Directive
	skips        map[*ast.FuncDecl]Directive
	skipped      map[*FilePlan][]skipTarget
}

func (u *measureUnit) attach(fp *FilePlan, d Directive, at *site) bool {
	switch n := at.doc.(type) {
	case *ast.FuncDecl:
		if d.Verb == VerbSkip {
			if _, dup := u.skips[n]; dup {
				u.pp.errorf(d.Pos, "//hotpath:skip given twice on %s", n.Name.Name)
				return true
			}
			u.skips[n] = d
			return true
		}
		if u.seen[n] {
			u.pp.errorf(d.Pos, "//hotpath:measure given twice on %s", n.Name.Name)
			return true
		}
		u.seen[n] = true
		if reason := cannotInstrument(fp.file, n); reason != "" {
			u.pp.errorf(d.Pos, "cannot instrument %s: %s", n.Name.Name, reason)
			return true
		}
		m := &Measure{Symbol: u.pp.symbolFor(n), Pos: u.pp.fset().Position(n.Pos()), Directive: d, decl: n}
		m.Name = m.Symbol
		if d.Label != "" {
			m.Name = d.Label
		}
		u.measured[n] = m
		fp.Measures = append(fp.Measures, m)
	case *ast.TypeSpec:
		if d.Verb == VerbSkip {
			u.pp.errorf(d.Pos, "//hotpath:skip belongs on a method, not on type %s", n.Name.Name)
			return true
		}
		if d.Label != "" {
			u.pp.errorf(d.Pos, "//hotpath:measure on type %s takes no label: each method is reported under its own name", n.Name.Name)
			return true
		}
		tn, _ := u.pp.info().Defs[n.Name].(*types.TypeName)
		if tn == nil {
			u.pp.errorf(d.Pos, "//hotpath:measure: no type information for %s", n.Name.Name)
			return true
		}
		if tn.IsAlias() {
			u.pp.errorf(d.Pos, "//hotpath:measure on alias %s: put it on the type the alias names", n.Name.Name)
			return true
		}
		if _, ok := tn.Type().Underlying().(*types.Interface); ok {
			u.pp.errorf(d.Pos, "//hotpath:measure on interface %s: interface methods have no bodies to instrument; measure the implementations", n.Name.Name)
			return true
		}
		if _, dup := u.typeMeasures[tn]; dup {
			u.pp.errorf(d.Pos, "//hotpath:measure given twice on type %s", n.Name.Name)
			return true
		}
		u.typeMeasures[tn] = d
	default:
		return false
	}
	return true
}

// hint says where measure and skip go.
func (u *measureUnit) hint(d Directive, at *site) string {
	what := "a method"
	if d.Verb == VerbMeasure {
		what = "a function, method or type"
	}
	return fmt.Sprintf("//hotpath:%s must be in the doc comment of %s; here it documents %s", d.Verb, what, describeNode(at.doc))
}

// applyTypeMeasures measures every method of a type marked as a whole,
// in whichever file of the package the method is declared.
func (u *measureUnit) applyTypeMeasures() {
	for _, md := range u.pp.methods {
		tn := receiverType(u.pp.info(), md.decl)
		typeDir, typeMeasured := u.typeMeasures[tn]
		skip, skipped := u.skips[md.decl]
		switch {
		case skipped && md.decl.Recv == nil:
			u.pp.errorf(skip.Pos, "//hotpath:skip on function %s has no effect: skip leaves a method out of its type's //hotpath:measure", md.decl.Name.Name)
			continue
		case skipped && !typeMeasured:
			u.pp.errorf(skip.Pos, "//hotpath:skip on %s has no effect: its type has no //hotpath:measure", md.decl.Name.Name)
			continue
		case skipped && u.measured[md.decl] != nil:
			u.pp.errorf(skip.Pos, "%s has both //hotpath:skip and //hotpath:measure", md.decl.Name.Name)
			continue
		case skipped:
			fp := u.pp.fileOf(md.file)
			u.skipped[fp] = append(u.skipped[fp], skipTarget{skip, funcSymbol(u.pp.pkg, md.decl, md.initIndex)})
			continue
		case !typeMeasured || u.measured[md.decl] != nil:
			continue
		}
		fp := u.pp.fileOf(md.file)
		if reason := cannotInstrument(md.file, md.decl); reason != "" {
			u.pp.errorf(u.pp.fset().Position(md.decl.Pos()), "cannot instrument %s (its type is marked //hotpath:measure at %s): %s; add //hotpath:skip to leave it out",
				md.decl.Name.Name, shortPos(typeDir.Pos), reason)
			continue
		}
		sym := funcSymbol(u.pp.pkg, md.decl, md.initIndex)
		m := &Measure{Name: sym, Symbol: sym, Pos: u.pp.fset().Position(md.decl.Pos()), Directive: typeDir, decl: md.decl}
		u.measured[md.decl] = m
		fp.Measures = append(fp.Measures, m)
	}
}

func (u *measureUnit) finish() {
	u.applyTypeMeasures()
	for _, fp := range u.pp.files {
		sort.SliceStable(fp.Measures, func(i, j int) bool { return fp.Measures[i].Pos.Offset < fp.Measures[j].Pos.Offset })
	}
}

func (u *measureUnit) name(fp *FilePlan, n *namer) {
	for _, m := range fp.Measures {
		name := m.decl.Name.Name
		if t := recvTypeName(m.decl); t != "" {
			name = t + "_" + name
		}
		if name == "init" || name == "_" {
			name += "_" + n.stem
		}
		m.varName = n.unique("_hotpath_fn_" + identName(name))
	}
}

func (u *measureUnit) needsTwin(fp *FilePlan) bool { return len(fp.Measures) > 0 }

// rewrite puts measureStmts first in every measured body.
func (u *measureUnit) rewrite(fr *fileRewrite) error {
	for _, m := range fr.fp.Measures {
		fd := fr.dstNode(m.decl).(*dst.FuncDecl)
		fd.Body.List = append(measureStmts(m.varName), fd.Body.List...)
	}
	return nil
}

// measureStmts returns the statement that measures a call of a function
// (or function literal) whose Func is the variable v:
//
//	if !v.Skip() {
//		if _hotpath_s := v.BeginAfterSkip(); _hotpath_s.Timed() {
//			defer _hotpath_s.End()
//		}
//	}
//
// A call that sampling leaves untimed pays no deferred call, and with
// estimated sampling (Options.SampleEstimated) no call into hotpath at
// all: Skip inlines to a test and one draw of the runtime's random
// number. The defer stays open-coded (a conditional defer sets a bit that
// the function's exits test), so a panic is still recorded. The span's
// variable is local to the statement: it cannot clash with the body's
// names.
func measureStmts(v string) []dst.Stmt {
	return mustStmts(fmt.Sprintf("if !%[1]s.Skip() {\n\tif _hotpath_s := %[1]s.BeginAfterSkip(); _hotpath_s.Timed() {\n\t\tdefer _hotpath_s.End()\n\t}\n}", v))
}

func (u *measureUnit) declare(fr *fileRewrite, w *strings.Builder) {
	for _, m := range fr.fp.Measures {
		mfile, line := fr.lineOf(m.Pos)
		fmt.Fprintf(w, "\t%s = %s.Func{Name: %q, Symbol: %q, File: %q, Line: %d}\n",
			m.varName, fr.hp, m.Name, m.Symbol, mfile, line)
	}
}

func (u *measureUnit) list(fp *FilePlan) []ListItem {
	var items []ListItem
	for _, m := range fp.Measures {
		it := listItem(VerbMeasure, m.Name, m.Symbol, m.Directive)
		it.measure = m
		items = append(items, it)
	}
	for _, s := range u.skipped[fp] {
		items = append(items, listItem(VerbSkip, "", s.symbol, s.directive))
	}
	return items
}

// compilerDirectivesForbidden are function directives under which adding a
// deferred call would break the function's contract with the compiler.
var compilerDirectivesForbidden = []string{
	"//go:nosplit", "//go:systemstack", "//go:nowritebarrier", "//go:nowritebarrierrec",
	"//go:yeswritebarrierrec", "//go:uintptrkeepalive", "//go:cgo_unsafe_args",
}

// cannotInstrument says why a function cannot get a deferred measurement,
// or returns "".
func cannotInstrument(f *loadedFile, fd *ast.FuncDecl) string {
	if fd.Body == nil {
		return "it has no body (it is implemented in assembly or provided by //go:linkname)"
	}
	for _, c := range pragmas(f.ast, fd) {
		for _, d := range compilerDirectivesForbidden {
			if c == d || strings.HasPrefix(c, d+" ") {
				return fmt.Sprintf("it is marked %s, and a deferred call needs a normal stack frame", d)
			}
		}
	}
	if fd.Recv != nil {
		return ""
	}
	// A //go:linkname in any file of the package can name the function.
	files := []*ast.File{f.ast}
	if f.pkg != nil {
		files = files[:0]
		for _, pf := range f.pkg.files {
			files = append(files, pf.ast)
		}
	}
	for _, af := range files {
		for _, g := range af.Comments {
			for _, c := range g.List {
				rest, ok := strings.CutPrefix(c.Text, "//go:linkname ")
				if !ok {
					continue
				}
				fields := strings.Fields(rest)
				if len(fields) == 0 {
					continue
				}
				named := fields[0] == fd.Name.Name
				if len(fields) > 1 && f.pkg != nil && fields[1] == f.pkg.path+"."+fd.Name.Name {
					named = true // another name of this package pulls it
				}
				if named {
					where := ""
					if af != f.ast && f.pkg != nil {
						where = " (in " + filepath.Base(f.pkg.fset.Position(c.Pos()).Filename) + ")"
					}
					return "it is the target of //go:linkname" + where + ", so code elsewhere calls it by its symbol"
				}
			}
		}
	}
	return ""
}

// pragmas returns the //go: directives the compiler applies to a function:
// every //go: line comment between the end of the declaration before it
// and its func keyword, whether in its doc comment or separated from it by
// blank lines (the compiler collects them the same way).
func pragmas(file *ast.File, fd *ast.FuncDecl) []string {
	from := file.Name.End()
	for _, d := range file.Decls {
		if d == ast.Decl(fd) {
			break
		}
		if d.End() > from && d.End() <= fd.Pos() {
			from = d.End()
		}
	}
	var out []string
	for _, g := range file.Comments {
		if g.End() <= from || g.Pos() >= fd.Pos() {
			continue
		}
		for _, c := range g.List {
			if c.Pos() > from && c.Pos() < fd.Pos() && strings.HasPrefix(c.Text, "//go:") {
				out = append(out, c.Text)
			}
		}
	}
	return out
}

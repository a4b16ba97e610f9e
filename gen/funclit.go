package gen

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/dave/dst"
)

// Function literals measured with //hotpath:measure.
//
// A literal is named as the compiler names the closure, which is what
// runtime.FuncForPC, stack traces and pprof print, and what allocation mode
// matches heap samples against:
//
//	func F() { f := func() {...} }        p.F.func1 (literals of F in source order)
//	  nested in F's first literal         p.F.func1.1, p.F.func1.2, p.F.func1.2.1
//	func (*T) M() { go func() {...}() }   p.(*T).M.func1
//	func G[X any]() { func() {...}() }    p.G[...].func1
//	func init() { ... }                   p.init.0.func1 (the init functions numbered in file order)
//	var h = func() {...}                  p.init.func1 (package-level literals numbered in initialisation order)
//
// go and defer statements with arguments get wrappers (p.F.gowrap1,
// p.F.deferwrap1) and range-over-func loop bodies closures (p.F-range1)
// numbered apart: they do not shift the literals' numbers.
//
// The name holds only while nothing around the literal is inlined: when the
// compiler inlines a function (or a literal) that holds closures, it copies
// them into the caller under new names (p.Caller.F.func3,
// p.F.F.func4.func6). The twin therefore marks the declaration that holds a
// measured literal //go:noinline, and the measured literal itself is never
// inlined (its deferred End keeps it out). What the twin cannot stop is the
// inlining of an unmeasured literal around the measured one, or of a
// range-over-func loop body: those are refused (see litEnclosureProblem).

// closureInfo is a function literal of a package and where it sits.
type closureInfo struct {
	lit *ast.FuncLit
	// name is the closure's symbol in the tagged build.
	name string
	// decl is the declaration whose body holds the literal; nil at package
	// level.
	decl *ast.FuncDecl
	// parent is the literal directly around this one, nil when the literal
	// is directly in decl's body or in a package-level initialiser.
	parent *ast.FuncLit
	// rangeFunc is the innermost range-over-func loop whose body holds the
	// literal, between it and parent (or decl); nil if none.
	rangeFunc *ast.RangeStmt
	// started is true when the literal is the function of a go or defer
	// statement: go func() {...}(), defer func() {...}().
	started bool
}

// closureNames names every function literal of a package as the compiler
// names it in the tagged build. twinned says which files are compiled as
// their twins there: the compiler numbers init functions, and orders
// package-level variables declared independently, by the sorted file names.
// sites are the positions of the code the twins make refer to their own
// variables (see packageInitOrder).
func closureNames(pkg *loadedPackage, twinned func(*loadedFile) bool, sites []twinSite) map[*ast.FuncLit]*closureInfo {
	compiledName := func(f *loadedFile) string {
		if twinned(f) {
			return twinPath(f.path)
		}
		return f.path
	}
	out := map[*ast.FuncLit]*closureInfo{}
	started := map[*ast.FuncLit]bool{}
	// The go command compiles a package's files sorted by name, and in a
	// test binary its _test.go files after them, sorted likewise.
	files := append([]*loadedFile(nil), pkg.files...)
	sort.SliceStable(files, func(i, j int) bool {
		ti, tj := strings.HasSuffix(files[i].path, "_test.go"), strings.HasSuffix(files[j].path, "_test.go")
		if ti != tj {
			return tj
		}
		return filepath.Base(compiledName(files[i])) < filepath.Base(compiledName(files[j]))
	})
	prefix := symbolPackage(pkg) + "."
	initIndex := 0
	for _, f := range files {
		for _, d := range f.ast.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			idx := 0
			if fd.Recv == nil && fd.Name.Name == "init" {
				idx = initIndex
				initIndex++
			}
			n := &closureNamer{info: pkg.info, out: out, started: started, decl: fd}
			n.number(fd.Body, funcSymbol(pkg, fd, idx)+".func", nil)
		}
	}
	// Package-level initialisers, in the order the package initialises
	// them; one counter for all of them.
	n := &closureNamer{info: pkg.info, out: out, started: started}
	for _, init := range packageInitOrder(pkg, files, twinned, sites) {
		n.number(init, prefix+"init.func", nil)
	}
	return out
}

// packageInitOrder returns the initialiser expressions of the package's
// variables in the order the tagged build initialises them: the spec's
// order (repeatedly the earliest variable in declaration order that depends
// on no uninitialised variable), computed over what that build compiles.
// Two things differ from the untagged build the type checker saw:
//   - declaration order runs through the files in the order the compiler
//     gets them, by name, and a twin's name can sort elsewhere than its
//     source's (a.go comes before a_b.go, a_hotpath.go after it);
//   - a twin declares its hotpath variables at its end, and code that the
//     twin instruments refers to them: an initialiser whose expression (or
//     a function it refers to) holds one of the sites waits for them.
//
// files are in compiled order; sites are the code that refers to a twin's
// own variables (a measured function's declaration, a block's statement, a
// channel's make, a measured literal), one variable each. A twin declares
// its variables at its end, kind by kind in registry order (rank), each
// kind's in source order: a variable that waits for a later one is
// initialised after one that waits for an earlier one.
type twinSite struct {
	pos  token.Pos
	rank int
}

func packageInitOrder(pkg *loadedPackage, files []*loadedFile, twinned func(*loadedFile) bool, sites []twinSite) []ast.Expr {
	if pkg.info == nil || pkg.types == nil {
		return nil
	}
	type node struct {
		expr ast.Expr
		// decl is where sites count besides expr: the spec, or the whole
		// declaration when it has one spec (var x = ..., the var keyword
		// included), so that the code a directive on it makes refer to
		// the twin's variables counts.
		decl ast.Node
		file *loadedFile
		deps []*node
		done bool
	}
	scope := pkg.types.Scope()
	funcs := map[types.Object]*ast.FuncDecl{}
	fileOf := map[ast.Node]*loadedFile{}
	vars := map[types.Object]*node{}
	twinVar := map[token.Pos]*node{}
	var order []*node
	for _, f := range files {
		for _, d := range f.ast.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if obj := pkg.info.Defs[d.Name]; obj != nil {
					funcs[obj] = d
					fileOf[d] = f
				}
			case *ast.GenDecl:
				if d.Tok != token.VAR {
					continue
				}
				for _, spec := range d.Specs {
					vs := spec.(*ast.ValueSpec)
					var decl ast.Node = vs
					if !d.Lparen.IsValid() {
						decl = d
					}
					var shared *node
					for i, name := range vs.Names {
						n := &node{file: f, decl: decl}
						switch {
						case len(vs.Values) == len(vs.Names):
							n.expr = vs.Values[i]
						case len(vs.Values) == 1: // var a, b = f()
							if shared == nil {
								shared = &node{file: f, expr: vs.Values[0], decl: decl}
								order = append(order, shared)
							}
							n = shared
						}
						if n != shared {
							order = append(order, n)
						}
						if obj := pkg.info.Defs[name]; obj != nil {
							vars[obj] = n
						}
					}
				}
			}
		}
		if twinned(f) {
			// The twin's variables, one per site, in the order the twin
			// declares them.
			var own []twinSite
			for _, ts := range sites {
				if f.ast.Pos() <= ts.pos && ts.pos < f.ast.End() {
					own = append(own, ts)
				}
			}
			sort.SliceStable(own, func(i, j int) bool {
				if own[i].rank != own[j].rank {
					return own[i].rank < own[j].rank
				}
				return own[i].pos < own[j].pos
			})
			for _, ts := range own {
				n := &node{file: f}
				twinVar[ts.pos] = n
				order = append(order, n)
			}
		}
	}
	// sitesIn adds to out the twin variables that code n refers to.
	sitesIn := func(n ast.Node, out map[*node]bool) {
		for p, v := range twinVar {
			if n.Pos() <= p && p < n.End() {
				out[v] = true
			}
		}
	}
	// deps collects the variables code depends on, through the functions
	// it refers to.
	seenFunc := map[*ast.FuncDecl]bool{}
	var collect func(f *loadedFile, code ast.Node, out map[*node]bool)
	collect = func(f *loadedFile, code ast.Node, out map[*node]bool) {
		sitesIn(code, out)
		ast.Inspect(code, func(n ast.Node) bool {
			id, ok := n.(*ast.Ident)
			if !ok {
				return true
			}
			switch obj := pkg.info.Uses[id].(type) {
			case *types.Var:
				if v := vars[obj]; v != nil && obj.Parent() == scope {
					out[v] = true
				}
			case *types.Func:
				if fd := funcs[obj.Origin()]; fd != nil && !seenFunc[fd] {
					seenFunc[fd] = true
					collect(fileOf[fd], fd, out)
				}
			}
			return true
		})
	}
	for _, n := range order {
		if n.expr == nil {
			continue
		}
		clear(seenFunc)
		deps := map[*node]bool{}
		collect(n.file, n.expr, deps)
		sitesIn(n.decl, deps)
		delete(deps, n)
		for d := range deps {
			n.deps = append(n.deps, d)
		}
	}
	var out []ast.Expr
	for left := len(order); left > 0; left-- {
		var next *node
		for _, n := range order {
			if n.done {
				continue
			}
			ready := true
			for _, d := range n.deps {
				ready = ready && d.done
			}
			if ready {
				next = n
				break
			}
		}
		if next == nil {
			break // a cycle: the package does not compile
		}
		next.done = true
		if next.expr != nil {
			out = append(out, next.expr)
		}
	}
	return out
}

// closureNamer numbers the literals of one function body (or of the
// package's initialisers).
type closureNamer struct {
	info    *types.Info
	out     map[*ast.FuncLit]*closureInfo
	started map[*ast.FuncLit]bool
	decl    *ast.FuncDecl
	count   int
}

// number names the literals directly inside n (not inside another literal
// of n) base+"1", base+"2", ... in source order, and recursively the
// literals inside those, "name.1", "name.2", ...
func (c *closureNamer) number(n ast.Node, base string, parent *ast.FuncLit) {
	if c.started == nil {
		c.started = map[*ast.FuncLit]bool{}
	}
	var ranges []*ast.RangeStmt
	var visit func(n ast.Node) bool
	visit = func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			c.count++
			ci := &closureInfo{lit: n, name: base + strconv.Itoa(c.count), decl: c.decl, parent: parent, started: c.started[n]}
			if len(ranges) > 0 {
				ci.rangeFunc = ranges[len(ranges)-1]
			}
			c.out[n] = ci
			inner := &closureNamer{info: c.info, out: c.out, started: c.started, decl: c.decl}
			inner.number(n.Body, ci.name+".", n)
			return false
		case *ast.GoStmt:
			c.markStarted(n.Call)
		case *ast.DeferStmt:
			c.markStarted(n.Call)
		case *ast.RangeStmt:
			if isRangeOverFunc(c.info, n) {
				// The body becomes a closure of its own (F-range1) that
				// is not numbered with the literals; literals in it
				// keep counting in the enclosing function.
				for _, e := range []ast.Node{n.Key, n.Value, n.X} {
					if e != nil {
						ast.Inspect(e, visit)
					}
				}
				ranges = append(ranges, n)
				ast.Inspect(n.Body, visit)
				ranges = ranges[:len(ranges)-1]
				return false
			}
		}
		return true
	}
	ast.Inspect(n, visit)
}

// markStarted records the literal a go or defer statement calls; the
// statement is met before the literal.
func (c *closureNamer) markStarted(call *ast.CallExpr) {
	if call == nil {
		return
	}
	if lit, ok := ast.Unparen(call.Fun).(*ast.FuncLit); ok {
		c.started[lit] = true
	}
}

func isRangeOverFunc(info *types.Info, r *ast.RangeStmt) bool {
	if info == nil {
		return false
	}
	t := info.TypeOf(r.X)
	if t == nil {
		return false
	}
	_, ok := t.Underlying().(*types.Signature)
	return ok
}

// litMeasure is one function literal to time.
type litMeasure struct {
	// Name is the report label; Symbol the closure's name in the tagged
	// build.
	Name, Symbol string
	// Pos is where the literal's func keyword is.
	Pos token.Position
	// Directive is the //hotpath:measure comment.
	Directive Directive

	lit  *ast.FuncLit
	decl *ast.FuncDecl // the declaration that holds it, nil at package level
	// varName is the package-level hotpathimpl.Func variable in the twin.
	varName string
}

// outermostLits returns the function literals in n that are not inside
// another literal of n, in source order.
func outermostLits(n ast.Node) []*ast.FuncLit {
	var lits []*ast.FuncLit
	ast.Inspect(n, func(n ast.Node) bool {
		if lit, ok := n.(*ast.FuncLit); ok {
			lits = append(lits, lit)
			return false
		}
		return true
	})
	return lits
}

// litStatementProblem says why a statement cannot hold the literal that a
// //hotpath:measure on the line before it measures, or "" with the
// literal. A statement with several literals (side by side, not one inside
// another) is refused: the directive would not say which one it means.
func litStatementProblem(fset *token.FileSet, stmt ast.Stmt) (*ast.FuncLit, string) {
	for {
		l, ok := stmt.(*ast.LabeledStmt)
		if !ok {
			break
		}
		stmt = l.Stmt
	}
	switch s := stmt.(type) {
	case *ast.BlockStmt, *ast.IfStmt, *ast.ForStmt, *ast.RangeStmt, *ast.SwitchStmt,
		*ast.TypeSwitchStmt, *ast.SelectStmt:
		return nil, fmt.Sprintf("//hotpath:measure before %s: it measures the function literal of a simple statement "+
			"(go func() {...}(), f := func() {...}, call(func() {...})); put it on the line before that statement, "+
			"or use //hotpath:block NAME to time this statement", describeLitStmt(s))
	}
	lits := outermostLits(stmt)
	switch len(lits) {
	case 0:
		return nil, "//hotpath:measure before a statement with no function literal: it measures a function literal " +
			"(go func() {...}(), f := func() {...}, call(func() {...})); use //hotpath:block NAME to time a statement"
	case 1:
		return lits[0], ""
	}
	var at []string
	for _, l := range lits {
		at = append(at, fmt.Sprintf("%d:%d", fset.Position(l.Pos()).Line, fset.Position(l.Pos()).Column))
	}
	return nil, fmt.Sprintf("//hotpath:measure before a statement with %d function literals (at %s): "+
		"put the directive as the first line inside the body of the one to measure", len(lits), strings.Join(at, ", "))
}

// describeLitStmt names the kind of a statement a measured literal cannot be taken from.
func describeLitStmt(s ast.Stmt) string {
	switch s := s.(type) {
	case *ast.BlockStmt:
		return "a block"
	case *ast.IfStmt:
		return "an if statement"
	case *ast.ForStmt:
		return "a for loop"
	case *ast.RangeStmt:
		return "a range loop"
	case *ast.SwitchStmt, *ast.TypeSwitchStmt:
		return "a switch statement"
	case *ast.SelectStmt:
		return "a select statement"
	default:
		return fmt.Sprintf("%T", s)
	}
}

// litEnclosureProblem says why the tagged build could name a measured
// literal differently from ci.name, or "". Everything between the literal
// and its declaration must stay out of the inliner: a literal around it
// that is measured is (it defers), one that a go or defer statement calls
// is; any other may be inlined into its caller, which copies the closures
// inside it under new names (p.F.F.func1.func2). A range-over-func loop
// body is a closure the compiler may inline together with the iterator.
func litEnclosureProblem(fset *token.FileSet, ci *closureInfo, all map[*ast.FuncLit]*closureInfo, measured map[*ast.FuncLit]bool) string {
	for c := ci; c != nil; c = all[c.parent] {
		if c.rangeFunc != nil {
			return fmt.Sprintf("it is in the body of the range-over-func loop at %s, which the compiler turns into a closure "+
				"and may inline with the iterator, renaming the literals in it; move the literal out of the loop body",
				shortPos(fset.Position(c.rangeFunc.Pos())))
		}
		if c.parent == nil {
			return ""
		}
		p := all[c.parent]
		if p == nil {
			return ""
		}
		if !measured[p.lit] && !p.started {
			return fmt.Sprintf("it is inside the function literal at %s, which the compiler may inline into its caller, "+
				"renaming every closure in it; measure that literal too (a measured literal is never inlined)",
				shortPos(fset.Position(p.lit.Pos())))
		}
	}
	return ""
}

// litPlanner resolves the //hotpath:measure directives of one package that
// are about function literals, then names and checks the literals once the
// rest of the plan is known.
type litPlanner struct {
	pkg      *loadedPackage
	pending  []*litMeasure
	files    map[*ast.FuncLit]*loadedFile
	measured map[*ast.FuncLit]*litMeasure
}

func newLitPlanner(pkg *loadedPackage) *litPlanner {
	return &litPlanner{pkg: pkg, files: map[*ast.FuncLit]*loadedFile{}, measured: map[*ast.FuncLit]*litMeasure{}}
}

// attach resolves one //hotpath:measure directive. bodyTop is the literal
// whose body its comment group opens (nil if none), owner the declaration
// whose doc comment holds it (nil if none), next the statement on the line
// after its comment group (zero if none). It reports false
// when the directive is not about a literal (a function's or a type's doc
// comment, or nothing at all): the caller goes on with it.
func (lp *litPlanner) attach(f *loadedFile, bodyTop *ast.FuncLit, d Directive, owner ast.Node, next stmtSite) (bool, *Error) {
	fset := lp.pkg.fset
	// At the top of a literal's body the directive measures that literal,
	// unless the statement after it is one that holds a literal: the
	// line-before-a-statement form wins, so that a literal in a body's
	// first statement can be measured too (the enclosing one can always be
	// measured from the line before its own statement).
	if bodyTop != nil && !holdsLit(next.stmt) {
		return true, lp.add(f, bodyTop, d)
	}
	if vs, ok := owner.(*ast.ValueSpec); ok {
		var lits []*ast.FuncLit
		for _, v := range vs.Values {
			lits = append(lits, outermostLits(v)...)
		}
		switch len(lits) {
		case 0:
			// Not about a literal: the caller reports what it documents.
			return false, nil
		case 1:
			return true, lp.add(f, lits[0], d)
		}
		return true, errorAt(d.Pos, "//hotpath:measure on a variable whose value holds %d function literals (at %s): "+
			"put the directive as the first line inside the body of the one to measure", len(lits), litPositions(fset, lits))
	}
	if owner != nil || next.stmt == nil {
		return false, nil
	}
	lit, problem := litStatementProblem(fset, next.stmt)
	if problem != "" {
		return true, errorAt(d.Pos, "%s", problem)
	}
	return true, lp.add(f, lit, d)
}

// holdsLit reports whether s is a simple statement that holds a function
// literal: one that a //hotpath:measure on the line before it measures.
func holdsLit(s ast.Stmt) bool {
	if s == nil {
		return false
	}
	for {
		l, ok := s.(*ast.LabeledStmt)
		if !ok {
			break
		}
		s = l.Stmt
	}
	switch s.(type) {
	case *ast.BlockStmt, *ast.IfStmt, *ast.ForStmt, *ast.RangeStmt, *ast.SwitchStmt,
		*ast.TypeSwitchStmt, *ast.SelectStmt:
		return false
	}
	return len(outermostLits(s)) > 0
}

func litPositions(fset *token.FileSet, lits []*ast.FuncLit) string {
	var at []string
	for _, l := range lits {
		p := fset.Position(l.Pos())
		at = append(at, fmt.Sprintf("%d:%d", p.Line, p.Column))
	}
	return strings.Join(at, ", ")
}

func (lp *litPlanner) add(f *loadedFile, lit *ast.FuncLit, d Directive) *Error {
	if prev := lp.measured[lit]; prev != nil {
		return errorAt(d.Pos, "//hotpath:measure given twice on the function literal at %s (also at %s)",
			shortPos(lp.pkg.fset.Position(lit.Pos())), shortPos(prev.Directive.Pos))
	}
	m := &litMeasure{Directive: d, Pos: lp.pkg.fset.Position(lit.Pos()), lit: lit}
	lp.measured[lit] = m
	lp.files[lit] = f
	lp.pending = append(lp.pending, m)
	return nil
}

// sites returns the measured literals as twin sites of the given rank
// (the kind's place in the registry), for packageInitOrder: their bodies
// refer to the twin's variables.
func (lp *litPlanner) sites(rank int) []twinSite {
	var out []twinSite
	for _, m := range lp.pending {
		out = append(out, twinSite{m.lit.Pos(), rank})
	}
	return out
}

// finish names the measured literals as the tagged build does and checks
// that nothing around them can rename them. twinned says which files get a
// twin; sites are the positions of all the code the twins refer to their
// variables from (lp.sites() among them). It returns the literals by file,
// in source order.
func (lp *litPlanner) finish(twinned func(*loadedFile) bool, sites []twinSite) (map[*loadedFile][]*litMeasure, []*Error) {
	if len(lp.pending) == 0 {
		return nil, nil
	}
	fset := lp.pkg.fset
	names := closureNames(lp.pkg, twinned, sites)
	isMeasured := map[*ast.FuncLit]bool{}
	for lit := range lp.measured {
		isMeasured[lit] = true
	}
	var errs []*Error
	labels := map[string]*litMeasure{}
	byFile := map[*loadedFile][]*litMeasure{}
	sort.SliceStable(lp.pending, func(i, j int) bool { return lp.pending[i].lit.Pos() < lp.pending[j].lit.Pos() })
	for _, m := range lp.pending {
		ci := names[m.lit]
		if ci == nil {
			errs = append(errs, errorAt(m.Directive.Pos, "//hotpath:measure: the function literal at %s is not in a function body or a package-level initialiser",
				shortPos(m.Pos)))
			continue
		}
		if problem := litEnclosureProblem(fset, ci, names, isMeasured); problem != "" {
			errs = append(errs, errorAt(m.Directive.Pos, "cannot measure the function literal at %s: %s", shortPos(m.Pos), problem))
			continue
		}
		m.Symbol, m.Name, m.decl = ci.name, ci.name, ci.decl
		if l := m.Directive.Label; l != "" {
			if prev := labels[l]; prev != nil {
				errs = append(errs, errorAt(m.Directive.Pos, "label %q is already used by the function literal at %s: labels of measured literals are unique in a package",
					l, shortPos(prev.Pos)))
				continue
			}
			labels[l] = m
			m.Name = l
		}
		f := lp.files[m.lit]
		byFile[f] = append(byFile[f], m)
	}
	return byFile, errs
}

// litHint is what the error for a //hotpath:measure that documents nothing
// adds: how to measure a function literal.
const litHint = "to measure a function literal, put //hotpath:measure on the line before the statement " +
	"that holds it (go func() {...}(), f := func() {...}, call(func() {...})) or as the first line of its body"

// litDeclaration is the twin's declaration of a measured literal's Func.
func litDeclaration(m *litMeasure, hp, file string, line int) string {
	return fmt.Sprintf("\t%s = %s.Func{Name: %q, Symbol: %q, File: %q, Line: %d}\n", m.varName, hp, m.Name, m.Symbol, file, line)
}

// rewriteLits puts measureStmts first in the body of every
// measured literal of a file, and marks each declaration that holds one
// //go:noinline: inlined into a caller, its closures would be copied under
// the caller's names (p.Caller.F.func1), which neither the report's row
// nor allocation mode would find.
func rewriteLits(f *loadedFile, lits []*litMeasure, dstNode func(ast.Node) dst.Node) {
	marked := map[*ast.FuncDecl]bool{}
	for _, m := range lits {
		fl := dstNode(m.lit).(*dst.FuncLit)
		begin := measureStmts(m.varName)
		if len(fl.Body.List) > 0 {
			// The comments above the first statement (the directive, when
			// it is the literal's first line) stay first.
			first := fl.Body.List[0].Decorations()
			begin[0].Decorations().Start, first.Start = first.Start, nil
		}
		fl.Body.List = append(begin, fl.Body.List...)
		d := m.decl
		if d == nil || marked[d] || (d.Recv == nil && d.Name.Name == "init") {
			continue
		}
		marked[d] = true
		if slices.Contains(pragmas(f.ast, d), "//go:noinline") {
			continue
		}
		fd := dstNode(d).(*dst.FuncDecl)
		fd.Decs.Start.Append("//go:noinline")
	}
}

// The kind: //hotpath:measure on a function literal. It shares the verb
// with the measure kind, which claims the doc comments of functions and
// types; this one claims a directive on the line before a statement that
// holds a literal, at the top of a literal's body, or in the doc comment of
// a package-level variable set to one.
type funcLitKind struct{}

func (funcLitKind) verbs() []verbSpec {
	return []verbSpec{{verb: VerbMeasure, label: true, usage: " (usage: //hotpath:measure [label=NAME])"}}
}

func (funcLitKind) newUnit(pp *pkgPlan) unit {
	return &funcLitUnit{pp: pp, lp: newLitPlanner(pp.pkg), claimed: map[*FilePlan]bool{}, lits: map[*FilePlan][]*litMeasure{}}
}

// funcLitUnit plans the measured literals of one package.
type funcLitUnit struct {
	pp *pkgPlan
	lp *litPlanner
	// claimed are the files with a literal directive, until finish has
	// named the literals; lits the literals of each file after it.
	claimed map[*FilePlan]bool
	lits    map[*FilePlan][]*litMeasure
}

func (u *funcLitUnit) attach(fp *FilePlan, d Directive, at *site) bool {
	if d.Verb != VerbMeasure {
		return false
	}
	claimed, err := u.lp.attach(fp.file, at.lit, d, at.doc, at.next)
	if err != nil {
		u.pp.errorf(err.Pos, "%s", err.Msg)
	}
	if claimed {
		u.claimed[fp] = true
	}
	return claimed
}

// hint says how to measure a literal, for a directive that documents
// nothing.
func (u *funcLitUnit) hint(d Directive, at *site) string {
	if d.Verb != VerbMeasure || at.doc != nil {
		return ""
	}
	return litHint
}

// finish names the literals, which needs the rest of the plan: which files
// get twins (other kinds' units finished before this one, registered
// last) and where the twins' code refers to their variables.
func (u *funcLitUnit) finish() {
	if len(u.lp.pending) == 0 {
		return
	}
	twinned := func(f *loadedFile) bool {
		fp := u.pp.fileOf(f)
		return fp != nil && fp.NeedsTwin()
	}
	byFile, errs := u.lp.finish(twinned, append(u.lp.sites(u.rank()), u.otherSites()...))
	for _, e := range errs {
		u.pp.errorf(e.Pos, "%s", e.Msg)
	}
	for f, lits := range byFile {
		u.lits[u.pp.fileOf(f)] = lits
	}
	u.claimed = nil
}

// otherSites are where the other kinds' twin code refers to the twins'
// variables, as far as the plan shows it: measured functions, and the code
// on the line after any other directive (a block's statement, a channel's
// make, a goroutine's go statement). Each ranks as the first kind of the
// registry that owns its verb: a twin declares its variables kind by kind.
// Operations rewritten throughout a package (channel sends, receives) call
// the runtime and refer to no variable of the twin.
func (u *funcLitUnit) otherSites() []twinSite {
	rank := func(v Verb) int {
		for i, k := range u.pp.p.kinds {
			if ownsVerb(k, v) {
				return i
			}
		}
		return len(u.pp.p.kinds)
	}
	var out []twinSite
	for _, fp := range u.pp.files {
		for _, m := range fp.Measures {
			out = append(out, twinSite{m.decl.Pos(), rank(VerbMeasure)})
		}
		tf := u.pp.fset().File(fp.file.ast.Pos())
		for _, d := range fp.Directives {
			if d.Verb == VerbMeasure || d.Verb == VerbSkip || d.Pos.Line >= tf.LineCount() {
				continue
			}
			// The first character that is not blank on the next line.
			off := tf.Offset(tf.LineStart(d.Pos.Line + 1))
			for off < len(fp.file.src) && (fp.file.src[off] == ' ' || fp.file.src[off] == '\t') {
				off++
			}
			out = append(out, twinSite{tf.Pos(off), rank(d.Verb)})
		}
	}
	return out
}

// rank is this kind's place in the registry.
func (u *funcLitUnit) rank() int {
	for i, k := range u.pp.p.kinds {
		if k == (funcLitKind{}) {
			return i
		}
	}
	return len(u.pp.p.kinds)
}

func (u *funcLitUnit) name(fp *FilePlan, n *namer) {
	prefix := symbolPackage(u.pp.pkg) + "."
	for _, m := range u.lits[fp] {
		short := strings.TrimPrefix(m.Symbol, prefix)
		short = strings.NewReplacer("(*", "", ")", "", "[...]", "").Replace(short)
		m.varName = n.unique("_hotpath_fn_lit_" + identName(short))
	}
}

func (u *funcLitUnit) needsTwin(fp *FilePlan) bool { return u.claimed[fp] || len(u.lits[fp]) > 0 }

func (u *funcLitUnit) rewrite(fr *fileRewrite) error {
	rewriteLits(fr.fp.file, u.lits[fr.fp], fr.dstNode)
	return nil
}

func (u *funcLitUnit) declare(fr *fileRewrite, w *strings.Builder) {
	for _, m := range u.lits[fr.fp] {
		file, line := fr.lineOf(m.Pos)
		w.WriteString(litDeclaration(m, fr.hp, file, line))
	}
}

func (u *funcLitUnit) list(fp *FilePlan) []ListItem {
	var items []ListItem
	for _, m := range u.lits[fp] {
		items = append(items, listItem(VerbMeasure, m.Name, m.Symbol, m.Directive))
	}
	return items
}

package gen

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
)

// planner turns loaded packages into a plan, collecting every error
// instead of stopping at the first.
type planner struct {
	// kinds is the registry planning uses (a test may add to it).
	kinds []kind
	errs  []*Error
}

func (p *planner) errorf(pos token.Position, format string, args ...any) {
	p.errs = append(p.errs, errorAt(pos, format, args...))
}

// makePlan finds the directives of every package and resolves them to
// targets. It returns the plan and every error found, sorted by position.
// The plan is complete: every name the twins declare and reports show is
// assigned; rendering only reads it.
func makePlan(pkgs []*loadedPackage) (*Plan, []*Error) {
	return makePlanWith(pkgs, kinds)
}

// makePlanWith is makePlan with the kinds given.
func makePlanWith(pkgs []*loadedPackage, ks []kind) (*Plan, []*Error) {
	p := &planner{kinds: ks}
	plan := &Plan{}
	for _, pkg := range pkgs {
		plan.Files = append(plan.Files, p.planPackage(pkg)...)
	}
	sortErrors(p.errs)
	return plan, dedupErrors(p.errs)
}

type methodDecl struct {
	decl      *ast.FuncDecl
	file      *loadedFile
	initIndex int
}

func (p *planner) planPackage(pkg *loadedPackage) []*FilePlan {
	hasDirectives := false
	for _, f := range pkg.files {
		if hasDirectiveText(f.src) {
			hasDirectives = true
		}
	}
	for _, name := range pkg.cgo {
		p.checkCgoFile(name)
	}
	if len(pkg.errs) > 0 {
		if hasDirectives {
			for _, e := range underlyingErrors(pkg.errs) {
				p.errs = append(p.errs, inDir(pkg.dir, packageError(e)))
			}
		}
		return nil
	}
	pp := &pkgPlan{p: p, pkg: pkg}
	for _, k := range p.kinds {
		pp.units = append(pp.units, k.newUnit(pp))
	}
	for _, f := range pkg.files {
		fp := &FilePlan{Source: f.path, Twin: twinPath(f.path), Package: pkg.path, file: f, units: pp.units}
		pp.files = append(pp.files, fp)
		pp.collectFuncs(f)
		if hasDirectiveText(f.src) {
			p.findDirectives(pp, fp)
		}
		if len(fp.Directives) > 0 {
			pp.instrumented = true
		}
	}
	for _, u := range pp.units {
		u.finish()
	}
	for _, fp := range pp.files {
		nameFile(fp)
	}
	return pp.files
}

func (p *planner) checkCgoFile(name string) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, nil, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return // the package's own errors report it
	}
	for _, g := range f.Comments {
		for _, c := range g.List {
			if isDir, _ := looksLikeDirective(c.Text); isDir {
				p.errorf(fset.Position(c.Pos()), "cannot instrument a cgo file: files that import \"C\" are rewritten by cgo; move the function to a file without import \"C\"")
				return
			}
		}
	}
}

// collectFuncs records the function declarations of a file (for
// type-wide measures and symbols) and numbers init functions as the
// compiler does.
func (pp *pkgPlan) collectFuncs(f *loadedFile) {
	for _, d := range f.ast.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok {
			continue
		}
		idx := -1
		if fd.Recv == nil && fd.Name.Name == "init" {
			idx = pp.initCount
			pp.initCount++
		}
		pp.methods = append(pp.methods, methodDecl{decl: fd, file: f, initIndex: idx})
	}
}

// findDirectives parses the directives of one file and hands each to the
// first unit of its verb that claims its syntax.
func (p *planner) findDirectives(pp *pkgPlan, fp *FilePlan) {
	f := fp.file
	fset := pp.pkg.fset
	owners := docOwners(f.ast)
	stmts := statementsByLine(fset, f.ast)
	opens := litOpeners(f.ast)
	for _, g := range f.ast.Comments {
		for _, c := range g.List {
			isDir, spaced := looksLikeDirective(c.Text)
			// Where the comment is written, whatever //line directives
			// of the file's own say: that is where it can be fixed.
			pos := fset.PositionFor(c.Pos(), false)
			if spaced {
				p.errorf(pos, "%q is a plain comment: directives have no space after the slashes (write %s)",
					c.Text, "//"+strings.TrimPrefix(c.Text, "// "))
				continue
			}
			if !isDir {
				continue
			}
			d, err := ParseDirective(c.Text, pos)
			if err != nil {
				p.errs = append(p.errs, err.(*Error))
				continue
			}
			fp.Directives = append(fp.Directives, d)
			if !startsLine(f.src, pos) {
				p.errorf(pos, "//hotpath:%s must start its own line, not follow code", d.Verb)
				continue
			}
			at := &site{comment: c, group: g, doc: owners[c], next: stmts[fset.Position(g.End()).Line+1], lit: opens[g]}
			pp.attach(fp, d, at)
		}
	}
}

// attach offers a directive to the units of its verb, in registry order;
// when none claims it, the error is the units' hints joined.
func (pp *pkgPlan) attach(fp *FilePlan, d Directive, at *site) {
	var hints []string
	for i, k := range pp.p.kinds {
		if !ownsVerb(k, d.Verb) {
			continue
		}
		u := pp.units[i]
		if u.attach(fp, d, at) {
			return
		}
		if h := u.hint(d, at); h != "" {
			hints = append(hints, h)
		}
	}
	pp.errorf(d.Pos, "%s", strings.Join(hints, "; "))
}

func ownsVerb(k kind, v Verb) bool {
	for _, s := range k.verbs() {
		if s.verb == v {
			return true
		}
	}
	return false
}

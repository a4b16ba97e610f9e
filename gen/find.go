package gen

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/tools/go/packages"
)

// planner turns loaded packages into a plan, collecting every error
// instead of stopping at the first.
type planner struct {
	errs []*Error
}

func (p *planner) errorf(pos token.Position, format string, args ...any) {
	p.errs = append(p.errs, errorAt(pos, format, args...))
}

// makePlan finds the directives of every package and resolves them to
// targets. It returns the plan and every error found, sorted by position.
func makePlan(pkgs []*loadedPackage) (*Plan, []*Error) {
	p := &planner{}
	plan := &Plan{}
	for _, pkg := range pkgs {
		plan.Files = append(plan.Files, p.planPackage(pkg)...)
	}
	sortErrors(p.errs)
	return plan, dedupErrors(p.errs)
}

// dedupErrors drops repeats: a file type-checked in two package variants
// (with and without its tests) reports the same error twice.
func dedupErrors(errs []*Error) []*Error {
	seen := map[string]bool{}
	out := errs[:0]
	for _, e := range errs {
		key := e.Error()
		if !seen[key] {
			seen[key] = true
			out = append(out, e)
		}
	}
	return out
}

func sortErrors(errs []*Error) {
	sort.SliceStable(errs, func(i, j int) bool {
		a, b := errs[i].Pos, errs[j].Pos
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}

// pkgState is what planning one package collects across its files.
type pkgState struct {
	pkg   *loadedPackage
	files map[*loadedFile]*FilePlan
	// measured maps a declaration to its measure; typeMeasures a receiver
	// type to the directive on it; skips the methods left out.
	measured     map[*ast.FuncDecl]*Measure
	typeMeasures map[*types.TypeName]Directive
	skips        map[*ast.FuncDecl]Directive
	blockLabels  map[string]*Block
	methods      []methodDecl
	initCount    int
}

type methodDecl struct {
	decl      *ast.FuncDecl
	file      *loadedFile
	initIndex int
}

func (p *planner) planPackage(pkg *loadedPackage) []*FilePlan {
	st := &pkgState{
		pkg:          pkg,
		files:        map[*loadedFile]*FilePlan{},
		measured:     map[*ast.FuncDecl]*Measure{},
		typeMeasures: map[*types.TypeName]Directive{},
		skips:        map[*ast.FuncDecl]Directive{},
		blockLabels:  map[string]*Block{},
	}
	hasDirectives := false
	for _, f := range pkg.files {
		if hasDirectiveText(f.src) {
			hasDirectives = true
		}
	}
	for _, name := range pkg.cgo {
		p.checkCgoFile(pkg, name)
	}
	if len(pkg.errs) > 0 {
		if hasDirectives {
			for _, e := range underlyingErrors(pkg.errs) {
				p.errs = append(p.errs, inDir(pkg.dir, packageError(e)))
			}
		}
		return nil
	}
	var plans []*FilePlan
	for _, f := range pkg.files {
		fp := &FilePlan{Source: f.path, Twin: twinPath(f.path), Package: pkg.path, file: f}
		st.files[f] = fp
		plans = append(plans, fp)
		p.collectFuncs(st, f)
		if hasDirectiveText(f.src) {
			p.findDirectives(st, fp)
		}
	}
	p.applyTypeMeasures(st)
	// A package that has directives counts the channel operations of all
	// its files: watched channels travel through parameters, fields and
	// other files, so only counting everywhere makes the counts exact.
	instrumented := false
	for _, fp := range plans {
		if len(fp.Directives) > 0 {
			instrumented = true
		}
	}
	for _, fp := range plans {
		if instrumented {
			fp.ChanOps = hasChanOps(pkg.info, fp.file.ast)
			if fp.ChanOps {
				p.checkSelectGotos(pkg.fset, fp.file.ast)
			}
		}
	}
	for _, fp := range plans {
		sort.SliceStable(fp.Measures, func(i, j int) bool { return fp.Measures[i].Pos.Offset < fp.Measures[j].Pos.Offset })
		p.nameTargets(fp)
	}
	return plans
}

// underlyingErrors keeps the errors that say what is wrong: a file that
// does not parse is also reported by the go command (which compiled the
// package for export data, in a multi-line message of its own) and by the
// type checker (errors that follow from the broken syntax). So: the parse
// errors if there are any, else the type errors, else the go command's.
func underlyingErrors(errs []packages.Error) []packages.Error {
	for _, kind := range []packages.ErrorKind{packages.ParseError, packages.TypeError} {
		var out []packages.Error
		for _, e := range errs {
			if e.Kind == kind {
				out = append(out, e)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return errs
}

// inDir gives an error without a position the file its message starts
// with, when that is a bare file name (the go command's "x.go: parsing
// //go:build line: ..."), so that it is found in the package directory.
func inDir(dir string, e *Error) *Error {
	name, rest, ok := strings.Cut(e.Msg, ": ")
	if e.Pos.Filename != "" || dir == "" || !ok || !strings.HasSuffix(name, ".go") || strings.ContainsAny(name, "/\\ ") {
		return e
	}
	return &Error{Pos: token.Position{Filename: filepath.Join(dir, name)}, Msg: rest}
}

// packageError converts a go/packages error, whose position is a string.
func packageError(e packages.Error) *Error {
	pos := token.Position{}
	if e.Pos != "" && e.Pos != "-" {
		parts := strings.Split(e.Pos, ":")
		// file:line:col, where file may itself hold colons (Windows drives).
		if n := len(parts); n >= 3 {
			line, err1 := strconv.Atoi(parts[n-2])
			col, err2 := strconv.Atoi(parts[n-1])
			if err1 == nil && err2 == nil {
				pos = token.Position{Filename: strings.Join(parts[:n-2], ":"), Line: line, Column: col}
			}
		} else if n == 2 {
			if line, err := strconv.Atoi(parts[1]); err == nil {
				pos = token.Position{Filename: parts[0], Line: line}
			}
		}
	}
	msg := e.Msg
	if pos.Filename == "" && e.Pos != "" {
		msg = e.Pos + ": " + msg
	}
	return &Error{Pos: pos, Msg: msg + " (the package must build before hotpathgen can instrument it)"}
}

func (p *planner) checkCgoFile(pkg *loadedPackage, name string) {
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

// collectFuncs records the methods of a file (for type-wide measures) and
// numbers init functions as the compiler does.
func (p *planner) collectFuncs(st *pkgState, f *loadedFile) {
	for _, d := range f.ast.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok {
			continue
		}
		idx := -1
		if fd.Recv == nil && fd.Name.Name == "init" {
			idx = st.initCount
			st.initCount++
		}
		st.methods = append(st.methods, methodDecl{decl: fd, file: f, initIndex: idx})
	}
}

// findDirectives parses the directives of one file and attaches each to
// its target.
func (p *planner) findDirectives(st *pkgState, fp *FilePlan) {
	f := fp.file
	fset := st.pkg.fset
	owners := docOwners(f.ast)
	stmts := statementsByLine(fset, f.ast)
	seenMeasure := map[*ast.FuncDecl]bool{}
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
			switch d.Verb {
			case VerbMeasure, VerbSkip:
				p.attachDoc(st, fp, d, owners[c], seenMeasure)
			case VerbBlock:
				p.attachBlock(st, fp, d, stmts[fset.Position(g.End()).Line+1])
			case VerbChannel:
				if vs, ok := owners[c].(*ast.ValueSpec); ok {
					p.attachChannel(st, fp, d, vs, vs.Values)
					break
				}
				site := stmts[fset.Position(g.End()).Line+1]
				switch s := site.stmt.(type) {
				case *ast.AssignStmt:
					p.attachChannel(st, fp, d, s, s.Rhs)
				case *ast.DeclStmt:
					if gd, ok := s.Decl.(*ast.GenDecl); ok && gd.Tok == token.VAR && len(gd.Specs) == 1 {
						p.attachChannel(st, fp, d, s, gd.Specs[0].(*ast.ValueSpec).Values)
						break
					}
					p.attachChannel(st, fp, d, s, nil)
				default:
					p.attachChannel(st, fp, d, s, nil)
				}
			}
		}
	}
}

// startsLine reports whether only white space precedes pos on its line.
func startsLine(src []byte, pos token.Position) bool {
	for i := pos.Offset - 1; i >= 0 && i < len(src); i-- {
		switch src[i] {
		case '\n':
			return true
		case ' ', '\t', '\r':
		default:
			return i < 3 && string(src[:i+1]) == "\ufeff"[:i+1]
		}
	}
	return true
}

// docOwners maps each comment of a doc comment group to the declaration it
// documents.
func docOwners(f *ast.File) map[*ast.Comment]ast.Node {
	m := map[*ast.Comment]ast.Node{}
	add := func(g *ast.CommentGroup, n ast.Node) {
		if g == nil {
			return
		}
		for _, c := range g.List {
			if _, ok := m[c]; !ok {
				m[c] = n
			}
		}
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			add(d.Doc, d)
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					add(s.Doc, s)
					if !d.Lparen.IsValid() {
						add(d.Doc, s)
					}
					if st, ok := s.Type.(*ast.StructType); ok {
						for _, fld := range st.Fields.List {
							add(fld.Doc, fld)
						}
					}
				case *ast.ValueSpec:
					add(s.Doc, s)
					if !d.Lparen.IsValid() {
						add(d.Doc, s)
					}
				}
			}
			add(d.Doc, d)
		}
	}
	return m
}

// stmtSite is a statement in a statement list of a function body.
type stmtSite struct {
	stmt  ast.Stmt
	owner ast.Node // *ast.FuncDecl or *ast.FuncLit
}

// statementsByLine maps a line to the statement of a function body that
// starts on it (the first, when several do).
func statementsByLine(fset *token.FileSet, f *ast.File) map[int]stmtSite {
	m := map[int]stmtSite{}
	var owners []ast.Node
	var visit func(n ast.Node) bool
	addList := func(list []ast.Stmt) {
		if len(owners) == 0 {
			return
		}
		for _, s := range list {
			line := fset.Position(s.Pos()).Line
			if _, ok := m[line]; !ok {
				m[line] = stmtSite{stmt: s, owner: owners[len(owners)-1]}
			}
		}
	}
	visit = func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncDecl:
			if n.Body != nil {
				owners = append(owners, n)
				ast.Inspect(n.Body, visit)
				owners = owners[:len(owners)-1]
			}
			return false
		case *ast.FuncLit:
			owners = append(owners, n)
			ast.Inspect(n.Body, visit)
			owners = owners[:len(owners)-1]
			return false
		case *ast.BlockStmt:
			addList(n.List)
		case *ast.CaseClause:
			addList(n.Body)
		case *ast.CommClause:
			addList(n.Body)
		}
		return true
	}
	ast.Inspect(f, visit)
	return m
}

func describeNode(n ast.Node) string {
	switch n := n.(type) {
	case *ast.ValueSpec:
		return "a variable or constant"
	case *ast.Field:
		return "a struct field"
	case *ast.GenDecl:
		return "a " + strings.ToLower(n.Tok.String()) + " declaration group"
	case nil:
		return "nothing (it is not in the doc comment of a declaration)"
	}
	return fmt.Sprintf("%T", n)
}

func (p *planner) attachDoc(st *pkgState, fp *FilePlan, d Directive, owner ast.Node, seenMeasure map[*ast.FuncDecl]bool) {
	switch n := owner.(type) {
	case *ast.FuncDecl:
		if d.Verb == VerbSkip {
			if _, dup := st.skips[n]; dup {
				p.errorf(d.Pos, "//hotpath:skip given twice on %s", n.Name.Name)
				return
			}
			st.skips[n] = d
			return
		}
		if seenMeasure[n] {
			p.errorf(d.Pos, "//hotpath:measure given twice on %s", n.Name.Name)
			return
		}
		seenMeasure[n] = true
		if reason := cannotInstrument(fp.file, n); reason != "" {
			p.errorf(d.Pos, "cannot instrument %s: %s", n.Name.Name, reason)
			return
		}
		m := &Measure{Symbol: p.symbolFor(st, n), Pos: st.pkg.fset.Position(n.Pos()), Directive: d, decl: n}
		m.Name = m.Symbol
		if d.Label != "" {
			m.Name = d.Label
		}
		st.measured[n] = m
		fp.Measures = append(fp.Measures, m)
	case *ast.TypeSpec:
		if d.Verb == VerbSkip {
			p.errorf(d.Pos, "//hotpath:skip belongs on a method, not on type %s", n.Name.Name)
			return
		}
		if d.Label != "" {
			p.errorf(d.Pos, "//hotpath:measure on type %s takes no label: each method is reported under its own name", n.Name.Name)
			return
		}
		tn, _ := st.pkg.info.Defs[n.Name].(*types.TypeName)
		if tn == nil {
			p.errorf(d.Pos, "//hotpath:measure: no type information for %s", n.Name.Name)
			return
		}
		if tn.IsAlias() {
			p.errorf(d.Pos, "//hotpath:measure on alias %s: put it on the type the alias names", n.Name.Name)
			return
		}
		if _, ok := tn.Type().Underlying().(*types.Interface); ok {
			p.errorf(d.Pos, "//hotpath:measure on interface %s: interface methods have no bodies to instrument; measure the implementations", n.Name.Name)
			return
		}
		if _, dup := st.typeMeasures[tn]; dup {
			p.errorf(d.Pos, "//hotpath:measure given twice on type %s", n.Name.Name)
			return
		}
		st.typeMeasures[tn] = d
	default:
		what := "a method"
		if d.Verb == VerbMeasure {
			what = "a function, method or type"
		}
		p.errorf(d.Pos, "//hotpath:%s must be in the doc comment of %s; here it documents %s", d.Verb, what, describeNode(owner))
	}
}

// symbolFor returns the runtime symbol of a declaration of the package.
func (p *planner) symbolFor(st *pkgState, decl *ast.FuncDecl) string {
	idx := 0
	for _, m := range st.methods {
		if m.decl == decl {
			idx = m.initIndex
		}
	}
	return funcSymbol(st.pkg, decl, idx)
}

// applyTypeMeasures measures every method of a type marked as a whole,
// in whichever file of the package the method is declared.
func (p *planner) applyTypeMeasures(st *pkgState) {
	for _, md := range st.methods {
		tn := receiverType(st.pkg.info, md.decl)
		typeDir, typeMeasured := st.typeMeasures[tn]
		skip, skipped := st.skips[md.decl]
		switch {
		case skipped && md.decl.Recv == nil:
			p.errorf(skip.Pos, "//hotpath:skip on function %s has no effect: skip leaves a method out of its type's //hotpath:measure", md.decl.Name.Name)
			continue
		case skipped && !typeMeasured:
			p.errorf(skip.Pos, "//hotpath:skip on %s has no effect: its type has no //hotpath:measure", md.decl.Name.Name)
			continue
		case skipped && st.measured[md.decl] != nil:
			p.errorf(skip.Pos, "%s has both //hotpath:skip and //hotpath:measure", md.decl.Name.Name)
			continue
		case skipped:
			fp := st.files[md.file]
			fp.skips = append(fp.skips, skipTarget{skip, funcSymbol(st.pkg, md.decl, md.initIndex)})
			continue
		case !typeMeasured || st.measured[md.decl] != nil:
			continue
		}
		fp := st.files[md.file]
		if reason := cannotInstrument(md.file, md.decl); reason != "" {
			p.errorf(st.pkg.fset.Position(md.decl.Pos()), "cannot instrument %s (its type is marked //hotpath:measure at %s): %s; add //hotpath:skip to leave it out",
				md.decl.Name.Name, shortPos(typeDir.Pos), reason)
			continue
		}
		sym := funcSymbol(st.pkg, md.decl, md.initIndex)
		m := &Measure{Name: sym, Symbol: sym, Pos: st.pkg.fset.Position(md.decl.Pos()), Directive: typeDir, decl: md.decl}
		st.measured[md.decl] = m
		fp.Measures = append(fp.Measures, m)
	}
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

// nameTargets gives every target of a file the names its twin declares.
func (p *planner) nameTargets(fp *FilePlan) {
	used := map[string]int{}
	unique := func(base string) string {
		used[base]++
		if n := used[base]; n > 1 {
			return base + "_" + strconv.Itoa(n)
		}
		return base
	}
	stem := identName(strings.TrimSuffix(baseName(fp.Source), ".go"))
	for _, m := range fp.Measures {
		name := m.decl.Name.Name
		if t := recvTypeName(m.decl); t != "" {
			name = t + "_" + name
		}
		if name == "init" || name == "_" {
			name += "_" + stem
		}
		m.varName = unique("_hotpath_fn_" + identName(name))
	}
	for _, b := range fp.Blocks {
		b.varName = unique("_hotpath_blk_" + identName(b.Label))
	}
	for i, c := range fp.Channels {
		c.varName = unique("_hotpath_ch_" + stem + "_" + strconv.Itoa(i))
	}
}

func recvTypeName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return ""
	}
	t := fd.Recv.List[0].Type
	for {
		switch e := t.(type) {
		case *ast.StarExpr:
			t = e.X
			continue
		case *ast.ParenExpr:
			t = e.X
			continue
		case *ast.IndexExpr:
			t = e.X
			continue
		case *ast.IndexListExpr:
			t = e.X
			continue
		}
		break
	}
	return exprName(t)
}

func baseName(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[i+1:]
	}
	return path
}

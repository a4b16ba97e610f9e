package gen

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strconv"
	"strings"

	"github.com/dave/dst"
)

// The mutex kind: //hotpath:mutex [label=NAME] on the line before a
// sync.Mutex or sync.RWMutex variable (package-level or local) or struct
// field watches every mutex declared there. The mutex keeps its type; the
// twin declares a hotpath.MutexSite per directive, and in every file of the
// package every Lock, Unlock, TryLock (RLock, RUnlock, TryRLock, RLocker)
// called on a watched mutex is rewritten into a call of the runtime that
// takes the mutex's address and the site:
//
//	s.mu.Lock()          ->  hotpath.MutexLock(&_hotpath_mu_store_0, &s.mu)
//	defer s.mu.Unlock()  ->  defer hotpath.MutexUnlock(&_hotpath_mu_store_0, &s.mu)
//
// Any other use of a watched mutex in the package (its address taken, a
// copy, a method value) is an error: calls made through it could not be
// counted, and a hold time would be wrong. So is a call of a method
// promoted from a watched embedded mutex (c.Lock() for c.Mutex.Lock()):
// the twin's line would name a field that its source line does not, so
// the call must name the mutex.

// VerbMutex is the verb of the mutex kind.
const VerbMutex Verb = "mutex" // watch a sync.Mutex or sync.RWMutex

type mutexKind struct{}

func (mutexKind) verbs() []verbSpec {
	return []verbSpec{{verb: VerbMutex, label: true, usage: " (usage: //hotpath:mutex [label=NAME])"}}
}

func (mutexKind) newUnit(pp *pkgPlan) unit {
	return &mutexUnit{pp: pp, sites: map[*FilePlan][]*MutexSite{}, calls: map[*FilePlan][]*mutexCall{}, byObj: map[*types.Var]*MutexSite{}}
}

// mutexUnit plans the watched mutexes of one package and the calls on
// them.
type mutexUnit struct {
	pp    *pkgPlan
	sites map[*FilePlan][]*MutexSite
	calls map[*FilePlan][]*mutexCall
	byObj map[*types.Var]*MutexSite
}

// MutexSite is one variable or struct field marked with //hotpath:mutex.
type MutexSite struct {
	// Label names the row; empty means the default, Name.
	Label string
	// Name is the variable or field as reports name it by default:
	// pkg/path.mu, pkg/path.T.mu, or pkg/path.F.mu for a local variable.
	Name string
	// Type is "sync.Mutex" or "sync.RWMutex".
	Type string
	// Pos is where the variable or field is declared.
	Pos token.Position
	// Directive is the //hotpath:mutex comment.
	Directive Directive

	obj         *types.Var
	varName     string
	reportLabel string
}

// mutexCall is one method call on a watched mutex, to rewrite.
type mutexCall struct {
	call *ast.CallExpr
	site *MutexSite
	// fn is the runtime function that performs the call.
	fn string
	// path names the embedded fields that lead from the receiver written
	// to the mutex, for a promoted method (t.Lock() on an embedded mutex),
	// which finish refuses.
	path []string
	// ptr is true when the receiver written is already a pointer to the
	// mutex ((&s.mu).Lock()), to pass as is.
	ptr bool
}

// mutexMethods maps the methods of sync.Mutex and sync.RWMutex to the
// runtime functions that perform them.
var mutexMethods = map[string]map[string]string{
	"Mutex": {"Lock": "MutexLock", "Unlock": "MutexUnlock", "TryLock": "MutexTryLock"},
	"RWMutex": {
		"Lock": "RWMutexLock", "Unlock": "RWMutexUnlock", "TryLock": "RWMutexTryLock",
		"RLock": "RWMutexRLock", "RUnlock": "RWMutexRUnlock", "TryRLock": "RWMutexTryRLock",
		"RLocker": "RWMutexRLocker",
	},
}

// syncMutexName returns "Mutex" or "RWMutex" when t is sync.Mutex or
// sync.RWMutex, and "" otherwise.
func syncMutexName(t types.Type) string {
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || n.Obj().Pkg() == nil || n.Obj().Pkg().Path() != "sync" {
		return ""
	}
	if name := n.Obj().Name(); mutexMethods[name] != nil {
		return name
	}
	return ""
}

func (u *mutexUnit) attach(fp *FilePlan, d Directive, at *site) bool {
	switch n := at.doc.(type) {
	case *ast.Field:
		u.attachField(fp, d, n)
		return true
	case *ast.ValueSpec:
		u.attachVar(fp, d, n, symbolPackage(u.pp.pkg))
		return true
	case *ast.GenDecl:
		if n.Tok == token.VAR {
			u.pp.errorf(d.Pos, "//hotpath:mutex on a var block: put the directive on the line before the one variable it watches, inside the block")
			return true
		}
	}
	if ds, ok := at.next.stmt.(*ast.DeclStmt); ok && at.doc == nil {
		if gd, ok := ds.Decl.(*ast.GenDecl); ok && gd.Tok == token.VAR && len(gd.Specs) == 1 {
			owner := u.pp.ownerSymbol(at.next.owner)
			u.attachVar(fp, d, gd.Specs[0].(*ast.ValueSpec), owner)
			return true
		}
	}
	return false
}

func (u *mutexUnit) hint(Directive, *site) string {
	return "//hotpath:mutex must be on the line before a sync.Mutex or sync.RWMutex variable (var mu sync.Mutex) or struct field (mu sync.RWMutex)"
}

// attachField watches a struct field of a package-level type.
func (u *mutexUnit) attachField(fp *FilePlan, d Directive, fld *ast.Field) {
	info := u.pp.info()
	var id *ast.Ident
	switch {
	case len(fld.Names) == 1:
		id = fld.Names[0]
	case len(fld.Names) == 0: // embedded: sync.Mutex
		switch t := ast.Unparen(fld.Type).(type) {
		case *ast.SelectorExpr:
			id = t.Sel
		case *ast.Ident:
			id = t
		case *ast.StarExpr:
			u.pp.errorf(d.Pos, "//hotpath:mutex on an embedded pointer to a mutex: watch the mutex where it is declared, not a pointer to it")
			return
		}
	default:
		u.pp.errorf(d.Pos, "//hotpath:mutex on a field list that declares %d fields: declare the watched mutex on a line of its own", len(fld.Names))
		return
	}
	obj, _ := info.Defs[id].(*types.Var)
	if obj == nil {
		u.pp.errorf(d.Pos, "//hotpath:mutex: cannot resolve the field on the next line")
		return
	}
	typeName := u.structOf(fp, fld)
	if typeName == "" {
		u.pp.errorf(d.Pos, "//hotpath:mutex on a field of a struct type that has no name: watch a field of a named struct type")
		return
	}
	u.addSite(fp, d, obj, symbolPackage(u.pp.pkg)+"."+typeName+"."+obj.Name())
}

// structOf returns the name of the package-level type whose struct
// declares fld.
func (u *mutexUnit) structOf(fp *FilePlan, fld *ast.Field) string {
	for _, decl := range fp.file.ast.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue
		}
		for _, s := range gd.Specs {
			ts := s.(*ast.TypeSpec)
			if st, ok := ts.Type.(*ast.StructType); ok {
				for _, f := range st.Fields.List {
					if f == fld {
						return ts.Name.Name
					}
				}
			}
		}
	}
	return ""
}

// attachVar watches a variable; scope is what its name is qualified by.
func (u *mutexUnit) attachVar(fp *FilePlan, d Directive, vs *ast.ValueSpec, scope string) {
	if len(vs.Names) != 1 {
		u.pp.errorf(d.Pos, "//hotpath:mutex on a declaration of %d variables: declare the watched mutex on a line of its own", len(vs.Names))
		return
	}
	obj, _ := u.pp.info().Defs[vs.Names[0]].(*types.Var)
	if obj == nil {
		u.pp.errorf(d.Pos, "//hotpath:mutex: cannot resolve the variable on the next line")
		return
	}
	u.addSite(fp, d, obj, scope+"."+obj.Name())
}

func (u *mutexUnit) addSite(fp *FilePlan, d Directive, obj *types.Var, name string) {
	kind := syncMutexName(obj.Type())
	if kind == "" {
		if p, ok := types.Unalias(obj.Type()).(*types.Pointer); ok && syncMutexName(p.Elem()) != "" {
			u.pp.errorf(d.Pos, "//hotpath:mutex: %s is a pointer (%s); watch the mutex where it is declared, not a pointer to it",
				obj.Name(), types.TypeString(obj.Type(), packageName(u.pp.pkg.types)))
			return
		}
		u.pp.errorf(d.Pos, "//hotpath:mutex: %s has type %s; the directive watches a sync.Mutex or sync.RWMutex",
			obj.Name(), types.TypeString(obj.Type(), packageName(u.pp.pkg.types)))
		return
	}
	if u.byObj[obj] != nil {
		u.pp.errorf(d.Pos, "two //hotpath:mutex directives on %s", obj.Name())
		return
	}
	s := &MutexSite{
		Label:     d.Label,
		Name:      name,
		Type:      "sync." + kind,
		Pos:       u.pp.fset().Position(obj.Pos()),
		Directive: d,
		obj:       obj,
	}
	u.byObj[obj] = s
	u.sites[fp] = append(u.sites[fp], s)
}

// finish finds the calls on watched mutexes in every file of the package,
// and reports every other use of one.
func (u *mutexUnit) finish() {
	if len(u.byObj) == 0 {
		return
	}
	info := u.pp.info()
	for _, fp := range u.pp.files {
		// ok holds the identifiers that name a watched mutex where the
		// rewrite handles it: the receiver of a call, a composite
		// literal's key.
		ok := map[*ast.Ident]bool{}
		var bad []*ast.Ident
		parent := map[ast.Node]ast.Node{}
		var stack []ast.Node
		ast.Inspect(fp.file.ast, func(n ast.Node) bool {
			if n == nil {
				stack = stack[:len(stack)-1]
				return false
			}
			if len(stack) > 0 {
				parent[n] = stack[len(stack)-1]
			}
			stack = append(stack, n)
			switch n := n.(type) {
			case *ast.CallExpr:
				c := u.callOn(n)
				if c == nil {
					break
				}
				fun := ast.Unparen(n.Fun).(*ast.SelectorExpr)
				if len(c.path) > 0 {
					x := types.ExprString(fun.X)
					u.pp.errorf(u.pp.fset().Position(n.Pos()),
						"%s.%s() calls the method promoted from the watched embedded mutex %s; name the mutex in the call, %s.%s.%s(), so that hotpathgen can count it",
						x, fun.Sel.Name, c.site.Name, x, strings.Join(c.path, "."), fun.Sel.Name)
					break
				}
				u.calls[fp] = append(u.calls[fp], c)
				if id := receiverIdent(fun.X); id != nil {
					ok[id] = true
				}
			case *ast.KeyValueExpr:
				if id, isID := n.Key.(*ast.Ident); isID {
					ok[id] = true
				}
			case *ast.Ident:
				if v, isVar := info.Uses[n].(*types.Var); isVar && u.siteOf(v) != nil {
					bad = append(bad, n)
				}
			}
			return true
		})
		for _, id := range bad {
			if ok[id] {
				continue
			}
			s := u.siteOf(info.Uses[id].(*types.Var))
			u.pp.errorf(u.pp.fset().Position(id.Pos()),
				"%s watched mutex %s (//hotpath:mutex at %s): hotpathgen counts the calls of its methods made on it by name, so the lock operations done through it could not be counted; lock it by name (%s.Lock()), or remove the directive",
				misuse(id, parent), s.Name, shortPos(s.Directive.Pos), s.obj.Name())
		}
	}
}

// misuse says how an identifier that names a watched mutex uses it, other
// than as the receiver of a method call.
func misuse(id *ast.Ident, parent map[ast.Node]ast.Node) string {
	var e ast.Node = id
	if sel, isSel := parent[id].(*ast.SelectorExpr); isSel && sel.Sel == id {
		e = sel
	}
	p := parent[e]
	for {
		pe, isParen := p.(*ast.ParenExpr)
		if !isParen {
			break
		}
		e, p = pe, parent[pe]
	}
	switch p := p.(type) {
	case *ast.UnaryExpr:
		if p.Op == token.AND {
			return "taking the address of"
		}
	case *ast.SelectorExpr:
		if p.X == e {
			return "a method value or expression of"
		}
	}
	return "a copy of"
}

// siteOf returns the site of a watched variable or field, nil for one
// not watched. A field of an instance of a generic type is its declared
// field's.
func (u *mutexUnit) siteOf(v *types.Var) *MutexSite {
	if v == nil {
		return nil
	}
	return u.byObj[v.Origin()]
}

// receiverIdent returns the identifier that names the mutex in a call's
// receiver: mu, s.mu, (&s.mu).
func receiverIdent(x ast.Expr) *ast.Ident {
	x = ast.Unparen(x)
	if ue, ok := x.(*ast.UnaryExpr); ok && ue.Op == token.AND {
		x = ast.Unparen(ue.X)
	}
	switch x := x.(type) {
	case *ast.Ident:
		return x
	case *ast.SelectorExpr:
		return x.Sel
	}
	return nil
}

// callOn returns the rewrite of call when it calls a method of a watched
// mutex, and nil otherwise.
func (u *mutexUnit) callOn(call *ast.CallExpr) *mutexCall {
	info := u.pp.info()
	fun, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return nil
	}
	sel := info.Selections[fun]
	if sel == nil || sel.Kind() != types.MethodVal {
		return nil
	}
	m, ok := sel.Obj().(*types.Func)
	if !ok || m.Pkg() == nil || m.Pkg().Path() != "sync" {
		return nil
	}
	recv := m.Type().(*types.Signature).Recv()
	if recv == nil {
		return nil
	}
	ptr, ok := recv.Type().(*types.Pointer)
	if !ok {
		return nil
	}
	kind := syncMutexName(ptr.Elem())
	fn := mutexMethods[kind][m.Name()]
	if fn == "" {
		return nil
	}
	c := &mutexCall{call: call, fn: fn}
	idx := sel.Index()
	if len(idx) == 1 {
		// The receiver written is the mutex, or a pointer to it.
		x := ast.Unparen(fun.X)
		if ue, isAddr := x.(*ast.UnaryExpr); isAddr && ue.Op == token.AND {
			c.ptr = true
			x = ast.Unparen(ue.X)
		}
		var obj types.Object
		switch x := x.(type) {
		case *ast.Ident:
			obj = info.Uses[x]
		case *ast.SelectorExpr:
			obj = info.Uses[x.Sel]
		}
		v, _ := obj.(*types.Var)
		if c.site = u.siteOf(v); c.site == nil {
			return nil
		}
		return c
	}
	// Promoted through embedded fields: follow the path to the mutex.
	t := sel.Recv()
	for _, i := range idx[:len(idx)-1] {
		if p, isPtr := t.Underlying().(*types.Pointer); isPtr {
			t = p.Elem()
		}
		st, isStruct := t.Underlying().(*types.Struct)
		if !isStruct {
			return nil
		}
		f := st.Field(i)
		c.path = append(c.path, f.Name())
		if s := u.siteOf(f); s != nil && syncMutexName(f.Type()) == kind {
			c.site = s
		}
		t = f.Type()
	}
	if c.site == nil || syncMutexName(t) != kind {
		return nil
	}
	return c
}

// name names the sites' variables and gives each its report label.
func (u *mutexUnit) name(fp *FilePlan, n *namer) {
	for i, s := range u.sites[fp] {
		s.varName = n.unique("_hotpath_mu_" + n.stem + "_" + strconv.Itoa(i))
		s.reportLabel = s.Label
		if s.reportLabel == "" {
			s.reportLabel = s.Name
		}
	}
}

func (u *mutexUnit) needsTwin(fp *FilePlan) bool {
	return len(u.sites[fp]) > 0 || len(u.calls[fp]) > 0
}

func (u *mutexUnit) declare(fr *fileRewrite, w *strings.Builder) {
	for _, s := range u.sites[fr.fp] {
		site := fr.siteOf(s.Pos)
		fmt.Fprintf(w, "\t%s = %s.MutexSite{Label: %q, Type: %q, Site: %q}\n", s.varName, fr.hp, s.reportLabel, s.Type, site)
	}
}

func (u *mutexUnit) list(fp *FilePlan) []ListItem {
	var items []ListItem
	for _, s := range u.sites[fp] {
		items = append(items, listItem(VerbMutex, s.reportLabel, s.Type, s.Directive))
	}
	return items
}

// rewrite turns each call on a watched mutex into the runtime's:
// s.mu.Lock() becomes hp.MutexLock(&site, &s.mu), in place, so the
// statement keeps its line and its comments.
func (u *mutexUnit) rewrite(fr *fileRewrite) error {
	for _, c := range u.calls[fr.fp] {
		dc, ok := fr.dstNode(c.call).(*dst.CallExpr)
		if !ok {
			return fmt.Errorf("%s: the call at %s has no syntax to rewrite", fr.fp.Source, u.pp.fset().Position(c.call.Pos()))
		}
		fun := dstUnparen(dc.Fun).(*dst.SelectorExpr)
		recv := fun.X
		var arg dst.Expr
		if c.ptr {
			arg = dstUnparen(recv)
		} else {
			arg = &dst.UnaryExpr{Op: token.AND, X: recv}
		}
		dc.Fun = runtimeSel(fr.hp, c.fn)
		dc.Args = []dst.Expr{&dst.UnaryExpr{Op: token.AND, X: dst.NewIdent(c.site.varName)}, arg}
		dc.Ellipsis = false
	}
	return nil
}

// dstUnparen strips the parentheses around a dst expression.
func dstUnparen(e dst.Expr) dst.Expr {
	for {
		p, ok := e.(*dst.ParenExpr)
		if !ok {
			return e
		}
		e = p.X
	}
}

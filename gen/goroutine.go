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

// The goroutine kind: //hotpath:go [label=NAME] on the line before a go
// statement watches the goroutines it starts: started, finished, alive,
// peak alive, panicked, lifetimes.
//
// The go statement keeps its shape; only its function value is wrapped:
//
//	go w.loop(ctx, n)
//
// becomes
//
//	go hotpathimpl.GoFunc2R0(&_hotpath_go_w_0, w.loop).Run(ctx, n)
//
// GoFunc2R0 is the runtime's wrapper for functions of two parameters and
// no result (one per shape: parameter count, variadic, result count). It
// takes the go statement's time and returns a small generic struct that
// holds the site, the time and the function value; its Run method has the
// function's parameters, begins the goroutine's span, defers its end and
// calls the function. So the go statement evaluates the function value and
// then the arguments in the calling goroutine, in the order and with the
// typing of the original statement (the arguments are assigned to Run's
// parameters, which are the function's: untyped constants, untyped
// booleans and shifts, interfaces, variadic calls and f(g()) behave as
// before), and the goroutine runs Run. No temporaries, no closure in the
// user's function, no declaration but the site: the compiler's names of
// the function's literals (pkg.F.func1, ...) stay as they were.

// VerbGo is the verb of the goroutine kind.
const VerbGo Verb = "go" // watch the goroutines a go statement starts

type goKind struct{}

func (goKind) verbs() []verbSpec {
	return []verbSpec{{verb: VerbGo, label: true, usage: " (usage: //hotpath:go [label=NAME])"}}
}

func (goKind) newUnit(pp *pkgPlan) unit {
	return &goUnit{pp: pp, sites: map[*FilePlan][]*GoSite{}}
}

// goUnit plans the go sites of one package.
type goUnit struct {
	pp    *pkgPlan
	sites map[*FilePlan][]*GoSite
}

// GoSite is one go statement marked with //hotpath:go.
type GoSite struct {
	// Label names the row; empty means the default, pkg.F:go@LINE.
	Label string
	// Func is the symbol of the function that holds the go statement.
	Func string
	// Pos is where the go statement starts.
	Pos token.Position
	// Directive is the //hotpath:go comment.
	Directive Directive

	stmt  *ast.GoStmt
	shape goShape
	// varName is the package-level GoSite of the twin.
	varName string
	// reportLabel is the label the twin gives the site, as reports show it.
	reportLabel string
}

// goShape is what the runtime's wrapper of a called function needs to
// match its signature: how many parameters (the last one variadic or
// not) and results.
type goShape struct {
	params, results int
	variadic        bool
}

// The largest shape the runtime has a wrapper for
// (runtime/hotpathimpl/gocall.go, gocall_gen_test.go).
const (
	goMaxParams  = 8
	goMaxResults = 3
)

// wrapper names the runtime's wrapper of the shape: GoFunc2R0, GoFunc1VR2.
func (s goShape) wrapper() string {
	v := ""
	if s.variadic {
		v = "V"
	}
	return fmt.Sprintf("GoFunc%d%sR%d", s.params, v, s.results)
}

func (u *goUnit) attach(fp *FilePlan, d Directive, at *site) bool {
	s := at.next.stmt
	if s == nil {
		return false
	}
	inner := s
	if ls, ok := s.(*ast.LabeledStmt); ok {
		inner = ls.Stmt
	}
	gs, ok := inner.(*ast.GoStmt)
	if !ok {
		u.pp.errorf(d.Pos, "//hotpath:go must be on the line before a go statement; the next line holds %s", describeStmt(inner))
		return true
	}
	for _, prev := range u.sites[fp] {
		if prev.stmt == gs {
			u.pp.errorf(d.Pos, "two //hotpath:go directives on one go statement")
			return true
		}
	}
	shape, ok := u.shapeOf(d, gs.Call)
	if !ok {
		return true
	}
	u.sites[fp] = append(u.sites[fp], &GoSite{
		Label:     d.Label,
		Func:      u.pp.ownerSymbol(at.next.owner),
		Pos:       u.pp.fset().Position(gs.Pos()),
		Directive: d,
		stmt:      gs,
		shape:     shape,
	})
	return true
}

// shapeOf returns the shape of the function a go statement calls, or
// reports why the statement cannot be watched.
func (u *goUnit) shapeOf(d Directive, call *ast.CallExpr) (goShape, bool) {
	info := u.pp.info()
	fun := ast.Unparen(call.Fun)
	if id := calleeIdent(fun); id != nil {
		if b, ok := info.Uses[id].(*types.Builtin); ok {
			u.pp.errorf(d.Pos, "//hotpath:go: the go statement runs the builtin %s, which has no function value to wrap; watch a function that calls it: go func() { %s(...) }()", b.Name(), b.Name())
			return goShape{}, false
		}
		if _, generic := info.Instances[id]; generic {
			if _, explicit := fun.(*ast.IndexExpr); !explicit {
				if _, explicit := fun.(*ast.IndexListExpr); !explicit {
					u.pp.errorf(d.Pos, "//hotpath:go: the go statement calls the generic function %s with inferred type arguments; write them out (go %s[T](...)) so that the twin can take the function value", id.Name, id.Name)
					return goShape{}, false
				}
			}
		}
	}
	sig := funcCore(info.TypeOf(call.Fun))
	if sig == nil {
		u.pp.errorf(d.Pos, "//hotpath:go: cannot tell the signature of the function the go statement calls (%s)", types.TypeString(info.TypeOf(call.Fun), nil))
		return goShape{}, false
	}
	shape := goShape{params: sig.Params().Len(), results: sig.Results().Len(), variadic: sig.Variadic()}
	if shape.params > goMaxParams || shape.results > goMaxResults {
		u.pp.errorf(d.Pos, "//hotpath:go: the go statement calls a function of %d parameters and %d results; the runtime watches functions of up to %d parameters and %d results (pass a struct, or start a function literal that makes the call)",
			shape.params, shape.results, goMaxParams, goMaxResults)
		return goShape{}, false
	}
	return shape, true
}

// calleeIdent returns the identifier that names a called function or
// method: f, pkg.f, x.m, f[T], pkg.f[T] (nil for other callees).
func calleeIdent(fun ast.Expr) *ast.Ident {
	switch f := fun.(type) {
	case *ast.IndexExpr:
		return calleeIdent(ast.Unparen(f.X))
	case *ast.IndexListExpr:
		return calleeIdent(ast.Unparen(f.X))
	case *ast.Ident:
		return f
	case *ast.SelectorExpr:
		return f.Sel
	}
	return nil
}

// funcCore returns the signature of a called function's type: the type
// itself, its underlying type, or the one signature all types in a type
// parameter's set have.
func funcCore(t types.Type) *types.Signature {
	if t == nil {
		return nil
	}
	if tp, ok := types.Unalias(t).(*types.TypeParam); ok {
		iface, _ := tp.Constraint().Underlying().(*types.Interface)
		if iface == nil {
			return nil
		}
		var core *types.Signature
		for i := 0; i < iface.NumEmbeddeds(); i++ {
			var terms []types.Type
			if union, ok := iface.EmbeddedType(i).(*types.Union); ok {
				for j := 0; j < union.Len(); j++ {
					terms = append(terms, union.Term(j).Type())
				}
			} else {
				terms = append(terms, iface.EmbeddedType(i))
			}
			for _, term := range terms {
				s := funcCore(term)
				if s == nil || (core != nil && !types.Identical(s, core)) {
					return nil
				}
				core = s
			}
		}
		return core
	}
	sig, _ := t.Underlying().(*types.Signature)
	return sig
}

// describeStmt names a statement's kind for errors.
func describeStmt(s ast.Stmt) string {
	switch s := s.(type) {
	case *ast.ExprStmt:
		if _, ok := ast.Unparen(s.X).(*ast.CallExpr); ok {
			return "a call (add go, or move the directive)"
		}
		return "an expression statement"
	case *ast.DeferStmt:
		return "a defer statement"
	case *ast.AssignStmt:
		return "an assignment"
	case *ast.DeclStmt:
		return "a declaration"
	case *ast.ReturnStmt, *ast.BranchStmt:
		return "a " + stmtKind(s)
	case *ast.BlockStmt:
		return "a block"
	case *ast.IfStmt:
		return "an if statement"
	case *ast.ForStmt, *ast.RangeStmt:
		return "a for statement"
	case *ast.SwitchStmt, *ast.TypeSwitchStmt:
		return "a switch statement"
	case *ast.SelectStmt:
		return "a select statement"
	case *ast.SendStmt:
		return "a send statement"
	case *ast.IncDecStmt:
		return "an increment or decrement"
	}
	return "another statement"
}

func (u *goUnit) hint(Directive, *site) string {
	return "//hotpath:go must be on the line before a go statement inside a function body"
}

func (u *goUnit) finish() {}

// name names the sites' variables and gives each site its report label:
// the label given, else pkg.F:go@LINE with the line as stack frames show
// it.
func (u *goUnit) name(fp *FilePlan, n *namer) {
	for i, s := range u.sites[fp] {
		s.varName = n.unique("_hotpath_go_" + n.stem + "_" + strconv.Itoa(i))
		s.reportLabel = s.Label
		if s.reportLabel == "" {
			_, line := fp.finalLine(s.Pos)
			s.reportLabel = fmt.Sprintf("%s:go@%d", s.Func, line)
		}
	}
}

func (u *goUnit) needsTwin(fp *FilePlan) bool { return len(u.sites[fp]) > 0 }

func (u *goUnit) declare(fr *fileRewrite, w *strings.Builder) {
	for _, s := range u.sites[fr.fp] {
		site := fr.siteOf(s.Pos)
		fmt.Fprintf(w, "\t%s = %s.GoSite{Label: %q, Func: %q, Site: %q}\n", s.varName, fr.hp, s.reportLabel, s.Func, site)
	}
}

func (u *goUnit) list(fp *FilePlan) []ListItem {
	var items []ListItem
	for _, s := range u.sites[fp] {
		items = append(items, listItem(VerbGo, s.reportLabel, s.Func, s.Directive))
	}
	return items
}

// rewrite wraps the function value of every watched go statement in the
// runtime's wrapper of its shape.
func (u *goUnit) rewrite(fr *fileRewrite) error {
	for _, s := range u.sites[fr.fp] {
		gs, ok := fr.dstNode(s.stmt).(*dst.GoStmt)
		if !ok {
			return fmt.Errorf("%s: go statement at %s has no syntax in the twin", fr.fp.Source, shortPos(s.Pos))
		}
		fun := gs.Call.Fun
		gs.Call.Fun = &dst.SelectorExpr{
			X: &dst.CallExpr{
				Fun:  &dst.SelectorExpr{X: dst.NewIdent(fr.hp), Sel: dst.NewIdent(s.shape.wrapper())},
				Args: []dst.Expr{&dst.UnaryExpr{Op: token.AND, X: dst.NewIdent(s.varName)}, fun},
			},
			Sel: dst.NewIdent("Run"),
		}
	}
	return nil
}

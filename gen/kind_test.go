package gen

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dave/dst"
)

// litKind is a kind as phase B adds them, written only against the unit
// interface: //hotpath:measure as the first comment of a function literal
// times the literal. It shares its verb with the measure kind.
type litKind struct{}

func (litKind) verbs() []verbSpec {
	return []verbSpec{{verb: VerbMeasure, label: true, usage: " (usage: //hotpath:measure [label=NAME])"}}
}

func (litKind) newUnit(pp *pkgPlan) unit {
	return &litUnit{pp: pp, lits: map[*FilePlan][]*litTarget{}}
}

type litTarget struct {
	lit       *ast.FuncLit
	d         Directive
	label     string
	varName   string
	enclosing string
}

type litUnit struct {
	pp   *pkgPlan
	lits map[*FilePlan][]*litTarget
}

func (u *litUnit) attach(fp *FilePlan, d Directive, at *site) bool {
	if at.lit == nil {
		return false
	}
	u.lits[fp] = append(u.lits[fp], &litTarget{lit: at.lit, d: d, label: d.Label, enclosing: u.pp.ownerSymbol(at.lit)})
	return true
}

func (u *litUnit) hint(Directive, *site) string {
	return "to measure a function literal, make the directive the literal's first comment"
}

func (u *litUnit) finish() {}

func (u *litUnit) name(fp *FilePlan, n *namer) {
	for i, t := range u.lits[fp] {
		t.varName = n.unique("_hotpath_lit")
		if t.label == "" {
			t.label = fmt.Sprintf("%s.func%d", t.enclosing, i+1)
		}
	}
}

func (u *litUnit) needsTwin(fp *FilePlan) bool { return len(u.lits[fp]) > 0 }

func (u *litUnit) rewrite(fr *fileRewrite) error {
	for _, t := range u.lits[fr.fp] {
		lit := fr.dstNode(t.lit).(*dst.FuncLit)
		lit.Body.List = append(mustStmts(fmt.Sprintf("defer %s.Begin().End()", t.varName)), lit.Body.List...)
	}
	return nil
}

func (u *litUnit) declare(fr *fileRewrite, w *strings.Builder) {
	for _, t := range u.lits[fr.fp] {
		fmt.Fprintf(w, "\t%s = %s.Func{Name: %q}\n", t.varName, fr.hp, t.label)
	}
}

func (u *litUnit) list(fp *FilePlan) []ListItem {
	var items []ListItem
	for _, t := range u.lits[fp] {
		items = append(items, listItem(VerbMeasure, t.label, t.enclosing, t.d))
	}
	return items
}

// planSource type-checks one file of package p (no imports) and plans it
// with the kinds given.
func planSource(t *testing.T, src string, ks []kind) (*Plan, []*Error) {
	t.Helper()
	fset := token.NewFileSet()
	path := filepath.Join(t.TempDir(), "x.go")
	f, err := parser.ParseFile(fset, path, src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	info := &types.Info{
		Types: map[ast.Expr]types.TypeAndValue{}, Defs: map[*ast.Ident]types.Object{},
		Uses: map[*ast.Ident]types.Object{}, Selections: map[*ast.SelectorExpr]*types.Selection{},
		Scopes: map[ast.Node]*types.Scope{}, Implicits: map[ast.Node]types.Object{},
	}
	pkg, err := (&types.Config{}).Check("example.com/p", fset, []*ast.File{f}, info)
	if err != nil {
		t.Fatal(err)
	}
	lp := &loadedPackage{path: "example.com/p", name: "p", fset: fset, types: pkg, info: info}
	lp.files = []*loadedFile{{path: path, src: []byte(src), ast: f, pkg: lp}}
	return makePlanWith([]*loadedPackage{lp}, ks)
}

const litSource = `package p

//hotpath:measure
func F() int {
	g := func() int {
		//hotpath:measure label=inner
		return 1
	}
	return g()
}
`

// TestKindExtension adds a kind to the registry without touching any other
// file: it claims a verb another kind owns, plans, names, rewrites,
// declares and lists its targets, and makes the file need a twin.
func TestKindExtension(t *testing.T) {
	ks := append(kindsWithout(funcLitKind{}), litKind{})
	plan, errs := planSource(t, litSource, ks)
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	fp := plan.Files[0]
	if !fp.NeedsTwin() {
		t.Fatal("file needs no twin")
	}
	var got []string
	for _, it := range ListTargets(plan) {
		got = append(got, fmt.Sprintf("%s %s %s %d", it.Kind, it.Label, it.Target, it.Line))
	}
	want := []string{"measure example.com/p.F example.com/p.F 3", "measure inner example.com/p.F 6"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("list:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	out, err := rewriteFile(fp, "sum", 0)
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	for _, w := range []string{
		"g := func() int {\n\t\tdefer _hotpath_lit.Begin().End()\n",
		"func F() int {\n\tif !_hotpath_fn_F.Skip() {\n\t\tif _hotpath_s := _hotpath_fn_F.BeginAfterSkip(); _hotpath_s.Timed() {\n\t\t\tdefer _hotpath_s.End()\n",
		"_hotpath_lit  = " + runtimeName + ".Func{Name: \"inner\"}",
	} {
		if !strings.Contains(text, w) {
			t.Errorf("twin lacks %q:\n%s", w, text)
		}
	}
	// Without the kind, the literal's directive is the measure kind's error.
	_, errs = planSource(t, litSource, kindsWithout(funcLitKind{}))
	if len(errs) != 1 || !strings.HasSuffix(errs[0].Msg, "must be in the doc comment of a function, method or type; here it documents nothing (it is not in the doc comment of a declaration)") {
		t.Fatalf("errors without the kind: %v", errs)
	}
}

// TestUnclaimedHints: the error for a directive no unit claims joins the
// hints of every kind that owns its verb, in registry order.
func TestUnclaimedHints(t *testing.T) {
	src := "package p\n\nvar (\n\t//hotpath:measure\n\tx int\n)\n"
	_, errs := planSource(t, src, append(kinds[:len(kinds):len(kinds)], litKind{}))
	want := "//hotpath:measure must be in the doc comment of a function, method or type; here it documents a variable or constant; " +
		"to measure a function literal, make the directive the literal's first comment"
	if len(errs) != 1 || errs[0].Msg != want || errs[0].Pos.Line != 4 || errs[0].Pos.Column != 2 {
		t.Fatalf("errors: %v\nwant %q at 4:2", errs, want)
	}
}

// TestVerbsFromRegistry: the verb list of messages and the argument rules
// come from the kinds' verb specs.
func TestVerbsFromRegistry(t *testing.T) {
	var names []string
	for _, k := range kinds {
		for _, s := range k.verbs() {
			if !slices.Contains(names, string(s.verb)) { // a verb two kinds share is listed once
				names = append(names, string(s.verb))
			}
		}
	}
	if got := verbList(); got != strings.Join(names, ", ") || got != "measure, skip, block, channel, go, mutex" {
		t.Errorf("verbList() = %q, kinds list %q", got, names)
	}
	for _, tc := range []struct{ text, err string }{
		{"//hotpath:skip x=1", `//hotpath:skip: unknown option "x" (//hotpath:skip takes no arguments)`},
		{"//hotpath:block", "//hotpath:block needs a label: //hotpath:block NAME"},
		{"//hotpath:block label=a", ""},
		{"//hotpath:channel a", `//hotpath:channel: unexpected argument "a" (usage: //hotpath:channel [label=NAME])`},
		{"//hotpath:nope", "unknown directive //hotpath:nope: want one of measure, skip, block, channel, go, mutex"},
	} {
		_, err := ParseDirective(tc.text, token.Position{Filename: "x.go", Line: 1, Column: 1})
		msg := ""
		if err != nil {
			msg = err.(*Error).Msg
		}
		if msg != tc.err {
			t.Errorf("%s: error %q, want %q", tc.text, msg, tc.err)
		}
	}
}

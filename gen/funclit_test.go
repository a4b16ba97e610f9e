package gen

import (
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"
)

// closureCase is a package whose literals each start with mark("KEY"),
// and the names the compiler gives them in the tagged build. twinned files
// are compiled under their twin's name there.
type closureCase struct {
	name    string
	files   string
	twinned []string
	want    map[string]string
	// tests is true when the case has _test.go files: it is left out of
	// TestClosureNamesCompiler, which builds a program.
	tests bool
}

// markLib is the mark function of the cases: it records the name of the
// function that called it, as stack traces and pprof print it.
const markLib = `package p

import (
	"runtime"
	"sync"
)

// Marks has no initialiser: the literals' calls of mark do not make their
// initialisers wait for it.
var (
	markMu sync.Mutex
	Marks  map[string]string
)

func mark(key string) {
	var pcs [1]uintptr
	runtime.Callers(2, pcs[:])
	fr, _ := runtime.CallersFrames(pcs[:]).Next()
	markMu.Lock()
	if Marks == nil {
		Marks = map[string]string{}
	}
	Marks[key] = fr.Function
	markMu.Unlock()
}
`

var closureCases = []closureCase{
	{
		name: "functions",
		files: `
-- p.go --
package p

func F() {
	f := func() { mark("F1") }
	f()
	go func() {}()
	func(x int) { mark("F3") }(1)
	func() {
		mark("F4")
		func() { mark("F4.1") }()
		func() {
			mark("F4.2")
			func() { mark("F4.2.1") }()
		}()
	}()
	defer func() { mark("F5") }()
}

type T struct{}

func (T) V() { func() { mark("T.V1") }() }

func (*T) P() {
	func() { mark("T.P1") }()
	func() { mark("T.P2") }()
}

type S[X any] struct{ x X }

func (s *S[X]) M() { func() { mark("S.M1") }() }

func (s S[X]) N() { func() { mark("S.N1") }() }

func G[X any](x X) { func() { mark("G1") }() }

func Run() {
	F()
	var t T
	t.V()
	t.P()
	(&S[int]{}).M()
	S[string]{}.N()
	G(1)
	G("s")
}
`,
		want: map[string]string{
			"F1": "p.F.func1", "F3": "p.F.func3", "F4": "p.F.func4", "F4.1": "p.F.func4.1",
			"F4.2": "p.F.func4.2", "F4.2.1": "p.F.func4.2.1", "F5": "p.F.func5",
			"T.V1": "p.T.V.func1", "T.P1": "p.(*T).P.func1", "T.P2": "p.(*T).P.func2",
			"S.M1": "p.(*S[...]).M.func1", "S.N1": "p.S[...].N.func1", "G1": "p.G[...].func1",
		},
	},
	{
		// go f(x) and defer f(x) make wrappers (gowrap1, deferwrap1) and a
		// range-over-func body a closure (F-range1): none of them shifts
		// the numbers of the literals.
		name: "wrappers",
		files: `
-- p.go --
package p

func seq(yield func(int) bool) { yield(1) }

func work(int) {}

func W() {
	go work(1)
	defer work(2)
	for x := range seq {
		_ = x
		func() { mark("W1") }()
	}
	for range 2 {
	}
	done := make(chan bool)
	go func(x int) { mark("W2"); done <- true }(3)
	<-done
	f := func() { mark("W3") }
	f()
}

func Run() { W() }
`,
		want: map[string]string{"W1": "p.W.func1", "W2": "p.W.func2", "W3": "p.W.func3"},
	},
	{
		// Package-level literals are numbered in initialisation order: A
		// needs B, declared after it, and otherwise declaration order.
		name:  "pkglevel",
		files: pkgLevelFiles,
		want: map[string]string{
			"Hook": "p.init.func1", "Y": "p.init.func2", "After": "p.init.func3", "A2": "p.init.func4", "A2.1": "p.init.func4.1",
			"B": "p.init.func5", "A": "p.init.func6", "C": "p.init.func7",
			"init a.go": "p.init.0.func1", "init a_b.go": "p.init.1.func1",
		},
	},
	{
		// The same package with a twin for a.go: the tagged build
		// compiles a_hotpath.go, after a_b.go, which changes the
		// declaration order and the numbers of the init functions; and
		// Hook and Y (through use) refer to the twin's variable at its
		// end, so they wait for it.
		name:    "pkgtwin",
		twinned: []string{"a.go"},
		files:   pkgLevelFiles,
		want: map[string]string{
			"B": "p.init.func1", "C": "p.init.func2", "A": "p.init.func3", "After": "p.init.func4",
			"A2": "p.init.func5", "A2.1": "p.init.func5.1", "Hook": "p.init.func6", "Y": "p.init.func7",
			"init a_b.go": "p.init.0.func1", "init a.go": "p.init.1.func1",
		},
	},
	{
		// A test binary compiles the _test.go files after the others
		// (go test -n: ./a.go ./b.go ./a_test.go).
		name:  "testfiles",
		tests: true,
		files: `
-- a.go --
package p

func init() { func() { mark("init a.go") }() }
-- a_test.go --
package p

func init() { func() { mark("init a_test.go") }() }
-- b.go --
package p

func init() { func() { mark("init b.go") }() }
`,
		want: map[string]string{"init a.go": "p.init.0.func1", "init b.go": "p.init.1.func1", "init a_test.go": "p.init.2.func1"},
	},
}

// twinLines blanks the lines of src that end in "// twin" (keeping every
// position) and returns the offsets where they started.
func twinLines(src []byte) ([]byte, []int) {
	out := append([]byte(nil), src...)
	var sites []int
	start := 0
	for _, line := range strings.SplitAfter(string(src), "\n") {
		if strings.HasSuffix(strings.TrimRight(line, "\n"), "// twin") {
			trimmed := strings.TrimLeft(line, "\t ")
			if !strings.HasPrefix(trimmed, "var ") {
				sites = append(sites, start+len(line)-len(trimmed))
			}
			for i := start; i < start+len(strings.TrimRight(line, "\n")); i++ {
				out[i] = ' '
			}
		}
		start += len(line)
	}
	return out, sites
}

// checkClosureCase type-checks a case as package p and returns the
// closures of its marked literals by key.
func checkClosureCase(t *testing.T, c closureCase) (*loadedPackage, map[string]*closureInfo) {
	t.Helper()
	fset := token.NewFileSet()
	pkg := &loadedPackage{path: "p", name: "p", fset: fset}
	var files []*ast.File
	ar := txtar.Parse([]byte(strings.TrimPrefix(c.files, "\n")))
	twinned := setOf(c.twinned...)
	var sites []twinSite
	for _, f := range append(ar.Files, txtar.File{Name: "0mark.go", Data: []byte(markLib)}) {
		data, offs := twinLines(f.Data)
		af, err := parser.ParseFile(fset, f.Name, data, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		if twinned[f.Name] {
			tf := fset.File(af.Pos())
			for _, off := range offs {
				sites = append(sites, twinSite{tf.Pos(off), 0})
			}
		}
		files = append(files, af)
		pkg.files = append(pkg.files, &loadedFile{path: f.Name, src: data, ast: af, pkg: pkg})
	}
	pkg.info = &types.Info{
		Types: map[ast.Expr]types.TypeAndValue{}, Defs: map[*ast.Ident]types.Object{},
		Uses: map[*ast.Ident]types.Object{}, Selections: map[*ast.SelectorExpr]*types.Selection{},
	}
	tp, err := (&types.Config{Importer: importer.Default()}).Check("p", fset, files, pkg.info)
	if err != nil {
		t.Fatal(err)
	}
	pkg.types = tp
	names := closureNames(pkg, func(f *loadedFile) bool { return twinned[f.path] }, sites)
	byKey := map[string]*closureInfo{}
	for lit, ci := range names {
		if key := markKey(lit); key != "" {
			byKey[key] = ci
		}
	}
	return pkg, byKey
}

// markKey returns KEY when a literal's body starts with mark("KEY").
func markKey(lit *ast.FuncLit) string {
	if len(lit.Body.List) == 0 {
		return ""
	}
	es, ok := lit.Body.List[0].(*ast.ExprStmt)
	if !ok {
		return ""
	}
	call, ok := es.X.(*ast.CallExpr)
	if !ok || len(call.Args) != 1 {
		return ""
	}
	if id, ok := call.Fun.(*ast.Ident); !ok || id.Name != "mark" {
		return ""
	}
	lit2, ok := call.Args[0].(*ast.BasicLit)
	if !ok {
		return ""
	}
	s, _ := strconv.Unquote(lit2.Value)
	return s
}

func TestClosureNames(t *testing.T) {
	for _, c := range closureCases {
		t.Run(c.name, func(t *testing.T) {
			_, byKey := checkClosureCase(t, c)
			got := map[string]string{}
			for k, ci := range byKey {
				got[k] = ci.name
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("closure names (-want +got):\n%s", diff)
			}
		})
	}
}

// TestClosureNamesCompiler builds and runs every case with the compiler
// and compares the names the closures see themselves under (inlining off,
// as the twin keeps it around measured literals) with the table.
func TestClosureNamesCompiler(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	dir := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/names\n\ngo 1.26\n")
	var main strings.Builder
	main.WriteString("package main\n\nimport (\n\t\"fmt\"\n")
	var cases []closureCase
	for _, c := range closureCases {
		if !c.tests {
			cases = append(cases, c)
		}
	}
	for _, c := range cases {
		fmt.Fprintf(&main, "\t%s \"example.com/names/%s\"\n", c.name, c.name)
		twinned := setOf(c.twinned...)
		ar := txtar.Parse([]byte(strings.TrimPrefix(c.files, "\n")))
		for _, f := range append(ar.Files, txtar.File{Name: "0mark.go", Data: []byte(markLib)}) {
			name, data := f.Name, f.Data
			if twinned[name] {
				name = twinPath(name)
			} else {
				data, _ = twinLines(data)
			}
			write(c.name+"/"+name, string(data))
		}
	}
	main.WriteString(")\n\nfunc main() {\n")
	for _, c := range cases {
		fmt.Fprintf(&main, "\t%s.Run()\n\tfor k, v := range %s.Marks {\n\t\tfmt.Printf(\"%s %%s=%%s\\n\", k, v)\n\t}\n", c.name, c.name, c.name)
	}
	main.WriteString("}\n")
	write("main.go", main.String())
	cmd := exec.Command("go", "run", "-gcflags=all=-l", ".")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go run: %v\n%s", err, out)
	}
	got := map[string]map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, rest, _ := strings.Cut(line, " ")
		i := strings.LastIndex(rest, "=")
		if got[pkg] == nil {
			got[pkg] = map[string]string{}
		}
		got[pkg][rest[:i]] = strings.TrimPrefix(rest[i+1:], "example.com/names/"+pkg+".")
	}
	for _, c := range cases {
		want := map[string]string{}
		for k, v := range c.want {
			want[k] = strings.TrimPrefix(v, "p.")
		}
		if diff := cmp.Diff(want, got[c.name]); diff != "" {
			t.Errorf("%s: compiled names (-table +compiler):\n%s", c.name, diff)
		}
	}
}

// pkgLevelFiles has package-level literals. Lines that end in "// twin"
// are what a twin adds: a variable at its end, and references to it from
// the instrumented code. TestClosureNames blanks them and passes their
// positions as sites; the compiler sees them as written, in the twinned
// cases (the others compile them blanked too).
const pkgLevelFiles = `
-- a.go --
package p

var A = func() func() { mark("A"); return B }()

var Hook = func() {
	mark("Hook")
	_ = hpdep // twin
}

var Y = use(func() { mark("Y") })

var After = func() { mark("After") }

var A2 = func() {
	mark("A2")
	func() { mark("A2.1") }()
}

func use(f func()) int {
	_ = hpdep // twin
	f()
	return 1
}

func init() { func() { mark("init a.go") }() }

func Run() {
	A()
	Hook()
	After()
	A2()
	C.f()
}

var hpdep = 1 // twin
-- a_b.go --
package p

var B = func() { mark("B") }

var C = struct{ f func() }{f: func() { mark("C") }}

func init() { func() { mark("init a_b.go") }() }
`

func init() { badCases = append(badCases, litBadCases...) }

// kindsWithout is the registry without one kind, for tests that stand in a
// kind of their own for it.
func kindsWithout(k kind) []kind {
	var out []kind
	for _, r := range kinds {
		if r != k {
			out = append(out, r)
		}
	}
	return out
}

// litBadCases are the function literal directives hotpathgen must refuse;
// they join TestBadInput's cases.
var litBadCases = []badCase{
	{
		name: "litbad",
		files: `
-- litbad.go --
package litbad

func call(...func()) {}

func seq(yield func(int) bool) { yield(1) }

func NoLiteral() {
	//hotpath:measure
	println()
}

func TwoLiterals() {
	//hotpath:measure
	call(func() {}, func() {})
}

func Loop() {
	//hotpath:measure
	for range 2 {
		go func() {}()
	}
}

func Nested() {
	func() {
		println()
		//hotpath:measure
		go func() {}()
	}()
}

func RangeFunc() {
	for range seq {
		//hotpath:measure
		f := func() {}
		f()
	}
}

func Labels() {
	//hotpath:measure label=same
	go func() {}()
	//hotpath:measure label=same
	go func() {}()
}

func Twice() {
	//hotpath:measure
	go func() {
		//hotpath:measure
	}()
}

func Nothing() {
	println()
	//hotpath:measure
}

//hotpath:measure
var a, b = func() {}, func() {}
`,
		want: `
litbad/litbad.go:8:2: //hotpath:measure before a statement with no function literal: it measures a function literal (go func() {...}(), f := func() {...}, call(func() {...})); use //hotpath:block NAME to time a statement
litbad/litbad.go:13:2: //hotpath:measure before a statement with 2 function literals (at 14:7, 14:18): put the directive as the first line inside the body of the one to measure
litbad/litbad.go:18:2: //hotpath:measure before a range loop: it measures the function literal of a simple statement (go func() {...}(), f := func() {...}, call(func() {...})); put it on the line before that statement, or use //hotpath:block NAME to time this statement
litbad/litbad.go:27:3: cannot measure the function literal at litbad.go:28:6: it is inside the function literal at litbad.go:25:2, which the compiler may inline into its caller, renaming every closure in it; measure that literal too (a measured literal is never inlined)
litbad/litbad.go:34:3: cannot measure the function literal at litbad.go:35:8: it is in the body of the range-over-func loop at litbad.go:33:2, which the compiler turns into a closure and may inline with the iterator, renaming the literals in it; move the literal out of the loop body
litbad/litbad.go:43:2: label "same" is already used by the function literal at litbad.go:42:5: labels of measured literals are unique in a package
litbad/litbad.go:50:3: //hotpath:measure given twice on the function literal at litbad.go:49:5 (also at litbad.go:48:2)
litbad/litbad.go:56:2: //hotpath:measure must be in the doc comment of a function, method or type; here it documents nothing (it is not in the doc comment of a declaration); to measure a function literal, put //hotpath:measure on the line before the statement that holds it (go func() {...}(), f := func() {...}, call(func() {...})) or as the first line of its body
litbad/litbad.go:59:1: //hotpath:measure on a variable whose value holds 2 function literals (at 60:12, 60:23): put the directive as the first line inside the body of the one to measure
`,
	},
}

func TestLitEnclosureProblem(t *testing.T) {
	c := closureCase{name: "enclosure", files: `
-- p.go --
package p

func seq(yield func(int) bool) { yield(1) }

func F() {
	func() {
		mark("E1")
		func() { mark("L1") }()
	}()
	go func() {
		mark("E2")
		func() { mark("L2") }()
	}()
	for range seq {
		func() { mark("L3") }()
	}
	func() {
		mark("E4")
		go func() { func() { mark("L4") }() }()
	}()
	defer func() {
		mark("E5")
		func() { mark("L5") }()
	}()
}
`}
	pkg, byKey := checkClosureCase(t, c)
	names := closureNames(pkg, func(*loadedFile) bool { return false }, nil)
	measured := map[*ast.FuncLit]bool{byKey["E4"].lit: true}
	want := map[string]string{
		"L1": "it is inside the function literal at p.go:6:2, which the compiler may inline into its caller, renaming every closure in it; measure that literal too (a measured literal is never inlined)",
		"L2": "",
		"L3": "it is in the body of the range-over-func loop at p.go:14:2, which the compiler turns into a closure and may inline with the iterator, renaming the literals in it; move the literal out of the loop body",
		"L4": "",
		"L5": "",
	}
	for key, w := range want {
		ci := byKey[key]
		if ci == nil {
			t.Fatalf("no literal %s", key)
		}
		if got := litEnclosureProblem(pkg.fset, names[ci.lit], names, measured); got != w {
			t.Errorf("%s: got %q, want %q", key, got, w)
		}
	}
}

func TestLitStatementProblem(t *testing.T) {
	src := `package p

func call(...func()) {}

func F() {
	go func() {}()
	f := func() { func() {}() }
	call(func() {}, func() {})
	println()
	for {
		go func() {}()
	}
	switch {
	}
lbl:
	call(func() {})
	_ = f
	goto lbl
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	body := f.Decls[1].(*ast.FuncDecl).Body.List
	want := []struct {
		lit  bool
		prob string
	}{
		{true, ""},
		{true, ""},
		{false, "//hotpath:measure before a statement with 2 function literals (at 8:7, 8:18): put the directive as the first line inside the body of the one to measure"},
		{false, "//hotpath:measure before a statement with no function literal: it measures a function literal (go func() {...}(), f := func() {...}, call(func() {...})); use //hotpath:block NAME to time a statement"},
		{false, "//hotpath:measure before a for loop: it measures the function literal of a simple statement (go func() {...}(), f := func() {...}, call(func() {...})); put it on the line before that statement, or use //hotpath:block NAME to time this statement"},
		{false, "//hotpath:measure before a switch statement: it measures the function literal of a simple statement (go func() {...}(), f := func() {...}, call(func() {...})); put it on the line before that statement, or use //hotpath:block NAME to time this statement"},
		{true, ""},
	}
	for i, w := range want {
		lit, prob := litStatementProblem(fset, body[i])
		if (lit != nil) != w.lit || prob != w.prob {
			t.Errorf("statement %d: literal %v, problem %q; want literal %v, %q", i, lit != nil, prob, w.lit, w.prob)
		}
		if lit != nil && i == 1 && fset.Position(lit.Pos()).Column != 7 {
			t.Errorf("statement 1: measured the literal at %s, want the outer one", fset.Position(lit.Pos()))
		}
	}
}

func TestHoldsLit(t *testing.T) {
	src := `package p

func F() {
	f := func() {}
	go func() {}()
	println()
	for {
		f()
	}
lbl:
	_ = func() {}
	goto lbl
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	body := f.Decls[0].(*ast.FuncDecl).Body.List
	want := []bool{true, true, false, false, true, false}
	for i, w := range want {
		if got := holdsLit(body[i]); got != w {
			t.Errorf("statement %d: holdsLit %v, want %v", i, got, w)
		}
	}
	if holdsLit(nil) {
		t.Error("holdsLit(nil) is true")
	}
}

package gen

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/build"
	"go/format"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// FuzzParseDirective: the parser never panics; what it accepts has a verb
// and, for block, a label; its errors point into the comment; and a label
// it parsed, written back as a quoted string, parses to the same label.
func FuzzParseDirective(f *testing.F) {
	for _, s := range []string{
		"measure", "measure label=x", `measure label="two words"`, `measure label="a\"b"`,
		"measure label=", "measure label", "measure label=a label=b", `measure label=x"y`,
		`measure label="x`, `measure label="a"b`, "measure =x", "mesure", "", " measure",
		"skip", "skip x", "block", "block name", "block a b", "block label=x", `block "two words"`,
		"channel", "channel label=c", "channel\tlabel=c", "channel label=c\t", "measure label=\xff",
		`measure label="\xff"`, `measure label="\u00e9"`, "Measure", "MEASURE label=x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		text := directivePrefix + body
		pos := token.Position{Filename: "x.go", Offset: 100, Line: 7, Column: 3}
		d, err := ParseDirective(text, pos)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%q: error %T is not an *Error", text, err)
			}
			if e.Pos.Filename != pos.Filename || e.Pos.Line != pos.Line ||
				e.Pos.Column < pos.Column || e.Pos.Column > pos.Column+len(text) ||
				e.Pos.Offset-e.Pos.Column != pos.Offset-pos.Column {
				t.Fatalf("%q: error at %+v, outside the comment at %+v", text, e.Pos, pos)
			}
			if e.Msg == "" {
				t.Fatalf("%q: empty message", text)
			}
			return
		}
		switch d.Verb {
		case VerbMeasure, VerbChannel, VerbSkip:
		case VerbBlock:
			if d.Label == "" {
				t.Fatalf("%q: block without a label accepted", text)
			}
		default:
			t.Fatalf("%q: accepted with verb %q", text, d.Verb)
		}
		if d.Text != text || d.Pos != pos {
			t.Fatalf("%q: directive %+v does not keep its text and position", text, d)
		}
		// Parsing is a function of the text.
		if d2, err := ParseDirective(text, pos); err != nil || d2 != d {
			t.Fatalf("%q: second parse gave %+v, %v", text, d2, err)
		}
		if d.Label == "" || d.Verb == VerbSkip {
			return
		}
		for _, form := range []string{"label=" + strconv.Quote(d.Label), strconv.Quote(d.Label)} {
			if d.Verb != VerbBlock && !strings.HasPrefix(form, "label=") {
				continue
			}
			again := directivePrefix + string(d.Verb) + " " + form
			d2, err := ParseDirective(again, pos)
			if err != nil || d2.Verb != d.Verb || d2.Label != d.Label {
				t.Fatalf("%q parsed to label %q; %q parsed to %+v, %v", text, d.Label, again, d2, err)
			}
		}
	})
}

// fuzzImporter type-checks the fuzzed sources and their twins: the source
// importer, shared so that the standard library and the runtime are parsed
// once per process.
var (
	fuzzMu       sync.Mutex
	fuzzImporter types.Importer
	fuzzFset     *token.FileSet
	fuzzStd      map[string]bool // importable packages of the standard library
)

// fuzzPackagePath is the import path of the package of a fuzzed file,
// fuzzDir its directory (the file is never written).
const (
	fuzzPackagePath = "example.com/fuzz"
	fuzzDir         = "testdata/fuzz"
)

// generateSource runs the planner and the renderer on one source file
// parsed and type-checked in memory, as generate does for a file of a
// loaded package, without go/packages or the file system. It returns the
// source as generate leaves it and its twin (nil when the file needs
// none), or the errors generate reports; ok is false when the source is
// not Go that type-checks.
func generateSource(src []byte) (final, twin []byte, errs []*Error, ok bool, err error) {
	fuzzMu.Lock()
	defer fuzzMu.Unlock()
	if fuzzImporter == nil {
		out, err := exec.Command("go", "list", "std").Output()
		if err != nil {
			return nil, nil, nil, false, fmt.Errorf("go list std: %v", err)
		}
		fuzzStd = map[string]bool{}
		for _, p := range strings.Fields(string(out)) {
			if !strings.Contains(p, "internal") && !strings.HasPrefix(p, "vendor/") && !strings.HasPrefix(p, "cmd/") {
				fuzzStd[p] = true
			}
		}
		// The source importer reads build.Default; without cgo it never
		// runs the cgo tool (for net, os/user) and stays fast.
		build.Default.CgoEnabled = false
		fuzzFset = token.NewFileSet()
		fuzzImporter = importer.ForCompiler(fuzzFset, "source", nil)
	}
	fset := fuzzFset
	// A file in this module's directory, so that the source importer
	// finds the runtime the twin imports.
	path := filepath.Join(fuzzDir, "x.go")
	f, perr := parser.ParseFile(fset, path, src, parser.ParseComments)
	if perr != nil {
		return nil, nil, nil, false, nil
	}
	for _, imp := range f.Imports {
		// Only the standard library: anything else would make the
		// importer ask the go command, once per input. No cgo, and no
		// unsafe (linkname games).
		if p, _ := strconv.Unquote(imp.Path.Value); !fuzzStd[p] || p == "unsafe" {
			return nil, nil, nil, false, nil
		}
	}
	info := &types.Info{
		Types:        map[ast.Expr]types.TypeAndValue{},
		Instances:    map[*ast.Ident]types.Instance{},
		Defs:         map[*ast.Ident]types.Object{},
		Uses:         map[*ast.Ident]types.Object{},
		Implicits:    map[ast.Node]types.Object{},
		Selections:   map[*ast.SelectorExpr]*types.Selection{},
		Scopes:       map[ast.Node]*types.Scope{},
		FileVersions: map[*ast.File]string{},
	}
	conf := types.Config{Importer: fuzzImporter, Error: func(error) {}}
	pkg, terr := conf.Check(fuzzPackagePath, fset, []*ast.File{f}, info)
	if terr != nil {
		return nil, nil, nil, false, nil
	}
	lp := &loadedPackage{path: fuzzPackagePath, name: f.Name.Name, dir: fuzzDir, fset: fset, types: pkg, info: info}
	lp.files = []*loadedFile{{path: path, src: src, ast: f, pkg: lp}}
	plan, errs := makePlan([]*loadedPackage{lp})
	if len(errs) > 0 {
		return nil, nil, errs, true, nil
	}
	fp := plan.Files[0]
	h := findConstraint(src, f, fset)
	if !fp.NeedsTwin() {
		return src, nil, nil, true, nil
	}
	if err := checkConstraint(h, path, fset.Position(f.Package).Line); err != nil {
		return nil, nil, []*Error{err.(*Error)}, true, nil
	}
	final, shift := withSourceConstraint(src, h)
	twin, err = renderTwin(fp, final, h, shift)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, nil, []*Error{e}, true, nil
		}
		return nil, nil, nil, true, err
	}
	return final, twin, nil, true, nil
}

// typecheckTwin type-checks a twin on its own, as the hotpath build
// compiles it in place of its source.
func typecheckTwin(twin []byte) error {
	fuzzMu.Lock()
	defer fuzzMu.Unlock()
	f, err := parser.ParseFile(fuzzFset, filepath.Join(fuzzDir, "x_hotpath.go"), twin, parser.ParseComments)
	if err != nil {
		return err
	}
	var errs []error
	conf := types.Config{Importer: fuzzImporter, Error: func(err error) { errs = append(errs, err) }}
	conf.Check(fuzzPackagePath, fuzzFset, []*ast.File{f}, nil)
	return errors.Join(errs...)
}

// Directives FuzzGenerate adds, by bit of its mode argument.
const (
	addMeasure = 1 << iota // //hotpath:measure on every function with a body
	addBlock               // //hotpath:block on every statement that starts a line in a body
	addChannel             // //hotpath:channel on every statement that makes one channel
)

// addDirectives inserts directive lines into src as mode says.
func addDirectives(src []byte, mode uint8) []byte {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", src, parser.ParseComments)
	if err != nil {
		return src
	}
	type insert struct {
		off  int
		text string
	}
	var ins []insert
	// lineStart returns where pos's line starts and its indentation, if
	// only white space precedes pos on it.
	lineStart := func(pos token.Pos) (int, string, bool) {
		off := fset.Position(pos).Offset
		start := bytes.LastIndexByte(src[:off], '\n') + 1
		indent := string(src[start:off])
		return start, indent, strings.Trim(indent, " \t") == ""
	}
	n := 0
	visit := func(node ast.Node) bool {
		switch node := node.(type) {
		case *ast.FuncDecl:
			if mode&addMeasure != 0 && node.Body != nil && !hasCompilerDirective(node) {
				if start, indent, ok := lineStart(node.Pos()); ok {
					ins = append(ins, insert{start, indent + "//hotpath:measure\n"})
				}
			}
		case *ast.BlockStmt:
			for _, s := range node.List {
				start, indent, ok := lineStart(s.Pos())
				if !ok {
					continue
				}
				if mode&addBlock != 0 {
					switch s.(type) {
					case *ast.ReturnStmt, *ast.BranchStmt, *ast.EmptyStmt, *ast.DeferStmt, *ast.GoStmt, *ast.DeclStmt, *ast.LabeledStmt,
						*ast.CaseClause, *ast.CommClause: // the clauses of a switch or select body
					default:
						n++
						ins = append(ins, insert{start, fmt.Sprintf("%s//hotpath:block b%d\n", indent, n)})
					}
				}
				if as, isAssign := s.(*ast.AssignStmt); isAssign && mode&addChannel != 0 && len(as.Rhs) == 1 && isMakeChanSyntax(as.Rhs[0]) {
					ins = append(ins, insert{start, indent + "//hotpath:channel\n"})
				}
			}
		}
		return true
	}
	ast.Inspect(f, visit)
	sort.SliceStable(ins, func(i, j int) bool { return ins[i].off > ins[j].off })
	out := append([]byte(nil), src...)
	for _, in := range ins {
		out = append(out[:in.off], append([]byte(in.text), out[in.off:]...)...)
	}
	return out
}

// FuzzGenerate: for every Go file that type-checks, with directives added,
// generate either reports errors with positions or writes a twin that
// parses, is gofmt-clean, carries a valid header and checksum, and
// type-checks in place of its source; the source changes only by its
// constraint line. The seed corpus is in testdata/fuzz/FuzzGenerate.
func FuzzGenerate(f *testing.F) {
	f.Add([]byte("package p\n\nfunc F(x int) int {\n\tif x > 0 {\n\t\treturn x\n\t}\n\treturn -x\n}\n"), uint8(addMeasure|addBlock))
	f.Fuzz(func(t *testing.T, src []byte, mode uint8) {
		if len(src) > 1<<14 || !utf8.Valid(src) {
			return
		}
		src = addDirectives(src, mode)
		final, twin, errs, ok, err := generateSource(src)
		if !ok {
			return // not Go that type-checks
		}
		if err != nil {
			t.Fatalf("generate failed:\n%v\nsource:\n%s", err, src)
		}
		for _, e := range errs {
			if e.Pos.Filename == "" || e.Pos.Line < 1 || e.Msg == "" {
				t.Fatalf("error without a position or message: %+v\nsource:\n%s", e, src)
			}
		}
		if twin == nil {
			return
		}
		if h, _ := findConstraintIn(final); !strings.Contains(h, "!hotpath") {
			t.Fatalf("the source's constraint is %q, want one with !hotpath\nsource:\n%s", h, final)
		}
		if fmtd, err := format.Source(twin); err != nil || !bytes.Equal(fmtd, twin) {
			t.Fatalf("twin is not gofmt-clean (err %v):\n%s\nsource:\n%s", err, twin, src)
		}
		if generatedSource(twin) != "x.go" || !verifyChecksum(twin) {
			t.Fatalf("twin header or checksum is wrong:\n%s", twin)
		}
		if err := typecheckTwin(twin); err != nil {
			t.Fatalf("twin does not type-check: %v\ntwin:\n%s\nsource:\n%s", err, twin, src)
		}
		if errs := statementLineErrors("x.go", final, twin); len(errs) > 0 {
			t.Fatalf("twin maps statements to the wrong lines:\n%s\ntwin:\n%s\nsource:\n%s", strings.Join(errs, "\n"), twin, final)
		}
	})
}

// findConstraintIn returns the //go:build line of a source.
func findConstraintIn(src []byte) (string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", src, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		return "", err
	}
	return findConstraint(src, f, fset).text, nil
}

// TestFuzzHarness keeps FuzzGenerate honest: its seeds type-check and
// produce twins (or errors), and the twin check rejects a twin that does
// not type-check.
func TestFuzzHarness(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzGenerate", "*"))
	if err != nil || len(paths) < 20 {
		t.Fatalf("seed corpus: %d files, %v", len(paths), err)
	}
	twins, failed := 0, 0
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(data), "\n")
		if len(lines) < 3 || lines[0] != "go test fuzz v1" {
			t.Fatalf("%s: not a corpus file", path)
		}
		q, _ := strings.CutPrefix(lines[1], "[]byte(")
		src, err := strconv.Unquote(strings.TrimSuffix(q, ")"))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		m, _ := strings.CutPrefix(lines[2], "byte(")
		mode, _, _, err := strconv.UnquoteChar(strings.Trim(strings.TrimSuffix(m, ")"), "'"), '\'')
		if err != nil {
			t.Fatalf("%s: mode: %v", path, err)
		}
		final, twin, errs, ok, err := generateSource(addDirectives([]byte(src), uint8(mode)))
		switch {
		case err != nil:
			t.Errorf("%s: %v", path, err)
		case !ok:
			t.Errorf("%s: the seed does not type-check", path)
		case twin != nil:
			twins++
			if err := typecheckTwin(twin); err != nil {
				t.Errorf("%s: %v", path, err)
			}
			for _, e := range statementLineErrors("x.go", final, twin) {
				t.Errorf("%s: %s", path, e)
			}
		case len(errs) > 0:
			failed++
			t.Logf("%s: %v", filepath.Base(path), ErrorList(errs))
		}
	}
	t.Logf("%d seeds, %d twins, %d with errors", len(paths), twins, failed)
	if twins < len(paths)/2 {
		t.Errorf("only %d of %d seeds give a twin", twins, len(paths))
	}
	_, twin, _, _, _ := generateSource([]byte("package p\n\n//hotpath:measure\nfunc F() {}\n"))
	if twin == nil {
		t.Fatal("no twin")
	}
	broken := bytes.Replace(twin, []byte(".Skip()"), []byte(".Nope()"), 1)
	if typecheckTwin(broken) == nil {
		t.Error("a twin that calls a missing method type-checks")
	}
}

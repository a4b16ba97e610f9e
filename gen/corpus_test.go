package gen

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// corpus is code no one here wrote: packages of the Go distribution that
// import nothing internal to it, so they build as an ordinary module.
var corpus = []string{
	"container/heap", "container/list", "container/ring", "encoding/base32", "encoding/csv",
	"encoding/hex", "html", "image/color", "index/suffixarray", "mime/quotedprintable",
	"net/rpc", "regexp/syntax", "text/scanner", "text/tabwriter", "text/template/parse",
}

// TestCorpus copies the corpus into a temporary module, puts
// //hotpath:measure on every function with a body and //hotpath:channel on
// every statement that makes a channel, generates, and runs the packages'
// own tests in both builds. They must pass: what breaks is fixed in the
// generator, never in the corpus. It takes about a minute; -short skips it.
func TestCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: copies and tests part of the standard library")
	}
	goroot := strings.TrimSpace(goOutput(t, "", "env", "GOROOT"))
	dir := t.TempDir()
	const mod = "example.com/corpus"
	writeModule(t, dir, nil)
	relocated := map[string]string{}
	for _, p := range corpus {
		relocated[p] = mod + "/" + p
	}
	directives := 0
	for _, p := range corpus {
		directives += copyCorpusPackage(t, filepath.Join(goroot, "src", filepath.FromSlash(p)), filepath.Join(dir, filepath.FromSlash(p)), relocated)
	}
	if directives < 500 {
		t.Fatalf("only %d directives inserted; the corpus copy is broken", directives)
	}
	res, err := Run(Config{Dir: dir, Patterns: []string{"./..."}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 {
		t.Fatalf("generate failed on the corpus:\n%s", relErrors(dir, res.Errors))
	}
	if err := Apply(res.Changes); err != nil {
		t.Fatal(err)
	}
	twins := 0
	for _, c := range res.Changes {
		if c.Kind == WriteTwin {
			twins++
		}
	}
	t.Logf("%d directives, %d twins", directives, twins)
	if keep := os.Getenv("HOTPATH_CORPUS_KEEP"); keep != "" {
		// For debugging: leave a copy of the instrumented corpus behind.
		if err := os.CopyFS(keep, os.DirFS(dir)); err != nil {
			t.Log(err)
		}
	}
	goCmd(t, dir, "vet", "-tags", "hotpath", "./...")
	// -short: measuring every function of a package makes its long tests
	// (index/suffixarray's exhaustive ones) many times slower.
	goCmd(t, dir, "test", "-short", "-count=1", "-timeout=300s", "-tags", "hotpath", "./...")
	goCmd(t, dir, "test", "-short", "-count=1", "-timeout=300s", "./...")
}

func goOutput(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v", strings.Join(args, " "), err)
	}
	return string(out)
}

// copyCorpusPackage copies one package directory (and its testdata),
// relocating imports of corpus packages into the module and adding
// directives. It returns how many directives it added.
func copyCorpusPackage(t *testing.T, from, to string, relocated map[string]string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		if d.IsDir() {
			if path != from && !strings.HasPrefix(rel, "testdata") {
				return filepath.SkipDir // subpackages are listed in corpus on their own
			}
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.HasSuffix(path, ".go") && !strings.HasPrefix(rel, "testdata") {
			var added int
			data, added = instrumentCorpusFile(t, path, data, relocated)
			n += added
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// instrumentCorpusFile adds a directive line before every function with a
// body and every statement that makes a channel, and relocates imports.
func instrumentCorpusFile(t *testing.T, path string, src []byte, relocated map[string]string) ([]byte, int) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, src, parser.ParseComments)
	if err != nil {
		t.Fatalf("corpus file does not parse: %v", err)
	}
	type insert struct {
		offset int
		text   string
	}
	var ins []insert
	lineStart := func(pos token.Pos) (int, string) {
		off := fset.Position(pos).Offset
		start := bytes.LastIndexByte(src[:off], '\n') + 1
		return start, string(src[start:off])
	}
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		if to, ok := relocated[p]; ok {
			ins = append(ins, insert{fset.Position(imp.Path.Pos()).Offset, "\x00" + strconv.Quote(to) + "\x00" + imp.Path.Value})
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncDecl:
			if n.Body != nil && !hasCompilerDirective(n) {
				start, _ := lineStart(n.Pos())
				ins = append(ins, insert{start, "//hotpath:measure\n"})
			}
		case *ast.AssignStmt:
			if len(n.Rhs) == 1 && isMakeChanSyntax(n.Rhs[0]) {
				start, indent := lineStart(n.Pos())
				ins = append(ins, insert{start, indent + "//hotpath:channel\n"})
			}
		}
		return true
	})
	sort.SliceStable(ins, func(i, j int) bool { return ins[i].offset > ins[j].offset })
	out := append([]byte(nil), src...)
	added := 0
	for _, in := range ins {
		if strings.HasPrefix(in.text, "\x00") {
			parts := strings.Split(in.text, "\x00")
			out = append(out[:in.offset], append([]byte(parts[1]), out[in.offset+len(parts[2]):]...)...)
			continue
		}
		out = append(out[:in.offset], append([]byte(in.text), out[in.offset:]...)...)
		added++
	}
	return out, added
}

// hasCompilerDirective reports functions whose doc has a //go: directive
// that forbids instrumentation (hotpathgen refuses those, by design).
func hasCompilerDirective(fd *ast.FuncDecl) bool {
	if fd.Doc == nil {
		return false
	}
	for _, c := range fd.Doc.List {
		for _, d := range compilerDirectivesForbidden {
			if strings.HasPrefix(c.Text, d) {
				return true
			}
		}
	}
	return false
}

func isMakeChanSyntax(e ast.Expr) bool {
	call, ok := e.(*ast.CallExpr)
	if !ok || len(call.Args) == 0 {
		return false
	}
	id, ok := call.Fun.(*ast.Ident)
	if !ok || id.Name != "make" {
		return false
	}
	_, isChan := call.Args[0].(*ast.ChanType)
	return isChan
}

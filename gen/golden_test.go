package gen

import (
	"bytes"
	"flag"
	"go/format"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite the want sections of testdata/gen/*.txtar")

// repoRoot is the module root, for the replace directive of test modules.
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// writeModule writes the files of an archive (except want/) into dir, with
// a go.mod that builds against this repository's runtime.
func writeModule(t testing.TB, dir string, ar *txtar.Archive) {
	t.Helper()
	root := repoRoot(t)
	hasMod := false
	if ar == nil {
		ar = &txtar.Archive{}
	}
	for _, f := range ar.Files {
		if strings.HasPrefix(f.Name, "want/") {
			continue
		}
		if f.Name == "go.mod" {
			hasMod = true
		}
		path := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !hasMod {
		mod := "module " + modulePathFor(ar) + "\n\ngo 1.26\n\nrequire github.com/hotpath-go/hotpath v0.0.0\n\nreplace github.com/hotpath-go/hotpath => " + root + "\n"
		if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
	goCmd(t, dir, "mod", "tidy")
}

// modulePathFor names the test module: example.com/golden for golden
// cases, example.com/corpus for the corpus (an empty archive).
func modulePathFor(ar *txtar.Archive) string {
	if len(ar.Files) == 0 {
		return "example.com/corpus"
	}
	return "example.com/golden"
}

// snapshotTree returns every regular file under dir, by slash path.
func snapshotTree(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = data
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// relErrors prints errors with paths relative to dir, one per line.
func relErrors(dir string, errs []*Error) string {
	var b strings.Builder
	for _, e := range errs {
		p := e.Pos
		if rel, err := filepath.Rel(dir, p.Filename); err == nil && p.Filename != "" {
			p.Filename = filepath.ToSlash(rel)
		}
		if p.Filename == "" {
			b.WriteString(e.Msg + "\n")
			continue
		}
		b.WriteString(p.String() + ": " + e.Msg + "\n")
	}
	return b.String()
}

// goCmd runs the go command in dir and fails the test with its output.
func goCmd(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestGolden runs every case of testdata/gen: generate into a temporary
// module, compare the twins and edited sources with the want/ sections,
// check that the output is gofmt-clean and that a second run changes
// nothing, build and test the module untagged and with -tags hotpath (each
// case's tests assert behaviour, and its //go:build hotpath tests assert the
// report), and finally clean, which must restore every source exactly.
func TestGolden(t *testing.T) {
	cases, err := filepath.Glob(filepath.Join(repoRoot(t), "testdata", "gen", "*.txtar"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, path := range cases {
		name := strings.TrimSuffix(filepath.Base(path), ".txtar")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runGolden(t, path)
		})
	}
}

func runGolden(t *testing.T, path string) {
	ar, err := txtar.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeModule(t, dir, ar)
	before := snapshotTree(t, dir)

	res, err := Run(Config{Dir: dir, Patterns: []string{"./..."}})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := map[string][]byte{}
	for _, f := range ar.Files {
		if rest, ok := strings.CutPrefix(f.Name, "want/"); ok {
			want[rest] = f.Data
		}
	}
	got := map[string][]byte{}
	if len(res.Errors) > 0 {
		got["errors"] = []byte(relErrors(dir, res.Errors))
	} else {
		if err := Apply(res.Changes); err != nil {
			t.Fatalf("Apply: %v", err)
		}
		after := snapshotTree(t, dir)
		for name, data := range after {
			if !bytes.Equal(before[name], data) {
				got[name] = data
			}
		}
		for name := range before {
			if _, ok := after[name]; !ok {
				got[name] = nil
			}
		}
	}
	if *update {
		rewriteWant(t, path, ar, got)
		return
	}
	names := map[string]bool{}
	for n := range want {
		names[n] = true
	}
	for n := range got {
		names[n] = true
	}
	for n := range names {
		if diff := cmp.Diff(string(want[n]), string(got[n])); diff != "" {
			t.Errorf("%s differs from want/%s (-want +got; run go test ./gen -run TestGolden -update to accept):\n%s", n, n, diff)
		}
	}
	if len(res.Errors) > 0 {
		// Nothing may be written when there are errors.
		if diff := cmp.Diff(before, snapshotTree(t, dir)); diff != "" {
			t.Errorf("files changed although generate failed:\n%s", diff)
		}
		return
	}
	for name, data := range got {
		if old, ok := before[name]; ok && !isGofmtClean(old) {
			continue // a source that was not gofmt-clean (CRLF, a BOM) keeps its form
		}
		if strings.HasSuffix(name, ".go") && data != nil {
			if f, err := format.Source(data); err != nil || !bytes.Equal(f, data) {
				t.Errorf("%s is not gofmt-clean (err %v)", name, err)
			}
		}
	}
	checkTwinLines(t, got, snapshotTree(t, dir))
	again, err := Run(Config{Dir: dir, Patterns: []string{"./..."}})
	if err != nil || len(again.Errors) > 0 || len(again.Changes) > 0 {
		t.Fatalf("second run is not a no-op: err %v, errors %v, changes %d", err, again.Errors, len(again.Changes))
	}
	goCmd(t, dir, "vet", "./...")
	goCmd(t, dir, "vet", "-tags", "hotpath", "./...")
	goCmd(t, dir, "test", "-count=1", "./...")
	goCmd(t, dir, "test", "-count=1", "-tags", "hotpath", "./...")

	changes, err := Clean(Config{Dir: dir, Patterns: []string{"./..."}})
	if err != nil {
		t.Fatal(err)
	}
	if err := Apply(changes); err != nil {
		t.Fatal(err)
	}
	after := snapshotTree(t, dir)
	for _, f := range []string{"go.mod", "go.sum"} { // the go command may add requirements
		delete(before, f)
		delete(after, f)
	}
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("clean did not restore the tree (-before +after):\n%s", diff)
	}
}

func isGofmtClean(src []byte) bool {
	f, err := format.Source(src)
	return err == nil && bytes.Equal(f, src)
}

func rewriteWant(t *testing.T, path string, ar *txtar.Archive, got map[string][]byte) {
	var files []txtar.File
	for _, f := range ar.Files {
		if !strings.HasPrefix(f.Name, "want/") {
			files = append(files, f)
		}
	}
	var names []string
	for n := range got {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		data := got[n]
		if data == nil {
			data = []byte("(deleted)\n")
		}
		files = append(files, txtar.File{Name: "want/" + n, Data: data})
	}
	ar.Files = files
	if err := os.WriteFile(path, txtar.Format(ar), 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkTwinLines runs statementLineErrors on every twin among files (by
// slash path), against its source in tree.
func checkTwinLines(t *testing.T, files, tree map[string][]byte) {
	t.Helper()
	for name, data := range files {
		srcBase := generatedSource(data)
		if srcBase == "" {
			continue
		}
		srcName := path.Join(path.Dir(name), srcBase)
		for _, e := range statementLineErrors(srcName, tree[srcName], data) {
			t.Errorf("%s: %s", name, e)
		}
	}
}

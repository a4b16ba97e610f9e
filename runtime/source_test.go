package hotpath

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sourceHash is the hash hotpathgen records for a source file.
func sourceHash(data string) string {
	s := sha256.Sum256([]byte(data))
	return hex.EncodeToString(s[:16])
}

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestStaleSources: a source is stale when the file it names, found
// through the innermost enclosing module whose path prefixes the package,
// no longer has the recorded hash; sources it cannot find are not reported.
func TestStaleSources(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"go.mod":       "module example.com/m\n\ngo 1.26\n",
		"p/x.go":       "package p // edited\n",
		"p/y.go":       "package p\n",
		"top.go":       "package m\n",
		"inner/go.mod": "module \"example.com/inner\"\n",
		"inner/q/z.go": "package q // edited\n",
		"x/w.go":       "package mx\n", // where example.com/mx would be if it were in example.com/m
	})
	roots := []moduleRoot{{"example.com/inner", filepath.Join(root, "inner")}, {"example.com/m", root}}
	list := []source{
		{"example.com/m/p", "x.go", sourceHash("package p\n")},        // edited since
		{"example.com/m/p", "y.go", sourceHash("package p\n")},        // as generated
		{"example.com/m", "top.go", sourceHash("package m // old\n")}, // the module's own package
		{"example.com/inner/q", "z.go", sourceHash("package q\n")},    // in the nested module
		{"example.com/m/p", "gone.go", sourceHash("x")},               // no file: not reported
		{"example.com/mx", "w.go", sourceHash("other")},               // example.com/m is not a prefix of it
		{"example.org/other", "x.go", sourceHash("x")},                // in no module here
	}
	got := staleSources(list, roots)
	want := []string{
		filepath.Join(root, "p", "x.go"),
		filepath.Join(root, "top.go"),
		filepath.Join(root, "inner", "q", "z.go"),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("staleSources (-want +got):\n%s", diff)
	}
}

// TestModuleRoots finds the enclosing modules from the working directory
// outwards.
func TestModuleRoots(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"go.mod":         "// a comment\nmodule example.com/m // trailing\n",
		"sub/go.mod":     "module example.com/m/sub\n",
		"sub/pkg/dir/.k": "",
	})
	t.Chdir(filepath.Join(root, "sub", "pkg", "dir"))
	got := moduleRoots()
	if len(got) < 2 || got[0] != (moduleRoot{"example.com/m/sub", filepath.Join(root, "sub")}) {
		t.Fatalf("moduleRoots = %v", got)
	}
	// Outer modules may follow (the temporary directory's own parents);
	// the test module is among them, right after the inner one.
	if got[1].dir != root || !strings.HasPrefix(got[1].path, "example.com/m") {
		t.Errorf("moduleRoots[1] = %v, want example.com/m at %s", got[1], root)
	}
}

// TestStaleWarningOnce runs a program (this test binary) that registers a
// stale and a fresh source, then starts and stops two guards: standard
// error gets exactly one warning, at the first, naming only the stale file.
func TestStaleWarningOnce(t *testing.T) {
	if dir := os.Getenv("HOTPATH_TEST_STALE_DIR"); dir != "" {
		staleWarningProgram(dir)
		return
	}
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"go.mod":     "module example.com/m\n\ngo 1.26\n",
		"p/stale.go": "package p\n\nfunc F() { println(\"edited\") }\n",
		"p/fresh.go": "package p\n",
	})
	cmd := exec.Command(os.Args[0], "-test.run=^TestStaleWarningOnce$", "-test.count=1")
	cmd.Env = []string{"HOTPATH_TEST_STALE_DIR=" + filepath.Join(root, "p"), "PATH=" + os.Getenv("PATH")}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("program: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr.String())
	}
	want := "guard 1\n" +
		"hotpath: warning: 1 instrumented file(s) are older than their source; the report profiles code that changed since (run go generate or hotpathgen):\n" +
		"\t" + filepath.Join(root, "p", "stale.go") + "\n" +
		"guard 2\n"
	if diff := cmp.Diff(want, stderr.String()); diff != "" {
		t.Errorf("standard error (-want +got):\n%s", diff)
	}
}

// staleWarningProgram is the program of TestStaleWarningOnce: it runs in
// the package directory, as go test runs a test.
func staleWarningProgram(dir string) {
	if err := os.Chdir(dir); err != nil {
		panic(err)
	}
	RegisterSource("example.com/m/p", "stale.go", sourceHash("package p\n\nfunc F() {}\n"))
	RegisterSource("example.com/m/p", "fresh.go", sourceHash("package p\n"))
	for i := 1; i <= 2; i++ {
		os.Stderr.WriteString("guard " + string(rune('0'+i)) + "\n")
		g := Start(Options{Format: FormatNone})
		if err := g.Stop(); err != nil {
			panic(err)
		}
	}
}

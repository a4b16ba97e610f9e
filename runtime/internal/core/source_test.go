package core

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sourceHash is the hash hotpathgen records for a source file.
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
// staleWarningProgram is the program of TestStaleWarningOnce: it runs in
// the package directory, as go test runs a test.

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

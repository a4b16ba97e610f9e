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
	"github.com/hotpath-go/hotpath/runtime/internal/core"
)

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

func staleWarningProgram(dir string) {
	if err := os.Chdir(dir); err != nil {
		panic(err)
	}
	core.RegisterSource("example.com/m/p", "stale.go", sourceHash("package p\n\nfunc F() {}\n"))
	core.RegisterSource("example.com/m/p", "fresh.go", sourceHash("package p\n"))
	for i := 1; i <= 2; i++ {
		os.Stderr.WriteString("guard " + string(rune('0'+i)) + "\n")
		g := Start(Options{Format: FormatNone})
		if err := g.Stop(); err != nil {
			panic(err)
		}
	}
}

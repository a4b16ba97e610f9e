package gen

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRepositoryTwins fails when a twin committed in this repository is
// stale, missing, orphaned or edited, or when the instrumented build of the
// repository would not type-check: the same contract hotpathgen check
// enforces in CI, kept as a test so that go test alone catches it (as
// gopls' TestGenerated does for its generated files).
func TestRepositoryTwins(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the whole repository")
	}
	cr, err := Check(Config{Dir: repoRoot(t), Patterns: []string{"./..."}})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range cr.Findings {
		rel, _ := filepath.Rel(repoRoot(t), f.Path)
		t.Errorf("%s: %s %s", rel, f.Kind, f.Message)
	}
	if len(cr.Findings) > 0 {
		t.Log("fix: go generate ./... (or go run ./cmd/hotpathgen ./...) at the repository root")
	}
}

// TestModulesTidy fails when go.mod or go.sum of this repository (or of its
// nested bench/ module) differ from what go mod tidy would write, the check
// make test runs as make tidy. It works from the module cache only
// (GOPROXY=off) and skips when a module it needs is not there.
func TestModulesTidy(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go mod tidy")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	for _, dir := range []string{".", "bench"} {
		cmd := exec.Command(goBin, "mod", "tidy", "-diff")
		cmd.Dir = filepath.Join(repoRoot(t), dir)
		cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod")
		out, err := cmd.CombinedOutput()
		if err == nil {
			continue
		}
		if strings.Contains(string(out), "GOPROXY=off") || strings.Contains(string(out), "module lookup disabled") {
			t.Skipf("%s: a module is missing from the module cache:\n%s", dir, out)
		}
		t.Errorf("%s/go.mod is not tidy (fix: cd %s && go mod tidy):\n%s", dir, dir, out)
	}
}

// TestRepositoryTwinLines checks the line mapping of every twin committed in
// this repository (see statementLineErrors): a panic in a user's statement
// of an instrumented package points at that statement.
func TestRepositoryTwinLines(t *testing.T) {
	root := repoRoot(t)
	n := 0
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); p != root && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") {
			return nil
		}
		twin, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		srcBase := generatedSource(twin)
		if srcBase == "" {
			return nil
		}
		srcPath := filepath.Join(filepath.Dir(p), srcBase)
		src, err := os.ReadFile(srcPath)
		if err != nil {
			return err
		}
		n++
		rel, _ := filepath.Rel(root, p)
		for _, e := range statementLineErrors(srcPath, src, twin) {
			t.Errorf("%s: %s", rel, e)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no twins found")
	}
}

package gen

import (
	"path/filepath"
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

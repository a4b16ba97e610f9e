package gen

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"
)

// goldenModule writes the inputs of every golden case into one module,
// each case in a directory of its own: many shapes of directive at once.
func goldenModule(t *testing.T, dir string) {
	t.Helper()
	cases, err := filepath.Glob(filepath.Join(repoRoot(t), "testdata", "gen", "*.txtar"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	all := &txtar.Archive{}
	for _, path := range cases {
		ar, err := txtar.ParseFile(path)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(path), ".txtar")
		for _, f := range ar.Files {
			if !strings.HasPrefix(f.Name, "want/") && f.Name != "go.mod" {
				// Packages of a case import each other by path.
				data := bytes.ReplaceAll(f.Data, []byte(`"example.com/golden/`), []byte(`"example.com/golden/`+name+`/`))
				all.Files = append(all.Files, txtar.File{Name: name + "/" + f.Name, Data: data})
			}
		}
	}
	writeModule(t, dir, all)
}

// outputs runs the pipeline and returns everything generate would write,
// by path relative to dir, and what list and diff print.
func outputs(t *testing.T, dir string, env []string) map[string]string {
	t.Helper()
	res, err := Run(Config{Dir: dir, Patterns: []string{"./..."}, Env: env})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 {
		t.Fatalf("errors: %v", ErrorList(res.Errors))
	}
	out := map[string]string{}
	rel := func(p string) string {
		r, err := filepath.Rel(dir, p)
		if err != nil || strings.HasPrefix(r, "..") {
			t.Fatalf("%s is outside %s", p, dir)
		}
		return filepath.ToSlash(r)
	}
	for _, c := range res.Changes {
		out[rel(c.Path)] = string(c.New)
	}
	var list strings.Builder
	for _, it := range ListTargets(res.Plan) {
		fmt.Fprintf(&list, "%s %s %s %s:%d:%d\n", it.Kind, it.Label, it.Target, rel(it.File), it.Line, it.Column)
	}
	out["(list)"] = list.String()
	out["(diff)"] = Diff(res, DiffOptions{Rel: rel})
	return out
}

func digest(out map[string]string) string {
	var names []string
	for n := range out {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%s\x00%d\x00%s", n, len(out[n]), out[n])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestDeterminism: the same input gives byte-identical output whatever
// the run, the directory, the GOOS and GOARCH used for loading, the number
// of threads and map order; and no output holds an absolute path.
func TestDeterminism(t *testing.T) {
	dir := t.TempDir()
	goldenModule(t, dir)
	want := outputs(t, dir, nil)
	twins := 0
	for name := range want {
		if strings.Contains(name, "_hotpath") {
			twins++
		}
	}
	if twins < 10 {
		t.Fatalf("only %d twins; the module is broken", twins)
	}

	t.Run("repeated", func(t *testing.T) {
		// Map iteration order differs from run to run within a process.
		for i := 0; i < 3; i++ {
			if diff := cmp.Diff(want, outputs(t, dir, nil)); diff != "" {
				t.Fatalf("run %d differs (-first +this):\n%s", i+2, diff)
			}
		}
	})

	t.Run("directory", func(t *testing.T) {
		other := filepath.Join(t.TempDir(), "a much longer directory name", "module")
		if err := os.CopyFS(other, os.DirFS(dir)); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, outputs(t, other, nil)); diff != "" {
			t.Errorf("output in another directory differs (-first +moved):\n%s", diff)
		}
	})

	t.Run("goos", func(t *testing.T) {
		for _, target := range [][2]string{{"darwin", "arm64"}, {"windows", "386"}} {
			got := outputs(t, dir, append(os.Environ(), "GOOS="+target[0], "GOARCH="+target[1], "CGO_ENABLED=0"))
			same := 0
			for name, data := range got {
				if strings.HasPrefix(name, "(") {
					continue // list and diff cover other files
				}
				w, ok := want[name]
				if !ok {
					continue
				}
				same++
				if w != data {
					t.Errorf("%s/%s: %s differs from the linux/amd64 output:\n%s", target[0], target[1], name, cmp.Diff(w, data))
				}
			}
			if same < twins {
				t.Errorf("%s/%s: only %d files in common with linux/amd64's %d twins", target[0], target[1], same, twins)
			}
			if _, ok := got["constraints/bc/os_hotpath_linux.go"]; ok {
				t.Errorf("%s/%s generated the twin of a linux-only file: the load did not use GOOS", target[0], target[1])
			}
		}
	})

	t.Run("paths", func(t *testing.T) {
		home, _ := os.UserHomeDir()
		for name, data := range want {
			for _, abs := range []string{dir, os.TempDir(), repoRoot(t), home} {
				if abs != "" && abs != "/" && strings.Contains(data, abs) {
					t.Errorf("%s holds the absolute path %s", name, abs)
				}
			}
		}
	})

	t.Run("processes", func(t *testing.T) {
		if testing.Short() {
			t.Skip("starts test processes")
		}
		wantDigest := digest(want)
		for _, env := range [][]string{
			{"GOMAXPROCS=1"},
			{"GOMAXPROCS=2", "GOGC=1"},
			{"GOMAXPROCS=8", "GODEBUG=asyncpreemptoff=1"},
		} {
			cmd := exec.Command(os.Args[0], "-test.run=^TestDeterminismProcess$", "-test.count=2", "-test.v")
			cmd.Env = append(append(os.Environ(), "HOTPATH_DETERMINISM_DIR="+dir), env...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v: %v\n%s", env, err, out)
			}
			digests := 0
			for _, line := range strings.Split(string(out), "\n") {
				if _, d, ok := strings.Cut(line, ": digest "); ok {
					digests++
					if d != wantDigest {
						t.Errorf("%v: output digest %s, want %s", env, d, wantDigest)
					}
				}
			}
			if digests != 2 {
				t.Errorf("%v: %d digests, want 2:\n%s", env, digests, out)
			}
		}
	})
}

// TestDeterminismProcess is run by TestDeterminism in a process of its own.
func TestDeterminismProcess(t *testing.T) {
	dir := os.Getenv("HOTPATH_DETERMINISM_DIR")
	if dir == "" {
		t.Skip("run by TestDeterminism")
	}
	t.Logf("digest %s", digest(outputs(t, dir, nil)))
}

// TestSecondGenerateWritesNothing: with nothing changed, a second generate
// plans no change and touches no file, in process and from the command.
func TestSecondGenerateWritesNothing(t *testing.T) {
	dir := t.TempDir()
	goldenModule(t, dir)
	res := mustRun(t, dir)
	if len(res.Changes) == 0 {
		t.Fatal("nothing to generate")
	}
	if err := Apply(res.Changes); err != nil {
		t.Fatal(err)
	}
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	stamps := func() map[string]time.Time {
		m := map[string]time.Time{}
		filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if st, err := os.Stat(path); err == nil {
					m[path] = st.ModTime()
				}
			}
			return err
		})
		return m
	}
	for path := range stamps() {
		if err := os.Chtimes(path, old, old); err != nil {
			t.Fatal(err)
		}
	}
	before := stamps()
	snap := snapshotTree(t, dir)

	again := mustRun(t, dir)
	if len(again.Changes) != 0 {
		for _, c := range again.Changes {
			t.Errorf("second run would change %s (%s)", c.Path, c.Reason)
		}
	}
	if err := Apply(again.Changes); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"./..."}, {"generate", "-v", "./..."}, {"check", "./..."}} {
		if code, stdout, stderr := runHotpathgen(t, dir, args...); code != 0 || stdout != "" {
			t.Errorf("hotpathgen %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
		}
	}
	after := stamps()
	for path, mt := range before {
		if !after[path].Equal(mt) {
			t.Errorf("%s was rewritten (mtime %v)", path, after[path])
		}
	}
	if diff := cmp.Diff(snap, snapshotTree(t, dir)); diff != "" {
		t.Errorf("files changed:\n%s", diff)
	}
	// No temporary file was left behind.
	for path := range after {
		if strings.Contains(filepath.Base(path), ".hotpath-") {
			t.Errorf("temporary file left: %s", path)
		}
	}
}

package gen

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"
)

// The hotpathgen processes tests start use a cache of the tests', not
// the user's.
func init() {
	if os.Getenv(CacheEnv) == "" {
		os.Setenv(CacheEnv, filepath.Join(os.TempDir(), "hotpathgen-test-cache"))
	}
}

// cacheFiles is a module of two packages: p, measured, ranges over what
// q.Values returns; q has no directives. Whether that range is a channel
// receive (which the twin rewrites) depends only on q's types.
const cacheFiles = `
-- p/p.go --
package p

import "example.com/golden/q"

// Sum is measured.
//
//hotpath:measure
func Sum() int {
	n := 0
	for v := range q.Values() {
		n += v
	}
	return n
}
-- p/p_test.go --
package p

import (
	"testing"

	"example.com/golden/q"
)

func TestSum(t *testing.T) {
	if Sum() != q.Sum {
		t.Fatal(Sum())
	}
}
-- p/tools.go --
//go:build tools

// The twins import the runtime: keep its module required.
package p

import _ "github.com/hotpath-go/hotpath/runtime"
-- q/q.go --
package q

// Values returns the values to add.
func Values() []int { return []int{1, 2} }

// Sum is what ranging over Values adds up: the indices.
const Sum = 1
`

// qAsChannel is q with Values returning a channel: p's twin must now
// rewrite the range into receives.
const qAsChannel = `package q

// Values returns the values to add.
func Values() chan int {
	ch := make(chan int, 2)
	ch <- 1
	ch <- 2
	close(ch)
	return ch
}

// Sum is what ranging over Values adds up: the values.
const Sum = 3
`

func cacheModule(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeModule(t, dir, txtar.Parse([]byte(strings.TrimPrefix(cacheFiles, "\n"))))
	return dir
}

func openTestCache(t *testing.T, version string) *Cache {
	t.Helper()
	c, err := OpenCache(t.TempDir(), version)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// generateCached is what hotpathgen generate does: run, apply, record.
func generateCached(t *testing.T, cfg Config) *Result {
	t.Helper()
	res, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 {
		t.Fatal(ErrorList(res.Errors))
	}
	if err := Apply(res.Changes); err != nil {
		t.Fatal(err)
	}
	res.Applied()
	return res
}

// loadedDirs are the package directories a run loaded.
func loadedDirs(res *Result) []string {
	var dirs []string
	for _, fp := range res.Plan.Files {
		if d := filepath.Dir(fp.Source); !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	slices.Sort(dirs)
	return dirs
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCacheHit: after a generate, a second generate and (after a first
// check has recorded the tagged build clean) a second check load nothing.
func TestCacheHit(t *testing.T) {
	dir := cacheModule(t)
	c := openTestCache(t, "v1")
	cfg := Config{Dir: dir, Patterns: []string{"./..."}, Cache: c}
	p, q := filepath.Join(dir, "p"), filepath.Join(dir, "q")

	first := generateCached(t, cfg)
	if len(first.Cached) != 0 || len(first.Changes) != 2 { // p's twin and constraint
		t.Fatalf("first run: cached %v, %d changes", first.Cached, len(first.Changes))
	}
	second, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{p, q}; !slices.Equal(second.Cached, want) || len(second.Changes) != 0 || len(loadedDirs(second)) != 0 {
		t.Fatalf("second run: cached %v (want %v), %d changes, loaded %v", second.Cached, want, len(second.Changes), loadedDirs(second))
	}
	// generate's entries do not vouch for the tagged build: the first
	// check type-checks p's (q has no twins), the second nothing.
	for i, want := range [][]string{{q}, {p, q}} {
		cr, err := Check(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if len(cr.Findings) != 0 || !slices.Equal(cr.Cached, want) {
			t.Fatalf("check %d: findings %v, cached %v (want %v)", i, cr.Findings, cr.Cached, want)
		}
	}
	// The twin compiles and runs as it was generated.
	goCmd(t, dir, "test", "-tags", "hotpath", "./...")
}

// TestCacheTaggedBuild: a tagged build that does not compile, in a tree
// that generate found up to date, is check's finding all the same; a
// clean check is not recorded over it.
func TestCacheTaggedBuild(t *testing.T) {
	dir := cacheModule(t)
	bad := filepath.Join(dir, "p", "extra.go")
	writeFile(t, bad, "//go:build hotpath\n\npackage p\n\nvar broken int = \"not an int\"\n")
	cfg := Config{Dir: dir, Patterns: []string{"./..."}, Cache: openTestCache(t, "v1")}
	generateCached(t, cfg)
	if res, err := Run(cfg); err != nil || len(res.Cached) != 2 {
		t.Fatalf("generate again: err %v, cached %v", err, res.Cached)
	}
	for range 2 {
		cr, err := Check(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if len(cr.Findings) != 1 || cr.Findings[0].Kind != "tagged build" || cr.Findings[0].Path != bad || cr.Findings[0].Line != 5 {
			t.Fatalf("findings %v, want the tagged build's error at %s:5", cr.Findings, bad)
		}
	}
}

// TestCacheSourceEdit: an edited source misses, and the run produces what
// an uncached run does; the other package still hits.
func TestCacheSourceEdit(t *testing.T) {
	dir := cacheModule(t)
	cfg := Config{Dir: dir, Patterns: []string{"./..."}, Cache: openTestCache(t, "v1")}
	generateCached(t, cfg)
	p := filepath.Join(dir, "p", "p.go")
	src, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, p, string(src)+"\n// Twice is measured too.\n//\n//hotpath:measure\nfunc Twice() int { return 2 * Sum() }\n")
	res, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{filepath.Join(dir, "q")}; !slices.Equal(res.Cached, want) {
		t.Fatalf("cached %v, want %v", res.Cached, want)
	}
	uncached := cfg
	uncached.Cache = nil
	want, err := Run(uncached)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(changeMap(want.Changes), changeMap(res.Changes)); diff != "" {
		t.Fatalf("cached run's changes differ from an uncached run's (-want +got):\n%s", diff)
	}
	if len(res.Changes) != 1 || !bytes.Contains(res.Changes[0].New, []byte("Twice")) {
		t.Fatalf("changes: %v", changeMap(res.Changes))
	}
}

func changeMap(changes []*Change) map[string]string {
	m := map[string]string{}
	for _, c := range changes {
		m[c.Path] = c.Reason + "\n" + string(c.New)
	}
	return m
}

// TestCacheDependencyTypes: p's files do not change, but the type of
// what it ranges over, declared in q, does. Even when only p is asked
// for, its entry misses, and the new twin receives from the channel.
func TestCacheDependencyTypes(t *testing.T) {
	dir := cacheModule(t)
	cfg := Config{Dir: dir, Patterns: []string{"./p"}, Cache: openTestCache(t, "v1")}
	before := generateCached(t, cfg)
	twin := filepath.Join(dir, "p", "p_hotpath.go")
	if !slices.ContainsFunc(before.Changes, func(c *Change) bool { return c.Path == twin }) {
		t.Fatalf("no twin written: %v", changeMap(before.Changes))
	}
	if res, err := Run(cfg); err != nil || len(res.Cached) != 1 {
		t.Fatalf("before the change: err %v, cached %v", err, res.Cached)
	}
	oldTwin, err := os.ReadFile(twin)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(oldTwin, []byte("Recv2")) {
		t.Fatal("twin receives before q.Values returns a channel")
	}
	writeFile(t, filepath.Join(dir, "q", "q.go"), qAsChannel)
	res := generateCached(t, cfg)
	if len(res.Cached) != 0 || len(res.Changes) != 1 || res.Changes[0].Path != twin {
		t.Fatalf("after the change: cached %v, changes %v", res.Cached, changeMap(res.Changes))
	}
	newTwin, err := os.ReadFile(twin)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(newTwin, []byte("Recv2")) {
		t.Fatalf("new twin does not receive from the channel:\n%s", newTwin)
	}
	uncached := cfg
	uncached.Cache = nil
	if fresh, err := Run(uncached); err != nil || len(fresh.Changes) != 0 {
		t.Fatalf("an uncached run would still change: err %v, %v", err, changeMap(fresh.Changes))
	}
	goCmd(t, dir, "test", "-tags", "hotpath", "./...")
}

// TestCacheGeneratorVersion: entries of one generator version are not
// another's.
func TestCacheGeneratorVersion(t *testing.T) {
	dir := cacheModule(t)
	cacheDir := t.TempDir()
	v1, err := OpenCache(cacheDir, "v1")
	if err != nil {
		t.Fatal(err)
	}
	v2, err := OpenCache(cacheDir, "v2")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Dir: dir, Patterns: []string{"./..."}, Cache: v1}
	generateCached(t, cfg)
	if res, err := Run(cfg); err != nil || len(res.Cached) != 2 {
		t.Fatalf("v1 again: err %v, cached %v", err, res.Cached)
	}
	cfg.Cache = v2
	if res, err := Run(cfg); err != nil || len(res.Cached) != 0 || len(loadedDirs(res)) != 2 {
		t.Fatalf("v2: err %v, cached %v, loaded %v", err, res.Cached, loadedDirs(res))
	}
	// The build tags are part of the key too.
	cfg.Cache, cfg.Tags = v1, []string{"other"}
	if res, err := Run(cfg); err != nil || len(res.Cached) != 0 {
		t.Fatalf("v1 with other tags: err %v, cached %v", err, res.Cached)
	}
}

// TestCacheCheckFindsTwinEdits: after check has recorded the tree clean,
// a hand-edited, a deleted and an orphaned twin are each found.
func TestCacheCheckFindsTwinEdits(t *testing.T) {
	dir := cacheModule(t)
	cfg := Config{Dir: dir, Patterns: []string{"./..."}, Cache: openTestCache(t, "v1")}
	generateCached(t, cfg)
	for range 2 {
		if cr, err := Check(cfg); err != nil || len(cr.Findings) != 0 {
			t.Fatalf("clean check: err %v, findings %v", err, cr.Findings)
		}
	}
	twin := filepath.Join(dir, "p", "p_hotpath.go")
	good, err := os.ReadFile(twin)
	if err != nil {
		t.Fatal(err)
	}
	orphan := filepath.Join(dir, "q", "gone_hotpath.go")
	for _, tc := range []struct {
		name, kind, path string
		edit, undo       func()
	}{
		{"edited", "edited", twin,
			func() { writeFile(t, twin, strings.Replace(string(good), "n += v", "n += v + 1", 1)) },
			func() { writeFile(t, twin, string(good)) }},
		{"missing", "missing", twin,
			func() { os.Remove(twin) },
			func() { writeFile(t, twin, string(good)) }},
		{"orphaned", "orphaned", orphan,
			func() {
				writeFile(t, orphan, strings.Replace(string(good), "from p.go", "from gone.go", 1))
			},
			func() { os.Remove(orphan) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.edit()
			cr, err := Check(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(cr.Findings, func(f Finding) bool { return f.Kind == tc.kind && f.Path == tc.path }) {
				t.Fatalf("findings %v, want %s %s", cr.Findings, tc.kind, tc.path)
			}
			tc.undo()
			if cr, err := Check(cfg); err != nil || len(cr.Findings) != 0 || len(cr.Cached) != 2 {
				t.Fatalf("after undoing: err %v, findings %v, cached %v", err, cr.Findings, cr.Cached)
			}
		})
	}
}

// entryFiles lists the cache's entries.
func entryFiles(t *testing.T, c *Cache) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(c.Dir(), "??", "*"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestCacheCorruptEntry: entries cut short, emptied, or not JSON at all
// are misses, not errors; the run replaces them.
func TestCacheCorruptEntry(t *testing.T) {
	dir := cacheModule(t)
	c := openTestCache(t, "v1")
	cfg := Config{Dir: dir, Patterns: []string{"./..."}, Cache: c}
	generateCached(t, cfg)
	entries := entryFiles(t, c)
	if len(entries) != 2 {
		t.Fatalf("entries: %v", entries)
	}
	for _, corrupt := range []func([]byte) []byte{
		func(b []byte) []byte { return b[:len(b)/2] },
		func([]byte) []byte { return nil },
		func([]byte) []byte { return []byte("\x00\xffnot json") },
		func(b []byte) []byte { return bytes.Replace(b, []byte(`"dirs":[`), []byte(`"dirs":[null,`), 1) },
	} {
		for _, e := range entries {
			data, err := os.ReadFile(e)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(e, corrupt(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		res := generateCached(t, cfg)
		if len(res.Cached) != 0 || len(loadedDirs(res)) != 2 || len(res.Changes) != 0 {
			t.Fatalf("corrupt entries: cached %v, loaded %v, changes %v", res.Cached, loadedDirs(res), changeMap(res.Changes))
		}
		if res, err := Run(cfg); err != nil || len(res.Cached) != 2 {
			t.Fatalf("entries not replaced: err %v, cached %v", err, res.Cached)
		}
	}
}

// TestCacheFileChangedDuringRun: a source that changes between the run's
// reading and its recording is not recorded as clean, even when it changes
// back.
func TestCacheFileChangedDuringRun(t *testing.T) {
	dir := cacheModule(t)
	cfg := Config{Dir: dir, Patterns: []string{"./..."}, Cache: openTestCache(t, "v1")}
	generateCached(t, cfg)
	p := filepath.Join(dir, "p", "p.go")
	src, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	q := filepath.Join(dir, "q", "q.go")
	writeFile(t, q, qAsChannel) // p and q miss
	res, err := Run(cfg)
	if err != nil || len(res.Changes) != 1 {
		t.Fatalf("err %v, changes %v", err, changeMap(res.Changes))
	}
	if err := Apply(res.Changes); err != nil {
		t.Fatal(err)
	}
	// p.go changes after the run read it: p must not be recorded.
	writeFile(t, p, string(src)+"\nvar _ = 1\n")
	res.Applied()
	writeFile(t, p, string(src))
	res, err = Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{filepath.Join(dir, "q")}; !slices.Equal(res.Cached, want) {
		t.Fatalf("cached %v, want only %v", res.Cached, want)
	}
}

// TestCacheTrim: entries older than the age bound go, then the oldest
// while the cache is over its size bound.
func TestCacheTrim(t *testing.T) {
	c := openTestCache(t, "v1")
	now := time.Now()
	var paths []string
	for i, age := range []time.Duration{10 * 24 * time.Hour, 3 * time.Hour, 2 * time.Hour, time.Hour} {
		path := filepath.Join(c.Dir(), "ab", strings.Repeat(string(rune('a'+i)), 64))
		if !c.writeFile(path, bytes.Repeat([]byte{'x'}, 100)) {
			t.Fatal("write failed")
		}
		if err := os.Chtimes(path, now.Add(-age), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	c.trimNow(7*24*time.Hour, 250)
	var left []string
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			left = append(left, p)
		}
	}
	if want := paths[2:]; !slices.Equal(left, want) {
		t.Fatalf("left %v, want %v", left, want)
	}
}

func TestDefaultCacheDir(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == CacheEnv {
				return v
			}
			return ""
		}
	}
	if _, ok := DefaultCacheDir(env("off")); ok {
		t.Error("off: still a cache")
	}
	abs := filepath.Join(t.TempDir(), "c")
	if dir, ok := DefaultCacheDir(env(abs)); !ok || dir != abs {
		t.Errorf("%s: got %q, %v", abs, dir, ok)
	}
	if base, err := os.UserCacheDir(); err == nil {
		if dir, ok := DefaultCacheDir(env("")); !ok || dir != filepath.Join(base, "hotpathgen") {
			t.Errorf("default: got %q, %v", dir, ok)
		}
	}
}

// TestCacheConcurrentProcesses: hotpathgen processes sharing one cache
// directory, generating and checking the same tree at once, leave the
// tree as one generate does, and the cache then still tells a clean tree
// from an edited twin.
func TestCacheConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts hotpathgen processes")
	}
	dir := cacheModule(t)
	base := snapshotTree(t, dir)
	bin := hotpathgenBinary(t)
	cacheDir := t.TempDir()
	hpg := func(args ...string) (int, string) {
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), CacheEnv+"="+cacheDir)
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	if code, out := hpg("./..."); code != 0 {
		t.Fatalf("generate: exit %d\n%s", code, out)
	}
	want := snapshotTree(t, dir)
	for i := range 3 {
		restoreTree(t, dir, base)
		var wg sync.WaitGroup
		codes := make([]int, 4)
		outs := make([]string, 4)
		for j := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if j < 2 {
					codes[j], outs[j] = hpg("./...")
				} else {
					codes[j], outs[j] = hpg("check", "./...")
				}
			}()
		}
		wg.Wait()
		for j := range 2 {
			if codes[j] != 0 && !(codes[j] == 2 && strings.Contains(outs[j], "changed while hotpathgen was running")) {
				t.Errorf("round %d, generate %d: exit %d\n%s", i, j, codes[j], outs[j])
			}
		}
		// A check racing the generates may see any state; never a crash.
		for j := 2; j < 4; j++ {
			if codes[j] == 2 && !strings.Contains(outs[j], "changed while hotpathgen was running") {
				t.Errorf("round %d, check %d: exit %d\n%s", i, j, codes[j], outs[j])
			}
		}
		if diff := cmp.Diff(want, snapshotTree(t, dir)); diff != "" {
			t.Fatalf("round %d: tree differs from one generate (-want +got):\n%s", i, diff)
		}
		for k := range 2 {
			if code, out := hpg("check", "./..."); code != 0 {
				t.Fatalf("round %d, check %d after the race: exit %d\n%s", i, k, code, out)
			}
		}
		twin := filepath.Join(dir, "p", "p_hotpath.go")
		writeFile(t, twin, string(want["p/p_hotpath.go"])+"// edited\n")
		if code, out := hpg("check", "./..."); code != 1 || !strings.Contains(out, "edited") {
			t.Fatalf("round %d: check of an edited twin: exit %d\n%s", i, code, out)
		}
	}
	if tmps, _ := filepath.Glob(filepath.Join(cacheDir, "*", ".tmp-*")); len(tmps) > 0 {
		t.Errorf("temporary files left: %v", tmps)
	}
}

// The cache's benchmarks run the hotpathgen binary, with a cache of its
// own, and go vet as processes on a copy of Kithara, in one run so that
// their ratios mean something on a loaded machine:
//
//	go test ./gen -run '^$' -bench 'NoChange|OneFileChange' -benchtime 10x -count 6
//
// BenchmarkGenerateNoChange: nothing changed since the last generate.
func BenchmarkGenerateNoChange(b *testing.B) {
	tree := benchTrees(b)["kithara"]
	bin := hotpathgenBinary(b)
	env := append(os.Environ(), CacheEnv+"="+b.TempDir())
	for _, args := range [][]string{{tree.pattern}, {"check", tree.pattern}} {
		// Fill the cache.
		benchRun(b, tree.dir, env, bin, args...)
	}
	b.Run("vet", func(b *testing.B) {
		measure(b, func() { benchRun(b, tree.dir, env, "go", "vet", tree.pattern) })
	})
	b.Run("generate", func(b *testing.B) {
		measure(b, func() { benchRun(b, tree.dir, env, bin, tree.pattern) })
	})
	b.Run("check", func(b *testing.B) {
		measure(b, func() { benchRun(b, tree.dir, env, bin, "check", tree.pattern) })
	})
	b.Run("generate-uncached", func(b *testing.B) {
		off := append(os.Environ(), CacheEnv+"=off")
		measure(b, func() { benchRun(b, tree.dir, off, bin, tree.pattern) })
	})
}

// BenchmarkOneFileChange: one source file with a twin (of a package no
// other imports, and of one that others import) changed since the last
// run. generate rewrites its twin; check runs after that generate. vet
// runs after the same edit.
func BenchmarkOneFileChange(b *testing.B) {
	tree := benchTrees(b)["kithara"]
	bin := hotpathgenBinary(b)
	env := append(os.Environ(), CacheEnv+"="+b.TempDir())
	benchRun(b, tree.dir, env, bin, tree.pattern)
	benchRun(b, tree.dir, env, bin, "check", tree.pattern)
	n := 0
	for _, file := range []string{"kithara/player/player.go", "kithara/worker/inbox.go"} {
		path := filepath.Join(tree.dir, filepath.FromSlash(file))
		orig, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		edit := func() {
			n++
			if err := os.WriteFile(path, fmt.Appendf(bytes.Clone(orig), "\n// edit %d\n", n), 0o644); err != nil {
				b.Fatal(err)
			}
		}
		pkg := filepath.Base(filepath.Dir(file))
		// timed runs f after prepare, timing f only.
		timed := func(b *testing.B, prepare, f func()) {
			prepare()
			f()
			b.ReportAllocs()
			b.ResetTimer()
			var cpu time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				prepare()
				start := cpuTime()
				b.StartTimer()
				f()
				b.StopTimer()
				cpu += cpuTime() - start
			}
			b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
		}
		b.Run(pkg+"/vet", func(b *testing.B) {
			timed(b, edit, func() { benchRun(b, tree.dir, env, "go", "vet", tree.pattern) })
		})
		b.Run(pkg+"/generate", func(b *testing.B) {
			timed(b, edit, func() { benchRun(b, tree.dir, env, bin, tree.pattern) })
		})
		b.Run(pkg+"/check", func(b *testing.B) {
			timed(b, func() { edit(); benchRun(b, tree.dir, env, bin, tree.pattern) },
				func() { benchRun(b, tree.dir, env, bin, "check", tree.pattern) })
		})
		if err := os.WriteFile(path, orig, 0o644); err != nil {
			b.Fatal(err)
		}
		benchRun(b, tree.dir, env, bin, tree.pattern)
	}
}

// benchRun runs a command in dir with env; it must succeed.
func benchRun(b *testing.B, dir string, env []string, name string, args ...string) {
	b.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

package gen

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The benchmarks compare generate and check with go vet on the same
// packages: all three are dominated by loading them (go list, parsing,
// type-checking), and vet is what a CI already runs. Every command runs
// once before the timer starts, so build caches are warm. Run them with
//
//	go test ./gen -run '^$' -bench . -benchtime 5x
//
// and compare the ns/op of a tree's rows. go vet caches its results: the
// "vet" row is a vet with nothing to do; "vet-analysis" changes a flag of
// the printf analyzer every time, so vet analyses every package again
// (against warm compile caches), which is the work a vet run really does.

// benchTrees are the package trees benchmarked: a copy of this
// repository's Kithara packages and a synthetic tree of 200 files. Both
// are made once per process.
var (
	benchOnce  sync.Once
	benchDirs  map[string]benchTree
	benchSetup error
	benchBase  string // removed by TestMain
)

type benchTree struct {
	dir     string // module root
	pattern string
}

func benchTrees(b *testing.B) map[string]benchTree {
	b.Helper()
	benchOnce.Do(func() {
		benchDirs = map[string]benchTree{}
		base, err := os.MkdirTemp("", "hotpath-bench-")
		if err != nil {
			benchSetup = err
			return
		}
		// The repository, without .git, so that generate may write.
		repo := filepath.Join(base, "repo")
		if err := copyRepo(repoRoot(b), repo); err != nil {
			benchSetup = err
			return
		}
		benchBase = base
		// Bring the copy's twins up to date, so that what is measured
		// is a tree as CI sees it (the working tree may be mid-edit).
		res, err := Run(Config{Dir: repo, Patterns: []string{"./kithara/..."}})
		if err == nil && len(res.Errors) > 0 {
			err = ErrorList(res.Errors)
		}
		if err == nil {
			err = Apply(res.Changes)
		}
		if err != nil {
			benchSetup = err
			return
		}
		benchDirs["kithara"] = benchTree{repo, "./kithara/..."}
		synth := filepath.Join(base, "synthetic")
		if err := writeSynthetic(synth, repoRoot(b), 20, 10); err != nil {
			benchSetup = err
			return
		}
		benchDirs["synthetic200"] = benchTree{synth, "./..."}
	})
	if benchSetup != nil {
		b.Fatal(benchSetup)
	}
	return benchDirs
}

// copyRepo copies the module at from to to, leaving out version control
// and other modules.
func copyRepo(from, to string) error {
	return filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "bench") {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o644)
	})
}

// writeSynthetic writes a module of pkgs packages of files files each,
// every file with measured functions and methods, a block and a channel,
// and a test file per package.
func writeSynthetic(dir, repo string, pkgs, files int) error {
	mod := "module example.com/synth\n\ngo 1.26\n\nrequire github.com/hotpath-go/hotpath v0.0.0\n\nreplace github.com/hotpath-go/hotpath => " + repo + "\n"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644); err != nil {
		return err
	}
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		return err
	}
	for p := 0; p < pkgs; p++ {
		pdir := filepath.Join(dir, fmt.Sprintf("p%02d", p))
		if err := os.MkdirAll(pdir, 0o755); err != nil {
			return err
		}
		name := fmt.Sprintf("p%02d", p)
		for f := 0; f < files; f++ {
			var b strings.Builder
			fmt.Fprintf(&b, "package %s\n\nimport (\n\t\"sort\"\n\t\"strings\"\n)\n\n", name)
			fmt.Fprintf(&b, "// T%d is measured as a whole.\n//\n//hotpath:measure\ntype T%d struct{ xs []string }\n\n", f, f)
			fmt.Fprintf(&b, "func (t *T%d) Add(s string) { t.xs = append(t.xs, strings.ToUpper(s)) }\n\n", f)
			fmt.Fprintf(&b, "func (t *T%d) Sorted() []string {\n\tout := append([]string(nil), t.xs...)\n\tsort.Strings(out)\n\treturn out\n}\n\n", f)
			fmt.Fprintf(&b, "// Work%d fans out over a channel.\n//\n//hotpath:measure\nfunc Work%d(n int) int {\n", f, f)
			b.WriteString("\t//hotpath:channel\n\tch := make(chan int, n)\n\tfor i := 0; i < n; i++ {\n\t\tch <- i\n\t}\n\tclose(ch)\n\ttotal := 0\n")
			fmt.Fprintf(&b, "\t//hotpath:block sum%d\n\tfor v := range ch {\n\t\ttotal += v\n\t}\n\treturn total\n}\n\n", f)
			for k := 0; k < 8; k++ {
				fmt.Fprintf(&b, "func helper%d_%d(a, b int) int {\n\tif a > b {\n\t\treturn a - b\n\t}\n\treturn b - a\n}\n\n", f, k)
			}
			if err := os.WriteFile(filepath.Join(pdir, fmt.Sprintf("f%02d.go", f)), []byte(b.String()), 0o644); err != nil {
				return err
			}
		}
		test := fmt.Sprintf("package %s\n\nimport \"testing\"\n\nfunc TestWork(t *testing.T) {\n\tif Work0(3) != 3 {\n\t\tt.Fatal()\n\t}\n}\n", name)
		if err := os.WriteFile(filepath.Join(pdir, name+"_test.go"), []byte(test), 0o644); err != nil {
			return err
		}
	}
	// Generate once: the benchmarks then measure a tree that is up to date,
	// as in a CI run; then tidy, which needs the twins to see the runtime.
	res, err := Run(Config{Dir: dir, Patterns: []string{"./..."}})
	if err != nil {
		return err
	}
	if len(res.Errors) > 0 {
		return ErrorList(res.Errors)
	}
	if err := Apply(res.Changes); err != nil {
		return err
	}
	tidy := exec.Command("go", "mod", "tidy")
	tidy.Dir = dir
	tidy.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	if out, err := tidy.CombinedOutput(); err != nil {
		return fmt.Errorf("go mod tidy: %v\n%s", err, out)
	}
	return nil
}

// cpuTime is the CPU time this process and its waited-for children have
// used: on a machine shared with other work, wall time says little, and
// the go command does much of the work in child processes.
func cpuTime() time.Duration {
	var self, children syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	tv := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
	return tv(self.Utime) + tv(self.Stime) + tv(children.Utime) + tv(children.Stime)
}

// measure runs f b.N times, after one run that warms the caches, and
// reports the CPU time per run besides the wall time.
func measure(b *testing.B, f func()) {
	b.Helper()
	f()
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		f()
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// benchCommand runs a command in dir.
func benchCommand(b *testing.B, dir string, name string, args ...string) {
	b.Helper()
	measure(b, func() {
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
	})
}

func BenchmarkGenerate(b *testing.B) {
	for _, name := range []string{"kithara", "synthetic200"} {
		b.Run(name, func(b *testing.B) {
			tree := benchTrees(b)[name]
			cfg := Config{Dir: tree.dir, Patterns: []string{tree.pattern}}
			measure(b, func() {
				res, err := Run(cfg)
				if err != nil || len(res.Errors) > 0 || len(res.Changes) > 0 {
					b.Fatalf("err %v, errors %v, %d changes", err, res.Errors, len(res.Changes))
				}
			})
		})
	}
}

func BenchmarkCheck(b *testing.B) {
	for _, name := range []string{"kithara", "synthetic200"} {
		b.Run(name, func(b *testing.B) {
			tree := benchTrees(b)[name]
			cfg := Config{Dir: tree.dir, Patterns: []string{tree.pattern}}
			measure(b, func() {
				cr, err := Check(cfg)
				if err != nil || len(cr.Findings) > 0 {
					b.Fatalf("err %v, findings %v", err, cr.Findings)
				}
			})
		})
	}
}

// BenchmarkCommand runs the hotpathgen binary and go vet as processes.
func BenchmarkCommand(b *testing.B) {
	bin := hotpathgenBinary(b)
	for _, name := range []string{"kithara", "synthetic200"} {
		tree := benchTrees(b)[name]
		b.Run(name+"/generate", func(b *testing.B) { benchCommand(b, tree.dir, bin, tree.pattern) })
		b.Run(name+"/check", func(b *testing.B) { benchCommand(b, tree.dir, bin, "check", tree.pattern) })
		b.Run(name+"/vet", func(b *testing.B) { benchCommand(b, tree.dir, "go", "vet", tree.pattern) })
		b.Run(name+"/vet-analysis", func(b *testing.B) {
			n := 0
			measure(b, func() {
				n++
				cmd := exec.Command("go", "vet", fmt.Sprintf("-printf.funcs=hotpathBench%d", n), tree.pattern)
				cmd.Dir = tree.dir
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("go vet: %v\n%s", err, out)
				}
			})
		})
	}
}

package core

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/hotpath-go/hotpath/internal/srchash"
)

// source is a file that generated code was made from.
type source struct {
	pkg, file, hash string
}

var (
	sourcesMu sync.Mutex
	sources   []source
	staleOnce sync.Once
)

// RegisterSource records that a twin was generated from the source file
// file of package pkg when that file's checksum was hash. Generated code
// calls it once per twin, from a package-level declaration; it only
// records. The first guard checks the sources it can find on disk and warns
// once about every twin whose source has changed since: such a twin
// profiles code that no longer exists (run go generate, or hotpathgen).
// It returns true so that it can initialise a blank variable.
func RegisterSource(pkg, file, hash string) bool {
	sourcesMu.Lock()
	sources = append(sources, source{pkg, file, hash})
	sourcesMu.Unlock()
	return true
}

// WarnStale prints one warning listing every stale twin it can detect.
func WarnStale(w io.Writer) {
	staleOnce.Do(func() {
		sourcesMu.Lock()
		list := append([]source(nil), sources...)
		sourcesMu.Unlock()
		stale := staleSources(list, moduleRoots())
		if len(stale) > 0 {
			fmt.Fprintf(w, "hotpath: warning: %d instrumented file(s) are older than their source; the report profiles code that changed since (run go generate or hotpathgen):\n\t%s\n",
				len(stale), strings.Join(stale, "\n\t"))
		}
	})
}

// moduleRoot is a module found above the working directory.
type moduleRoot struct {
	path, dir string
}

// moduleRoots returns the modules enclosing the working directory, from
// the innermost out: a test runs in its package directory, a program
// usually in its module. Their sources are the ones a user can be editing.
func moduleRoots() []moduleRoot {
	dir, err := os.Getwd()
	if err != nil {
		return nil
	}
	var roots []moduleRoot
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil {
			if mod := modulePath(data); mod != "" {
				roots = append(roots, moduleRoot{mod, dir})
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return roots
		}
		dir = parent
	}
}

func modulePath(gomod []byte) string {
	for _, line := range strings.Split(string(gomod), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module"); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

// staleSources returns the sources whose file on disk no longer has the
// recorded checksum; sources it cannot find are not reported.
func staleSources(list []source, roots []moduleRoot) []string {
	var stale []string
	for _, s := range list {
		for _, r := range roots {
			rel, ok := strings.CutPrefix(s.pkg, r.path)
			if !ok || (rel != "" && !strings.HasPrefix(rel, "/")) {
				continue
			}
			path := filepath.Join(r.dir, filepath.FromSlash(rel), s.file)
			data, err := os.ReadFile(path)
			if err != nil {
				break
			}
			if srchash.Sum(data) != s.hash {
				stale = append(stale, path)
			}
			break
		}
	}
	return stale
}

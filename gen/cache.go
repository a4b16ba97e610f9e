package gen

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/modfile"
)

// The cache remembers, per package directory, that generate (or check)
// found nothing to do for one exact state of the files it depends on, so
// that a run over an unchanged tree loads no package at all.
//
// An entry is found by a key made of everything outside the directories
// that can change a package's twins or check's verdict: the generator's
// own version (a hash of its executable), the go command's version and
// build settings (go env), the build tags and test setting, and the
// module files (go.mod, go.sum, go.work) that pin every dependency
// outside the module. It then records the state of every file inside
// the module the package depends on: all files of the package's directory
// (sources, twins, everything else), and all non-test files of each
// directory of this module (or of a workspace module, a local replace, a
// vendored module) it imports, directly or not, in any build. The imports
// are read from every Go file's import block whatever its build
// constraints, so the set is a superset of what any build imports. A hit
// needs every recorded file to have the recorded content (and no file to
// be added or removed), so a change to a dependency's types, a hand-edited,
// deleted or added twin, all miss. Only clean results are stored: a
// directory with errors or findings is always processed again.
//
// Standard library and module cache dependencies are pinned by the go
// version and the module files in the key. Packages that use cgo (their
// types depend on C headers) are never cached.

// cacheFormat changes whenever what an entry means changes.
const cacheFormat = "hotpathgen-cache-1"

// The cache's bounds: entries not used for cacheMaxAge are removed, and
// the oldest go when the cache grows beyond cacheMaxBytes. Trimming runs at
// most once per cacheTrimEvery.
const (
	cacheMaxAge    = 7 * 24 * time.Hour
	cacheMaxBytes  = 64 << 20
	cacheTrimEvery = time.Hour
	// cacheTouchEvery is how stale an entry's modification time may get
	// before a hit refreshes it (the age bound counts from the last use).
	cacheTouchEvery = time.Hour
)

// CacheEnv is the environment variable that moves the cache ("off"
// disables it).
const CacheEnv = "HOTPATHGEN_CACHE"

// Cache is hotpathgen's cache directory. A nil *Cache caches nothing.
// Several processes may share one: every write is a rename of a complete
// file, and every entry is checked against the files before it is
// believed; an unreadable or corrupt entry is a miss.
type Cache struct {
	dir string
	// version identifies the generator: two hotpathgen builds never share
	// entries.
	version string
}

// DefaultCacheDir is where the cache lives: $HOTPATHGEN_CACHE when set
// ("off" means no cache: ok is false), else hotpathgen under the user's
// cache directory (os.UserCacheDir: $XDG_CACHE_HOME or ~/.cache on Linux,
// ~/Library/Caches on macOS, %LocalAppData% on Windows). ok is false
// when there is none.
func DefaultCacheDir(getenv func(string) string) (dir string, ok bool) {
	if v := getenv(CacheEnv); v != "" {
		if v == "off" {
			return "", false
		}
		abs, err := filepath.Abs(v)
		if err != nil {
			return "", false
		}
		return abs, true
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", false
	}
	return filepath.Join(base, "hotpathgen"), true
}

// OpenCache opens (creating it if needed) the cache in dir, for the
// generator version version; "" means this executable's version (a hash
// of its file).
func OpenCache(dir, version string) (*Cache, error) {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	c := &Cache{dir: dir, version: version}
	if c.version == "" {
		v, err := c.executableVersion()
		if err != nil {
			return nil, fmt.Errorf("cache: %w", err)
		}
		c.version = v
	}
	return c, nil
}

// Dir is the cache's directory.
func (c *Cache) Dir() string { return c.dir }

// executableVersion hashes the running executable, remembering the hash
// by the file's path, size and modification time.
func (c *Cache) executableVersion() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	st, err := os.Stat(exe)
	if err != nil {
		return "", err
	}
	stamp := fmt.Sprintf("%s\x00%d\x00%d", exe, st.Size(), st.ModTime().UnixNano())
	memo := filepath.Join(c.dir, "exe-"+hashString(exe)[:16])
	if data, err := os.ReadFile(memo); err == nil {
		if s, h, ok := strings.Cut(string(data), "\n"); ok && s == stamp && len(h) == 64 {
			return h, nil
		}
	}
	f, err := os.Open(exe)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	// A file changed within the last seconds may change again with the
	// same modification time: remember only settled files.
	if time.Since(st.ModTime()) > 2*time.Second {
		c.writeFile(memo, []byte(stamp+"\n"+sum))
	}
	return sum, nil
}

func hashString(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func hashBytes(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// writeFile writes data to path atomically (a temporary file renamed),
// ignoring failures: the cache is an optimisation.
func (c *Cache) writeFile(path string, data []byte) bool {
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		return false
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return false
	}
	_, werr := f.Write(data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(f.Name(), path)
	}
	if werr != nil {
		os.Remove(f.Name())
		return false
	}
	return true
}

// cacheContext is what the key holds besides a directory, and how import
// paths map to directories whose files an entry records.
type cacheContext struct {
	key string
	// roots map module paths to the directories that hold them locally.
	roots []moduleRoot
	// vendor is the main module's vendor directory, "" without one.
	vendor string
}

type moduleRoot struct{ path, dir string }

// goEnvVars are the go command's settings that change what a package
// is, or which toolchain and standard library compile it.
var goEnvVars = []string{"GOVERSION", "GOROOT", "GOOS", "GOARCH", "GOFLAGS", "CGO_ENABLED", "GOEXPERIMENT",
	"GOAMD64", "GOARM", "GOARM64", "GO386", "GOMIPS", "GOMIPS64", "GOPPC64", "GORISCV64", "GOWASM",
	"GOMOD", "GOWORK", "GOMODCACHE", "GO111MODULE", "GOPATH", "GOTOOLCHAIN"}

// context computes the key's context for cfg; an error means cfg's
// setting is one the cache does not handle, and the run goes uncached.
func (c *Cache) context(cfg Config, env []string) (*cacheContext, error) {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "GOPACKAGESDRIVER="); ok && v != "" && v != "off" {
			return nil, errors.New("GOPACKAGESDRIVER is set")
		}
	}
	cmd := exec.Command("go", append([]string{"env", "-json"}, goEnvVars...)...)
	cmd.Dir = cfg.Dir
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go env: %w", err)
	}
	var goenv map[string]string
	if err := json.Unmarshal(out, &goenv); err != nil {
		return nil, fmt.Errorf("go env: %w", err)
	}
	if strings.Contains(goenv["GOFLAGS"], "-modfile") || strings.Contains(goenv["GOFLAGS"], "-overlay") {
		return nil, errors.New("GOFLAGS names files the cache does not follow")
	}
	gomod := goenv["GOMOD"]
	if gomod == "" || gomod == os.DevNull {
		return nil, errors.New("not in module mode")
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", cacheFormat, c.version)
	for _, v := range goEnvVars {
		fmt.Fprintf(h, "%s=%s\x00", v, goenv[v])
	}
	fmt.Fprintf(h, "tags=%s\x00notests=%t\x00", strings.Join(cfg.Tags, ","), cfg.NoTests)
	cx := &cacheContext{}
	hashFile := func(path string) error {
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(h, "%s absent\x00", path)
			return nil
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %d\x00", path, len(data))
		h.Write(data)
		return nil
	}
	// addModule records a module of this build whose files are local.
	addModule := func(gomodPath string) (*modfile.File, error) {
		data, err := os.ReadFile(gomodPath)
		if err != nil {
			return nil, err
		}
		f, err := modfile.ParseLax(gomodPath, data, nil)
		if err != nil || f.Module == nil {
			return nil, fmt.Errorf("%s: no module line", gomodPath)
		}
		if err := hashFile(gomodPath); err != nil {
			return nil, err
		}
		if err := hashFile(strings.TrimSuffix(gomodPath, ".mod") + ".sum"); err != nil {
			return nil, err
		}
		cx.roots = append(cx.roots, moduleRoot{f.Module.Mod.Path, filepath.Dir(gomodPath)})
		return f, nil
	}
	// replaces are the modules replaced by a local directory.
	var replaces []moduleRoot
	addReplaces := func(rs []*modfile.Replace, dir string) {
		for _, r := range rs {
			if r.New.Version != "" {
				continue // a module cache version, pinned by go.sum
			}
			d := r.New.Path
			if !filepath.IsAbs(d) {
				d = filepath.Join(dir, d)
			}
			replaces = append(replaces, moduleRoot{r.Old.Path, d})
		}
	}
	if work := goenv["GOWORK"]; work != "" && work != "off" {
		data, err := os.ReadFile(work)
		if err != nil {
			return nil, err
		}
		wf, err := modfile.ParseWork(work, data, nil)
		if err != nil {
			return nil, err
		}
		if err := hashFile(work); err != nil {
			return nil, err
		}
		if err := hashFile(work + ".sum"); err != nil {
			return nil, err
		}
		for _, u := range wf.Use {
			dir := u.Path
			if !filepath.IsAbs(dir) {
				dir = filepath.Join(filepath.Dir(work), dir)
			}
			mf, err := addModule(filepath.Join(dir, "go.mod"))
			if err != nil {
				return nil, err
			}
			addReplaces(mf.Replace, dir)
		}
		addReplaces(wf.Replace, filepath.Dir(work))
	} else {
		mf, err := addModule(gomod)
		if err != nil {
			return nil, err
		}
		addReplaces(mf.Replace, filepath.Dir(gomod))
		if vendor := filepath.Join(filepath.Dir(gomod), "vendor"); fileExists(filepath.Join(vendor, "modules.txt")) {
			cx.vendor = vendor
			if err := hashFile(filepath.Join(vendor, "modules.txt")); err != nil {
				return nil, err
			}
		}
	}
	// A replacement by a directory makes that module's files local: they
	// are recorded like the main module's. Its go.mod goes in the key.
	for _, r := range replaces {
		if err := hashFile(filepath.Join(r.dir, "go.mod")); err != nil {
			return nil, err
		}
		cx.roots = append(cx.roots, r)
	}
	// Longest module path first: a nested module wins over its parent.
	sort.SliceStable(cx.roots, func(i, j int) bool { return len(cx.roots[i].path) > len(cx.roots[j].path) })
	cx.key = hex.EncodeToString(h.Sum(nil))
	return cx, nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// localDir returns the directory of import path p when its files are
// local (this module, a workspace module, a local replacement, vendor),
// or "" for the standard library and the module cache.
func (cx *cacheContext) localDir(p string) string {
	for _, r := range cx.roots {
		if p == r.path {
			return r.dir
		}
		if rest, ok := strings.CutPrefix(p, r.path+"/"); ok {
			return filepath.Join(r.dir, filepath.FromSlash(rest))
		}
	}
	first, _, _ := strings.Cut(p, "/")
	if !strings.Contains(first, ".") {
		return "" // the standard library
	}
	if cx.vendor != "" {
		if d := filepath.Join(cx.vendor, filepath.FromSlash(p)); fileExists(d) {
			return d
		}
	}
	return ""
}

// dirState is the content of a directory's files: names (dot files left
// out, as the go command ignores them) to hashes. Deps leave test files out.
type dirState struct {
	Dir   string `json:"dir"`
	Tests bool   `json:"tests"`
	// Files is nil when the directory does not exist.
	Files map[string]string `json:"files"`
}

// errNoCache marks a package the cache does not handle (cgo).
var errNoCache = errors.New("not cacheable")

// snapshot reads directories once per run: their file hashes and the
// import paths their Go files name.
type snapshot struct {
	states  map[string]*dirState // by dir + tests
	imports map[string][]string  // by dir + tests
}

func newSnapshot() *snapshot {
	return &snapshot{states: map[string]*dirState{}, imports: map[string][]string{}}
}

func stateKey(dir string, tests bool) string { return dir + "\x00" + strconv.FormatBool(tests) }

// state hashes the files of dir.
func (s *snapshot) state(dir string, tests bool) (*dirState, error) {
	k := stateKey(dir, tests)
	if st, ok := s.states[k]; ok {
		return st, nil
	}
	st := &dirState{Dir: dir, Tests: tests}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		st.Files = map[string]string{}
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, ".") || e.IsDir() || (!tests && strings.HasSuffix(name, "_test.go")) {
				continue
			}
			data, err := os.ReadFile(filepath.Join(dir, name))
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, err
			}
			st.Files[name] = hashBytes(data)
		}
	}
	s.states[k] = st
	return st, nil
}

// importsOf lists the import paths of every Go file in dir, whatever its
// build constraints (with or without test files).
func (s *snapshot) importsOf(dir string, tests bool) ([]string, error) {
	k := stateKey(dir, tests)
	if imps, ok := s.imports[k]; ok {
		return imps, nil
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || (!tests && strings.HasSuffix(name, "_test.go")) {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ImportsOnly)
		if err != nil {
			// A file whose imports cannot be read: what it depends on is
			// unknown.
			return nil, errNoCache
		}
		for _, imp := range f.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return nil, errNoCache
			}
			if p == "C" {
				return nil, errNoCache // types from C headers
			}
			seen[p] = true
		}
	}
	imps := make([]string, 0, len(seen))
	for p := range seen {
		imps = append(imps, p)
	}
	sort.Strings(imps)
	s.imports[k] = imps
	return imps, nil
}

// closure returns the states an entry for the package in dir records:
// the directory with its tests first, then every local directory it
// imports, transitively, without their tests.
func (s *snapshot) closure(cx *cacheContext, dir string) ([]*dirState, error) {
	own, err := s.state(dir, true)
	if err != nil {
		return nil, err
	}
	out := []*dirState{own}
	seen := map[string]bool{dir: true}
	queue := []struct {
		dir   string
		tests bool
	}{{dir, true}}
	for len(queue) > 0 {
		q := queue[0]
		queue = queue[1:]
		imps, err := s.importsOf(q.dir, q.tests)
		if err != nil {
			return nil, err
		}
		for _, p := range imps {
			d := cx.localDir(p)
			if d == "" || seen[d] {
				continue
			}
			seen[d] = true
			st, err := s.state(d, false)
			if err != nil {
				return nil, err
			}
			out = append(out, st)
			queue = append(queue, struct {
				dir   string
				tests bool
			}{d, false})
		}
	}
	return out, nil
}

// cacheEntry says that the recorded states of Dirs are clean: generate
// has nothing to write, and with Checked, check finds nothing.
type cacheEntry struct {
	Format  string `json:"format"`
	Key     string `json:"key"`
	Dir     string `json:"dir"`
	Checked bool   `json:"checked"`
	// Tagged is true when the package has twins: check type-checks its
	// tagged build.
	Tagged bool        `json:"tagged"`
	Dirs   []*dirState `json:"dirs"`
}

func (c *Cache) entryPath(cx *cacheContext, dir string) string {
	h := hashString(cx.key + "\x00" + dir)
	return filepath.Join(c.dir, h[:2], h)
}

// lookup returns dir's entry when it matches the files as they are now.
func (c *Cache) lookup(cx *cacheContext, dir string, s *snapshot) *cacheEntry {
	path := c.entryPath(cx, dir)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var e cacheEntry
	if json.Unmarshal(data, &e) != nil || e.Format != cacheFormat || e.Key != cx.key || e.Dir != dir ||
		len(e.Dirs) == 0 || e.Dirs[0] == nil || e.Dirs[0].Dir != dir || !e.Dirs[0].Tests {
		return nil
	}
	for _, want := range e.Dirs {
		if want == nil {
			return nil
		}
		got, err := s.state(want.Dir, want.Tests)
		if err != nil || !sameFiles(got.Files, want.Files) {
			return nil
		}
	}
	if st, err := os.Stat(path); err == nil && time.Since(st.ModTime()) > cacheTouchEvery {
		now := time.Now()
		os.Chtimes(path, now, now)
	}
	return &e
}

func sameFiles(a, b map[string]string) bool {
	if (a == nil) != (b == nil) || len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// cacheRun is one cached run: which directories hit, and for those that
// missed, the states read before they were processed.
type cacheRun struct {
	c      *Cache
	cx     *cacheContext
	hit    []string
	missed []string
	// tagged are, for check, the directories with twins that generate
	// found up to date: only their tagged build is type-checked.
	tagged []string
	before map[string][]*dirState // by missed or tagged dir
}

// prepare looks every package of cfg up. nil means the run is not one the
// cache handles.
func (c *Cache) prepare(cfg Config, checked bool) *cacheRun {
	env := cfg.Env
	if env == nil {
		env = os.Environ()
	}
	var (
		wg      sync.WaitGroup
		dirs    []string
		listErr error
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		dirs, listErr = listDirs(cfg, env)
	}()
	cx, err := c.context(cfg, env)
	wg.Wait()
	if err != nil || listErr != nil || len(dirs) == 0 {
		return nil
	}
	r := &cacheRun{c: c, cx: cx, before: map[string][]*dirState{}}
	s := newSnapshot()
	for _, d := range dirs {
		e := c.lookup(cx, d, s)
		switch {
		case e != nil && (!checked || e.Checked || !e.Tagged):
			// Without twins, check does only what generate does.
			r.hit = append(r.hit, d)
			continue
		case e != nil:
			r.tagged = append(r.tagged, d)
		default:
			r.missed = append(r.missed, d)
		}
		// What the run will see: read before it starts, so that a file
		// that changes while it runs is recorded as it was, and misses
		// the next time.
		states, err := s.closure(cx, d)
		if err == nil {
			r.before[d] = states
		}
	}
	return r
}

// listDirs returns the directories of the packages cfg names, as the go
// command finds them without loading them.
func listDirs(cfg Config, env []string) ([]string, error) {
	patterns := cfg.Patterns
	if len(patterns) == 0 {
		patterns = []string{"."}
	}
	args := []string{"list", "-find", "-e", "-json=Dir,ImportPath,Error"}
	if len(cfg.Tags) > 0 {
		args = append(args, "-tags="+strings.Join(cfg.Tags, ","))
	}
	cmd := exec.Command("go", append(append(args, "--"), patterns...)...)
	cmd.Dir = cfg.Dir
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	seen := map[string]bool{}
	var dirs []string
	for {
		var p struct {
			Dir, ImportPath string
			Error           *struct{ Err string }
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
		// Errors, and files named on the command line, are the uncached
		// run's to report and handle.
		if p.Error != nil || p.Dir == "" || p.ImportPath == "command-line-arguments" {
			return nil, errNoCache
		}
		if !seen[p.Dir] {
			seen[p.Dir] = true
			dirs = append(dirs, p.Dir)
		}
	}
	sort.Strings(dirs)
	return dirs, nil
}

// record stores an entry for every missed directory whose files are now
// exactly as expected: as read before the run, with the run's changes
// applied (when it wrote them), and with the sources the run planned from
// as read before. Directories for which that fails are left to miss.
func (r *cacheRun) record(res *Result, changes []*Change, checked bool) {
	if r == nil {
		return
	}
	// The sources as the run read them.
	planned := map[string]string{}
	if res != nil && res.Plan != nil {
		for _, fp := range res.Plan.Files {
			if fp.file != nil {
				planned[fp.Source] = hashBytes(fp.file.src)
			}
		}
	}
	tagged := map[string]bool{}
	for _, d := range r.tagged {
		tagged[d] = true
	}
	if res != nil {
		for src := range res.Twins {
			tagged[filepath.Dir(src)] = true
		}
	}
	now := newSnapshot()
	wrote := false
	for _, d := range append(append([]string(nil), r.missed...), r.tagged...) {
		before, ok := r.before[d]
		if !ok {
			continue
		}
		e := &cacheEntry{Format: cacheFormat, Key: r.cx.key, Dir: d, Checked: checked, Tagged: tagged[d]}
		good := true
		for _, st := range before {
			want := &dirState{Dir: st.Dir, Tests: st.Tests}
			if st.Files != nil {
				want.Files = maps(st.Files)
			}
			for _, ch := range changes {
				name := filepath.Base(ch.Path)
				if filepath.Dir(ch.Path) != st.Dir || (!st.Tests && strings.HasSuffix(name, "_test.go")) {
					continue
				}
				if want.Files == nil {
					good = false // a file written in a directory that was not there
					break
				}
				if ch.New == nil {
					delete(want.Files, name)
				} else {
					want.Files[name] = hashBytes(ch.New)
				}
			}
			if st.Dir == d {
				for name, h := range st.Files {
					if ph, ok := planned[filepath.Join(d, name)]; ok && ph != h {
						good = false // changed between the snapshot and the load
					}
				}
			}
			got, err := now.state(st.Dir, st.Tests)
			if err != nil || !sameFiles(got.Files, want.Files) {
				good = false
			}
			if !good {
				break
			}
			e.Dirs = append(e.Dirs, want)
		}
		if !good {
			continue
		}
		data, err := json.Marshal(e)
		if err == nil && r.c.writeFile(r.c.entryPath(r.cx, d), data) {
			wrote = true
		}
	}
	if wrote {
		r.c.trim()
	}
}

func maps(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// trim removes entries unused for cacheMaxAge, then the oldest while the
// cache is larger than cacheMaxBytes, at most once per cacheTrimEvery.
func (c *Cache) trim() {
	stamp := filepath.Join(c.dir, "trim.txt")
	if st, err := os.Stat(stamp); err == nil && time.Since(st.ModTime()) < cacheTrimEvery {
		return
	}
	c.writeFile(stamp, []byte(time.Now().UTC().Format(time.RFC3339)+"\n"))
	c.trimNow(cacheMaxAge, cacheMaxBytes)
}

func (c *Cache) trimNow(maxAge time.Duration, maxBytes int64) {
	type file struct {
		path string
		size int64
		mod  time.Time
	}
	var files []file
	var total int64
	subdirs, _ := os.ReadDir(c.dir)
	for _, sd := range subdirs {
		if !sd.IsDir() || len(sd.Name()) != 2 {
			continue
		}
		sub := filepath.Join(c.dir, sd.Name())
		entries, _ := os.ReadDir(sub)
		for _, e := range entries {
			info, err := e.Info()
			if err != nil || info.IsDir() {
				continue
			}
			path := filepath.Join(sub, e.Name())
			// Entries not used for long, and temporary files a killed
			// process left.
			if time.Since(info.ModTime()) > maxAge || (strings.HasPrefix(e.Name(), ".tmp-") && time.Since(info.ModTime()) > time.Hour) {
				os.Remove(path)
				continue
			}
			files = append(files, file{path, info.Size(), info.ModTime()})
			total += info.Size()
		}
	}
	if total <= maxBytes {
		return
	}
	slices.SortFunc(files, func(a, b file) int { return a.mod.Compare(b.mod) })
	for _, f := range files {
		if total <= maxBytes {
			break
		}
		if os.Remove(f.path) == nil {
			total -= f.size
		}
	}
}

// run is Run with the cache: only the packages that miss are loaded.
func (c *Cache) run(cfg Config) (*Result, error) {
	cfg.Cache = nil
	r := c.prepare(cfg, false)
	if r == nil {
		return run(cfg)
	}
	if len(r.missed) == 0 {
		return &Result{Plan: &Plan{}, Twins: map[string][]byte{}, Cached: r.hit}, nil
	}
	cfg.Patterns = r.missed
	res, err := run(cfg)
	if err != nil {
		return nil, err
	}
	res.Cached, res.cache = r.hit, r
	return res, nil
}

// check is Check with the cache: only the packages that miss are checked,
// and those found clean are recorded.
func (c *Cache) check(cfg Config) (*CheckResult, error) {
	cfg.Cache = nil
	r := c.prepare(cfg, true)
	if r == nil {
		cr, _, err := check(cfg, nil)
		return cr, err
	}
	if len(r.missed) == 0 && len(r.tagged) == 0 {
		return &CheckResult{Findings: []Finding{}, Dirs: []string{}, Cached: r.hit}, nil
	}
	var (
		cr  *CheckResult
		res *Result
		err error
	)
	if len(r.missed) > 0 {
		cfg.Patterns = r.missed
		cr, res, err = check(cfg, r.tagged)
	} else {
		// Only tagged builds to type-check: nothing to plan or render.
		res = &Result{Plan: &Plan{}, Twins: map[string][]byte{}}
		cr = &CheckResult{Findings: []Finding{}, Dirs: []string{}}
		var typeErrs []Finding
		typeErrs, err = typecheckTagged(cfg, res, r.tagged)
		cr.Findings = append(cr.Findings, typeErrs...)
	}
	if err != nil {
		return nil, err
	}
	cr.Cached = r.hit
	if len(cr.Findings) == 0 {
		r.record(res, nil, true)
	}
	return cr, nil
}

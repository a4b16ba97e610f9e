package gen

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/tools/go/packages"
)

// Config says which packages to process and how to load them.
type Config struct {
	// Dir is the directory patterns are resolved in; "" means the current
	// directory.
	Dir string
	// Patterns are package patterns as the go command takes them; none
	// means ".".
	Patterns []string
	// Tags are extra build tags for loading. The hotpath tag itself is never
	// set: generate reads the untagged view, where sources are visible and
	// twins are not.
	Tags []string
	// Env is the environment of the go command (nil: this process's), for
	// example to load for another GOOS.
	Env []string
	// NoTests leaves _test.go files out.
	NoTests bool
	// Cache, when not nil, skips the packages whose files are as they were
	// when generate or check last found nothing to do (see cache.go).
	Cache *Cache
}

// loadedFile is one source file of the untagged build, with the package
// variant that type-checked it.
type loadedFile struct {
	path string // absolute
	src  []byte // contents as read when loading
	ast  *ast.File
	pkg  *loadedPackage
}

// loadedPackage is a package as go/packages returned it, reduced to what the
// generator needs. With tests, a directory can hold two: the package (with its
// in-package tests) and the external _test package.
type loadedPackage struct {
	path  string // import path, without the test variant suffix
	name  string
	dir   string
	fset  *token.FileSet
	types *types.Package
	info  *types.Info
	files []*loadedFile
	// errs are the package's load, parse and type errors.
	errs []packages.Error
	// ignored are the files of the directory excluded from this build, by
	// build constraints or file names (twins are among them).
	ignored []string
	// cgo lists files that use cgo: go/packages replaced them with
	// generated files, so they are parsed apart for directives.
	cgo []string
}

const loadMode = packages.NeedName | packages.NeedFiles | packages.NeedCompiledGoFiles |
	packages.NeedImports | packages.NeedTypes | packages.NeedSyntax | packages.NeedTypesInfo |
	packages.NeedModule

// LoadError is a failure to load packages at all (bad pattern, no go.mod,
// go command missing); the CLI exits 2 on it.
type LoadError struct{ Err error }

func (e *LoadError) Error() string {
	var h *loadHint
	if errors.As(e.Err, &h) {
		return h.Error()
	}
	return "load packages: " + e.Err.Error()
}

// loadHint is a load failure explained: what went wrong, with the pattern
// or setting at fault, and what to do.
type loadHint struct{ msg string }

func (h *loadHint) Error() string { return h.msg }

func hintf(format string, args ...any) error { return &loadHint{fmt.Sprintf(format, args...)} }

// explainLoadError turns the go command's message about patterns into one
// that names the pattern and says what to do; others stay as they are.
func explainLoadError(cfg Config, patterns []string, err error) error {
	msg := err.Error()
	dir := cfg.Dir
	if dir == "" {
		dir = "."
	}
	if abs, aerr := filepath.Abs(dir); aerr == nil {
		dir = abs
	}
	pattern := strings.Join(patterns, " ")
	for _, p := range patterns {
		if strings.Contains(msg, p) {
			pattern = p
			break
		}
	}
	switch {
	case strings.Contains(msg, "go.mod file not found") || strings.Contains(msg, "does not contain main module") ||
		strings.Contains(msg, "cannot find main module"):
		return hintf("pattern %s: %s is not inside a Go module (no go.mod there or above it); run hotpathgen in your module, or pass -C <module dir>\n\t(go: %s)",
			pattern, dir, firstLine(msg))
	case strings.Contains(msg, "no such file or directory") || strings.Contains(msg, "directory not found") ||
		strings.Contains(msg, "cannot find the path") || strings.Contains(msg, "cannot find the file"):
		return hintf("pattern %s: no such directory under %s; give a directory of this module (./pkg, ./pkg/...) or ./... for all of it\n\t(go: %s)",
			pattern, dir, firstLine(msg))
	case strings.Contains(msg, "no required module provides package") || strings.Contains(msg, "cannot find module providing package") ||
		strings.Contains(msg, "is not in std") ||
		strings.Contains(msg, "malformed import path") || strings.Contains(msg, "cannot find package"):
		return hintf("pattern %s: not a package of this module; hotpathgen instruments your own packages: give a directory (./pkg) or a package path of the module\n\t(go: %s)",
			pattern, firstLine(msg))
	}
	return err
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	line, _, _ = strings.Cut(line, "; to add it")
	return strings.TrimSpace(line)
}

// goflagsTags returns the build tags that GOFLAGS, in env, gives every go
// command, as it holds them: -tags=a,b or --tags=a (GOFLAGS takes only the
// flag=value form for flags with values).
func goflagsTags(env []string) (goflags string, tags []string) {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "GOFLAGS="); ok {
			goflags = v
		}
	}
	for _, f := range strings.Fields(goflags) {
		f = strings.TrimLeft(f, "-")
		if v, ok := strings.CutPrefix(f, "tags="); ok {
			tags = append(tags, strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' })...)
		}
	}
	return goflags, tags
}
func (e *LoadError) Unwrap() error { return e.Err }

func load(cfg Config) ([]*loadedPackage, error) {
	patterns := cfg.Patterns
	if len(patterns) == 0 {
		patterns = []string{"."}
	}
	for _, t := range cfg.Tags {
		if t == buildTag {
			return nil, &LoadError{fmt.Errorf("-tags must not include %q: hotpathgen reads the untagged build", buildTag)}
		}
	}
	env := cfg.Env
	if env == nil {
		env = os.Environ()
	}
	if goflags, tags := goflagsTags(env); slices.Contains(tags, buildTag) {
		return nil, &LoadError{hintf("GOFLAGS=%q sets the %q build tag, so the go command would load the twins in place of their sources; "+
			"hotpathgen reads the untagged build: run it without the tag (GOFLAGS= go generate ./...), and give -tags %s to go build, test and run only",
			goflags, buildTag, buildTag)}
	}
	var flags []string
	if len(cfg.Tags) > 0 {
		flags = append(flags, "-tags="+strings.Join(cfg.Tags, ","))
	}
	fset := token.NewFileSet()
	pcfg := &packages.Config{
		Mode:       loadMode,
		Dir:        cfg.Dir,
		Env:        cfg.Env,
		BuildFlags: flags,
		Tests:      !cfg.NoTests,
		Fset:       fset,
	}
	pkgs, err := packages.Load(pcfg, patterns...)
	if err != nil {
		return nil, &LoadError{explainLoadError(cfg, patterns, err)}
	}
	if len(pkgs) == 0 {
		// go/packages returns nothing, without an error, when the go
		// command itself fails (a go.mod that needs updating, say): ask it
		// directly for the reason.
		return nil, &LoadError{explainLoadError(cfg, patterns, goListError(cfg, flags, patterns))}
	}
	// A pattern that matches nothing is a usage error, as for go build.
	var listErrs []string
	for _, p := range pkgs {
		for _, e := range p.Errors {
			if e.Kind == packages.ListError && len(p.GoFiles) == 0 && len(p.IgnoredFiles) == 0 {
				msg := e.Msg
				// "x.go: parsing //go:build line: ...": name the file by
				// its path, so that it can be found.
				if name, rest, ok := strings.Cut(msg, ": "); ok && p.Dir != "" && strings.HasSuffix(name, ".go") && !strings.ContainsAny(name, "/\\ ") {
					msg = filepath.Join(p.Dir, name) + ": " + rest
				}
				listErrs = append(listErrs, msg)
			}
		}
	}
	if len(listErrs) > 0 {
		return nil, &LoadError{explainLoadError(cfg, patterns, fmt.Errorf("%s", strings.Join(listErrs, "\n")))}
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, &LoadError{err}
	}
	for _, p := range pkgs {
		p.Errors = splitCompilerErrors(dir, p.Errors)
	}
	return groupPackages(fset, pkgs)
}

// splitCompilerErrors turns the go command's report of a package that
// does not compile ("# pkg" and lines "file:line:col: message", with
// paths relative to dir, where it ran) into one error per line with its
// position. The compiler rejects some things the type checker accepts: a
// function without a body and no assembly, misused //go: directives.
func splitCompilerErrors(dir string, errs []packages.Error) []packages.Error {
	var out []packages.Error
	for _, e := range errs {
		head, rest, ok := strings.Cut(e.Msg, "\n")
		if e.Kind != packages.ListError || e.Pos != "" || !ok || !strings.HasPrefix(head, "# ") {
			out = append(out, e)
			continue
		}
		var split []packages.Error
		for _, line := range strings.Split(strings.TrimRight(rest, "\n"), "\n") {
			if strings.HasPrefix(line, "\t") && len(split) > 0 {
				split[len(split)-1].Msg += "\n" + line // have/want detail
				continue
			}
			pos, msg, ok := cutPosition(line)
			if !ok {
				split = nil
				break
			}
			if !filepath.IsAbs(pos) {
				pos = filepath.Join(dir, pos)
			}
			split = append(split, packages.Error{Pos: pos, Msg: msg, Kind: packages.ListError})
		}
		if split == nil {
			out = append(out, e)
		}
		out = append(out, split...)
	}
	return out
}

// cutPosition splits "file:line:col: message".
func cutPosition(line string) (pos, msg string, ok bool) {
	parts := strings.SplitN(line, ": ", 2)
	if len(parts) != 2 {
		return "", "", false
	}
	f := strings.Split(parts[0], ":")
	if len(f) < 3 {
		return "", "", false
	}
	for _, n := range f[len(f)-2:] {
		if _, err := strconv.Atoi(n); err != nil {
			return "", "", false
		}
	}
	return parts[0], parts[1], true
}

// groupPackages keeps one variant per source file: the test variant of a
// package when there is one (it type-checks the package's files together
// with its in-package tests), the external test package for its own files.
func groupPackages(fset *token.FileSet, pkgs []*packages.Package) ([]*loadedPackage, error) {
	// Test variants first, so that their files win over the plain package.
	sort.SliceStable(pkgs, func(i, j int) bool {
		return isTestVariant(pkgs[i]) && !isTestVariant(pkgs[j])
	})
	seen := map[string]bool{}
	var out []*loadedPackage
	for _, p := range pkgs {
		if strings.HasSuffix(p.ID, ".test") || p.Types == nil {
			continue // the generated test main package
		}
		lp := &loadedPackage{
			path:  strings.TrimSuffix(p.PkgPath, "_test"),
			name:  p.Name,
			fset:  fset,
			types: p.Types,
			info:  p.TypesInfo,
			errs:  p.Errors,
		}
		if strings.HasSuffix(p.PkgPath, "_test") {
			lp.path = p.PkgPath
		}
		compiled := map[string]*ast.File{}
		for i, f := range p.Syntax {
			if i < len(p.CompiledGoFiles) {
				compiled[p.CompiledGoFiles[i]] = f
			}
		}
		for _, name := range p.GoFiles {
			if lp.dir == "" {
				lp.dir = filepath.Dir(name)
			}
			if seen[name] {
				continue
			}
			f, ok := compiled[name]
			if !ok {
				lp.cgo = append(lp.cgo, name)
				seen[name] = true
				continue
			}
			seen[name] = true
			src, err := os.ReadFile(name)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", name, err)
			}
			// The syntax tree was parsed from an earlier read: a file that
			// another process (a concurrent hotpathgen, an editor) rewrote
			// in between would give every position a wrong offset.
			if tf := p.Fset.File(f.Pos()); tf != nil && tf.Size() != len(src) {
				return nil, fmt.Errorf("%s changed while hotpathgen was running; run it again", name)
			}
			lp.files = append(lp.files, &loadedFile{path: name, src: src, ast: f, pkg: lp})
		}
		for _, name := range p.IgnoredFiles {
			if lp.dir == "" {
				lp.dir = filepath.Dir(name)
			}
			lp.ignored = append(lp.ignored, name)
		}
		if len(lp.files) == 0 && len(lp.cgo) == 0 && len(lp.errs) == 0 {
			continue
		}
		out = append(out, lp)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].dir != out[j].dir {
			return out[i].dir < out[j].dir
		}
		return out[i].path < out[j].path
	})
	return out, nil
}

// goListError runs go list on the patterns and returns what it says.
func goListError(cfg Config, flags, patterns []string) error {
	args := append(append([]string{"list", "-e"}, flags...), "--")
	cmd := exec.Command("go", append(args, patterns...)...)
	cmd.Dir = cfg.Dir
	if cfg.Env != nil {
		cmd.Env = cfg.Env
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if msg := strings.TrimSpace(stderr.String()); msg != "" {
		return errors.New(msg)
	}
	if err != nil {
		return fmt.Errorf("go list: %w", err)
	}
	return fmt.Errorf("%s matched no packages", strings.Join(patterns, " "))
}

func isTestVariant(p *packages.Package) bool {
	return strings.Contains(p.ID, " [") || strings.HasSuffix(p.PkgPath, "_test")
}

// hasDirectiveText is a cheap test for files worth a closer look.
func hasDirectiveText(src []byte) bool {
	return bytes.Contains(src, []byte("hotpath:"))
}

package gen

import (
	"fmt"
	"go/token"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/tools/go/packages"
)

// Finding is one thing hotpathgen check reports.
type Finding struct {
	// Path is the file concerned.
	Path string `json:"path"`
	// Kind is one of: stale, missing, orphaned, edited, constraint missing,
	// constraint not needed, error (a directive or source error), tagged build
	// (the instrumented build would not compile).
	Kind string `json:"kind"`
	// Message details errors; empty for file states.
	Message string `json:"message,omitempty"`
	// Line and Column locate errors.
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
}

// CheckResult is what hotpathgen check found.
type CheckResult struct {
	Findings []Finding `json:"findings"`
	// Dirs are the package directories that generate would change: the
	// fix is to run hotpathgen on them.
	Dirs []string `json:"dirs"`
	// Cached are the package directories that Config.Cache found clean
	// without loading them.
	Cached []string `json:"-"`
}

// Check runs the generate pipeline without writing and reports every file
// that is not as generate would leave it, every error in the directives,
// and every type error of the instrumented (-tags hotpath) build, which it
// type-checks in memory with the fresh twins as an overlay.
func Check(cfg Config) (*CheckResult, error) {
	if cfg.Cache != nil {
		return cfg.Cache.check(cfg)
	}
	cr, _, err := check(cfg, nil)
	return cr, err
}

// check is Check without the cache; it returns the generate pipeline's
// result too. The tagged builds of the packages in the directories
// alsoTagged are type-checked with the others.
func check(cfg Config, alsoTagged []string) (*CheckResult, *Result, error) {
	res, err := run(cfg)
	if err != nil {
		return nil, nil, err
	}
	cr := &CheckResult{Findings: []Finding{}, Dirs: []string{}}
	for _, e := range res.Errors {
		cr.Findings = append(cr.Findings, Finding{Path: e.Pos.Filename, Kind: "error", Message: e.Msg, Line: e.Pos.Line, Column: e.Pos.Column})
	}
	if len(res.Errors) > 0 {
		return cr, res, nil
	}
	dirs := map[string]bool{}
	for _, c := range res.Changes {
		kind := c.Reason
		switch {
		case c.Kind == DeleteTwin:
			kind = "orphaned"
		case c.Reason == "constraint no longer needed":
			kind = "constraint not needed"
		}
		cr.Findings = append(cr.Findings, Finding{Path: c.Path, Kind: kind})
		dirs[filepath.Dir(c.Path)] = true
	}
	typeErrs, err := typecheckTagged(cfg, res, alsoTagged)
	if err != nil {
		return nil, nil, err
	}
	cr.Findings = append(cr.Findings, typeErrs...)
	for d := range dirs {
		cr.Dirs = append(cr.Dirs, d)
	}
	sort.Strings(cr.Dirs)
	return cr, res, nil
}

// typecheckTagged loads the packages that have twins as the hotpath build
// sees them, with every twin and edited source overlaid from memory, and
// returns their type errors. The packages in the directories alsoDirs
// are loaded with them.
func typecheckTagged(cfg Config, res *Result, alsoDirs []string) ([]Finding, error) {
	if len(res.Twins) == 0 && len(alsoDirs) == 0 {
		return nil, nil
	}
	// Only the files generate would change go in the overlay: the others
	// are on disk as generate leaves them. So a tree that is up to date
	// (check in CI) loads with no overlay at all, and go/packages takes
	// every dependency from export data; any overlay makes it type-check
	// all of them, the standard library included, from source, which
	// multiplied check's time by four on this repository.
	overlay := map[string][]byte{}
	for _, c := range res.Changes {
		switch {
		case c.New != nil:
			overlay[c.Path] = c.New
		case c.Kind == DeleteTwin:
			// An overlay cannot delete a file: replace the twin generate
			// would delete by one that no build includes.
			overlay[c.Path] = []byte("//go:build ignore\n\npackage ignored\n")
		}
	}
	dirSet := map[string]bool{}
	for src := range res.Twins {
		dirSet[filepath.Dir(src)] = true
	}
	for _, d := range alsoDirs {
		dirSet[d] = true
	}
	var patterns []string
	for d := range dirSet {
		patterns = append(patterns, d)
	}
	sort.Strings(patterns)
	tags := append(append([]string(nil), cfg.Tags...), buildTag)
	pcfg := &packages.Config{
		Mode:       packages.NeedName | packages.NeedFiles | packages.NeedCompiledGoFiles | packages.NeedImports | packages.NeedTypes | packages.NeedSyntax,
		Dir:        cfg.Dir,
		Env:        cfg.Env,
		BuildFlags: []string{"-tags=" + strings.Join(tags, ",")},
		Tests:      !cfg.NoTests,
		Overlay:    overlay,
		Fset:       token.NewFileSet(),
	}
	pkgs, err := packages.Load(pcfg, patterns...)
	if err != nil {
		return nil, &LoadError{fmt.Errorf("tagged build: %w", err)}
	}
	if len(pkgs) == 0 {
		// The go command failed as a whole (a go.mod that lacks what the
		// tagged build imports, say): never a silent pass.
		return nil, &LoadError{fmt.Errorf("tagged build: %w", goListError(cfg, pcfg.BuildFlags, patterns))}
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, &LoadError{err}
	}
	seen := map[string]bool{}
	var out []Finding
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		// As for the untagged build: the errors that say what is wrong,
		// once (the go command's report of the failed compile names the
		// overlay's temporary files).
		for _, e := range underlyingErrors(splitCompilerErrors(dir, p.Errors)) {
			key := e.Pos + e.Msg
			if seen[key] {
				continue
			}
			seen[key] = true
			pe := packageError(e)
			out = append(out, Finding{Path: pe.Pos.Filename, Kind: "tagged build", Message: e.Msg, Line: pe.Pos.Line, Column: pe.Pos.Column})
		}
	})
	return out, nil
}

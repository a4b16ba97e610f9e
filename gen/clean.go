package gen

import (
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/tools/go/packages"
)

// Clean returns the changes that remove every twin hotpathgen generated in
// the packages' directories and the constraints it added to their sources,
// leaving each source byte-identical to what it was before the first
// generate. It reads only file headers, so it works on packages that do
// not build.
func Clean(cfg Config) ([]*Change, error) {
	patterns := cfg.Patterns
	if len(patterns) == 0 {
		patterns = []string{"."}
	}
	pcfg := &packages.Config{Mode: packages.NeedName | packages.NeedFiles, Dir: cfg.Dir, Env: cfg.Env, Tests: !cfg.NoTests}
	if len(cfg.Tags) > 0 {
		pcfg.BuildFlags = []string{"-tags=" + strings.Join(cfg.Tags, ",")}
	}
	pkgs, err := packages.Load(pcfg, patterns...)
	if err != nil {
		return nil, &LoadError{err}
	}
	dirs := map[string]bool{}
	for _, p := range pkgs {
		for _, f := range append(append([]string{}, p.GoFiles...), p.IgnoredFiles...) {
			dirs[filepath.Dir(f)] = true
		}
	}
	var changes []*Change
	for dir := range dirs {
		c, err := cleanDir(dir)
		if err != nil {
			return nil, err
		}
		changes = append(changes, c...)
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].Path < changes[j].Path })
	return changes, nil
}

func cleanDir(dir string) ([]*Change, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read directory %s: %w", dir, err)
	}
	texts := map[string][]byte{} // the directory's .go files, by name
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		text, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		texts[e.Name()] = text
	}
	// Only a source that has a twin of hotpathgen's loses its constraint;
	// one a user wrote stays.
	var changes []*Change
	for name, text := range texts {
		src := generatedSource(text)
		if src == "" {
			continue
		}
		changes = append(changes, &Change{Kind: DeleteTwin, Path: filepath.Join(dir, name), Source: filepath.Join(dir, src), Old: text, Reason: "clean"})
		srcText, ok := texts[src]
		if !ok {
			continue
		}
		path := filepath.Join(dir, src)
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, srcText, parser.PackageClauseOnly|parser.ParseComments)
		if err != nil {
			continue // not ours to judge; a header without a package clause has no constraint of ours
		}
		if h := findConstraint(srcText, f, fset); h.added() {
			changes = append(changes, &Change{Kind: EditSource, Path: path, Source: path, Old: srcText, New: withoutSourceConstraint(srcText, h), Reason: "clean"})
		}
	}
	return changes, nil
}

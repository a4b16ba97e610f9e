package gen

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// A measured function holds a deferred call, so the compiler no longer
// inlines it, and a value it returns by pointer can then escape to the heap
// where it did not before. Inlinable tells which measured functions the
// compiler inlines in the untagged build, so that a user can choose: it
// compiles their packages as they are (untagged) with -gcflags=-m and reads
// the compiler's "can inline" lines.

// canInlineLine matches a line of -gcflags=-m output: "file:line:col: can
// inline NAME".
var canInlineLine = regexp.MustCompile(`^(.+?\.go):(\d+):(\d+): can inline (.+)$`)

// Inlinable reports, for every function measured in the plan's non-test
// files, whether the compiler inlines it in the untagged build. A function
// of a _test.go file is absent from the result (go build does not compile
// it), and so is a generic function that its package never instantiates.
func Inlinable(cfg Config, p *Plan) (map[*Measure]bool, error) {
	pkgs := map[string]bool{}
	for _, fp := range p.Files {
		if len(fp.Measures) > 0 && !strings.HasSuffix(fp.Source, "_test.go") {
			pkgs[strings.TrimSuffix(fp.Package, "_test")] = true
		}
	}
	out := map[*Measure]bool{}
	if len(pkgs) == 0 {
		return out, nil
	}
	var list []string
	for p := range pkgs {
		list = append(list, p)
	}
	sort.Strings(list)
	args := []string{"build", "-gcflags=-m", "-o", os.DevNull}
	if len(list) > 1 {
		// -o names a directory when there are several packages; build
		// without writing instead.
		args = []string{"build", "-gcflags=-m"}
	}
	if len(cfg.Tags) > 0 {
		args = append(args, "-tags="+strings.Join(cfg.Tags, ","))
	}
	cmd := exec.Command("go", append(append(args, "--"), list...)...)
	cmd.Dir = cfg.Dir
	if cfg.Env != nil {
		cmd.Env = cfg.Env
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	dir := cfg.Dir
	if dir == "" {
		dir = "."
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	type key struct {
		file string
		line int
	}
	inl := map[key][]string{}
	sc := bufio.NewScanner(&stderr)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		m := canInlineLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		file := m[1]
		if !filepath.IsAbs(file) {
			file = filepath.Join(dir, file)
		}
		line, _ := strconv.Atoi(m[2])
		k := key{filepath.Clean(file), line}
		inl[k] = append(inl[k], m[4])
	}
	for _, fp := range p.Files {
		if strings.HasSuffix(fp.Source, "_test.go") {
			continue
		}
		for _, m := range fp.Measures {
			pos := fp.file.pkg.fset.Position(m.decl.Name.Pos())
			found := false
			for _, name := range inl[key{filepath.Clean(pos.Filename), pos.Line}] {
				if inlineName(name) == m.decl.Name.Name {
					found = true
				}
			}
			// A generic function is compiled only where it is
			// instantiated: without a "can inline" line its answer is
			// unknown.
			if found || !isGeneric(m.decl) {
				out[m] = found
			}
		}
	}
	return out, nil
}

// inlineName is the function's own name in a name the compiler prints:
// F, (*T).M, T.M, Map[...]; "" for a function literal (F.func1).
func inlineName(s string) string {
	// Drop type arguments, nested ones too: (*Stack[go.shape.int]).Push.
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '[':
			depth++
		case r == ']':
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	s = b.String()
	if i := strings.LastIndexByte(s, '.'); i >= 0 {
		s = s[i+1:]
	}
	if strings.HasPrefix(s, "func") && strings.Trim(s[4:], "0123456789") == "" && len(s) > 4 {
		return ""
	}
	return s
}

// isGeneric reports a function or method with type parameters.
func isGeneric(fd *ast.FuncDecl) bool {
	if fd.Type.TypeParams != nil && len(fd.Type.TypeParams.List) > 0 {
		return true
	}
	if fd.Recv != nil && len(fd.Recv.List) > 0 {
		t := fd.Recv.List[0].Type
		if st, ok := t.(*ast.StarExpr); ok {
			t = st.X
		}
		switch t.(type) {
		case *ast.IndexExpr, *ast.IndexListExpr:
			return true
		}
	}
	return false
}

package gen

import (
	"go/ast"
	"go/types"
	"path/filepath"
	"strconv"
	"strings"
)

// twinPath returns the path of the instrumented twin of a source file:
// x.go -> x_hotpath.go, x_test.go -> x_hotpath_test.go. The hotpath element
// goes before the GOOS/GOARCH and _test suffixes, which the go command reads
// from the end of the name: x_linux_amd64_test.go -> x_hotpath_linux_amd64_test.go.
func twinPath(src string) string {
	dir, base := filepath.Split(src)
	stem := strings.TrimSuffix(base, ".go")
	var suffix string
	if s, ok := strings.CutSuffix(stem, "_test"); ok {
		stem, suffix = s, "_test"
	}
	// Only the part after the first underscore is read for GOOS/GOARCH.
	first := strings.IndexByte(stem, '_')
	if first >= 0 {
		parts := strings.Split(stem[first+1:], "_")
		n := len(parts)
		keep := 0
		switch {
		case n >= 2 && knownOS[parts[n-2]] && knownArch[parts[n-1]]:
			keep = 2
		case n >= 1 && (knownOS[parts[n-1]] || knownArch[parts[n-1]]):
			keep = 1
		}
		if keep > 0 && keep < n+1 {
			tail := "_" + strings.Join(parts[n-keep:], "_")
			stem = strings.TrimSuffix(stem, tail)
			suffix = tail + suffix
		}
	}
	return dir + stem + "_" + buildTag + suffix + ".go"
}

var knownOS = setOf("aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js",
	"linux", "nacl", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows", "zos")

var knownArch = setOf("386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "loong64", "mips",
	"mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc", "ppc64", "ppc64le", "riscv",
	"riscv64", "s390", "s390x", "sparc", "sparc64", "wasm")

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// symbolPackage is the package part of symbol names: the import path, or
// "main" for a command, as the runtime and pprof print them.
func symbolPackage(pkg *loadedPackage) string {
	if pkg.name == "main" {
		return "main"
	}
	return pkg.path
}

// funcSymbol returns the name the Go runtime (and so pprof) gives a
// function: p.F, p.F[...], p.T.M, p.(*T).M, p.(*T[...]).M, p.init.0.
func funcSymbol(pkg *loadedPackage, decl *ast.FuncDecl, initIndex int) string {
	prefix := symbolPackage(pkg) + "."
	name := decl.Name.Name
	if decl.Recv == nil || len(decl.Recv.List) == 0 {
		if name == "init" {
			return prefix + "init." + strconv.Itoa(initIndex)
		}
		if decl.Type.TypeParams != nil && len(decl.Type.TypeParams.List) > 0 {
			return prefix + name + "[...]"
		}
		return prefix + name
	}
	typ := decl.Recv.List[0].Type
	ptr := false
	if star, ok := typ.(*ast.StarExpr); ok {
		ptr, typ = true, star.X
	}
	if paren, ok := typ.(*ast.ParenExpr); ok {
		typ = paren.X
	}
	generic := false
	switch t := typ.(type) {
	case *ast.IndexExpr:
		typ, generic = t.X, true
	case *ast.IndexListExpr:
		typ, generic = t.X, true
	}
	recv := exprName(typ)
	if pkg.info != nil {
		// An alias receiver names the type it stands for.
		if id, ok := typ.(*ast.Ident); ok {
			if obj := pkg.info.Uses[id]; obj != nil {
				if named, ok := types.Unalias(obj.Type()).(*types.Named); ok {
					recv = named.Obj().Name()
					generic = named.TypeParams().Len() > 0
				}
			}
		}
	}
	if generic {
		recv += "[...]"
	}
	if ptr {
		return prefix + "(*" + recv + ")." + name
	}
	return prefix + recv + "." + name
}

func exprName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return exprName(e.X) + "." + e.Sel.Name
	}
	return "?"
}

// receiverType returns the named type a method is declared on, or nil.
func receiverType(info *types.Info, decl *ast.FuncDecl) *types.TypeName {
	if decl.Recv == nil || info == nil {
		return nil
	}
	obj, ok := info.Defs[decl.Name].(*types.Func)
	if !ok {
		return nil
	}
	recv := obj.Type().(*types.Signature).Recv()
	if recv == nil {
		return nil
	}
	t := types.Unalias(recv.Type())
	if p, ok := t.(*types.Pointer); ok {
		t = types.Unalias(p.Elem())
	}
	if n, ok := t.(*types.Named); ok {
		return n.Origin().Obj()
	}
	return nil
}

// identName turns text into a Go identifier fragment: letters, digits and
// underscores kept, everything else an underscore.
func identName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9'):
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// nameFile gives the targets of a file the names its twin declares, kind
// by kind in registry order.
func nameFile(fp *FilePlan) {
	n := &namer{used: map[string]int{}, stem: identName(strings.TrimSuffix(baseName(fp.Source), ".go"))}
	for _, u := range fp.units {
		u.name(fp, n)
	}
}

func recvTypeName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return ""
	}
	t := fd.Recv.List[0].Type
	for {
		switch e := t.(type) {
		case *ast.StarExpr:
			t = e.X
			continue
		case *ast.ParenExpr:
			t = e.X
			continue
		case *ast.IndexExpr:
			t = e.X
			continue
		case *ast.IndexListExpr:
			t = e.X
			continue
		}
		break
	}
	return exprName(t)
}

func baseName(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[i+1:]
	}
	return path
}

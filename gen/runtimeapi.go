package gen

import (
	"go/ast"
	"go/token"
	"strconv"

	"github.com/dave/dst"
)

// This file is the one place that knows how twins refer to the runtime:
// its import path, the name a twin imports it under, and the expressions
// that name its functions and types.

// runtimePath is the import path of the runtime generated code calls: the
// runtime's package for generated code only (the user API is package
// hotpath, github.com/hotpath-go/hotpath/runtime, which twins leave alone).
const runtimePath = "github.com/hotpath-go/hotpath/runtime/hotpathimpl"

// runtimeName is the name a twin imports the runtime under, unless the file
// imports it already or uses the name for something else (then runtimeName2,
// runtimeName3, ...).
const runtimeName = "hotpathimpl"

// runtimeImport is the name generated code uses for the runtime package.
type runtimeImport struct {
	name string
	add  bool // the file does not import the runtime yet
}

// importName picks the name under which the twin refers to the runtime:
// the file's own import of it if it has one, else runtimeName ("hotpathimpl"), or
// "hotpathimpl2", ... when the file already uses that name for something else.
func importName(f *loadedFile) runtimeImport {
	used := map[string]bool{}
	for _, imp := range f.ast.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if path == runtimePath && imp.Name != nil && imp.Name.Name != "_" && imp.Name.Name != "." {
			return runtimeImport{name: imp.Name.Name}
		}
		if path == runtimePath && imp.Name == nil {
			return runtimeImport{name: runtimeName}
		}
		if imp.Name != nil {
			used[imp.Name.Name] = true
		} else if pkg := f.pkg.types.Imports(); pkg != nil {
			for _, p := range pkg {
				if p.Path() == path {
					used[p.Name()] = true
				}
			}
		}
	}
	ast.Inspect(f.ast, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			used[id.Name] = true
		}
		return true
	})
	scope := f.pkg.types.Scope()
	for i := 1; ; i++ {
		name := runtimeName
		if i > 1 {
			name += strconv.Itoa(i)
		}
		if !used[name] && scope.Lookup(name) == nil {
			return runtimeImport{name: name, add: true}
		}
	}
}

// addImport adds the runtime import as its own declaration after the
// file's imports, leaving the existing import blocks as they are.
func addImport(df *dst.File, name string) {
	spec := &dst.ImportSpec{
		Name: dst.NewIdent(name),
		Path: &dst.BasicLit{Kind: token.STRING, Value: strconv.Quote(runtimePath)},
	}
	decl := &dst.GenDecl{Tok: token.IMPORT, Specs: []dst.Spec{spec}}
	decl.Decs.Before = dst.EmptyLine
	decl.Decs.After = dst.EmptyLine
	at := 0
	for i, d := range df.Decls {
		if gd, ok := d.(*dst.GenDecl); ok && gd.Tok == token.IMPORT {
			at = i + 1
		}
	}
	df.Decls = append(df.Decls[:at], append([]dst.Decl{decl}, df.Decls[at:]...)...)
}

// runtimeSel is the expression hp.name that names a function or type of
// the runtime, imported under hp.
func runtimeSel(hp, name string) *dst.SelectorExpr {
	return &dst.SelectorExpr{X: dst.NewIdent(hp), Sel: dst.NewIdent(name)}
}

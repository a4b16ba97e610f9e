package gen

import (
	"go/ast"
	"go/token"
)

// buildTag is the build tag that selects twins over sources.
const buildTag = "hotpath"

// runtimePath is the import path of the runtime generated code calls: the
// runtime's package for generated code only (the user API is package
// hotpath, github.com/hotpath-go/hotpath/runtime, which twins leave alone).
const runtimePath = "github.com/hotpath-go/hotpath/runtime/hotpathimpl"

// Plan is what the generator will do, before any file is touched: the
// directives it found and the targets they apply to, per file.
type Plan struct {
	Files []*FilePlan
}

// FilePlan is one source file and what its twin instruments.
type FilePlan struct {
	// Source is the path of the source file, Twin the path of its twin.
	Source, Twin string
	// Package is the import path of the file's package.
	Package string
	// Directives lists every directive in the file, in source order.
	Directives []Directive
	// Measures are the functions and methods to time, in source order.
	Measures []*Measure
	// Blocks are the statements to time.
	Blocks []*Block
	// Channels are the make sites of watched channels.
	Channels []*ChanSite
	// ChanOps is true when the file's channel operations are rewritten to
	// count operations on watched channels: in every file of a package that
	// has at least one directive.
	ChanOps bool

	file  *loadedFile
	skips []skipTarget
}

// skipTarget is a method that //hotpath:skip leaves out of its type's
// measure.
type skipTarget struct {
	directive Directive
	symbol    string
}

// NeedsTwin reports whether the file gets an instrumented twin.
func (fp *FilePlan) NeedsTwin() bool {
	return len(fp.Measures) > 0 || len(fp.Blocks) > 0 || len(fp.Channels) > 0 || fp.ChanOps
}

// Measure is one function or method to time.
type Measure struct {
	// Name is the report label; Symbol the Go symbol name as pprof prints it.
	Name, Symbol string
	// Pos is where the function is declared.
	Pos token.Position
	// Directive is the directive that asked for it: on the function, or on
	// its receiver's type.
	Directive Directive

	decl *ast.FuncDecl
	// varName is the package-level hotpath.Func variable in the twin.
	varName string
}

// Block is one statement to time.
type Block struct {
	// Label names the block in the report; unique in its package.
	Label string
	// Func is the symbol of the enclosing function.
	Func string
	// Pos is where the statement starts; EndLine is its last line.
	Pos     token.Position
	EndLine int
	// Directive is the //hotpath:block comment.
	Directive Directive

	stmt  ast.Stmt
	owner ast.Node // the *ast.FuncDecl or *ast.FuncLit whose body holds it
	// exits are the return and branch statements that leave the block.
	exits []ast.Stmt
	// terminating is true when control never reaches the statement's end
	// (the specification's terminating statement): no Close goes after it,
	// which would be unreachable, and would make a function that ends
	// with the statement miss its return.
	terminating bool
	// varName is the package-level hotpath.Func, spanName the local Span.
	varName, spanName string
}

// ChanSite is one make(chan T[, n]) marked with //hotpath:channel.
type ChanSite struct {
	// Label names the row; empty means the default, file.go:line.
	Label string
	// Type is the channel type as the package writes it: "chan int".
	Type string
	// Pos is where the make call is.
	Pos token.Position
	// Directive is the //hotpath:channel comment.
	Directive Directive

	call    *ast.CallExpr
	varName string
	// reportLabel is the label the twin gives the site, as reports show it.
	reportLabel string
}

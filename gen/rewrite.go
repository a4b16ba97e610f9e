package gen

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/token"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/dave/dst"
	"github.com/dave/dst/decorator"
	"github.com/dave/dst/dstutil"
)

// rewriteFile instruments one file of the plan and prints it. The result
// is the file's full text with instrumentation, before the twin header,
// line directives and checksum are added by render.
func rewriteFile(fp *FilePlan, srcHash string, shift int) ([]byte, error) {
	f := fp.file
	dec := decorator.NewDecorator(f.pkg.fset)
	df, err := dec.DecorateFile(f.ast)
	if err != nil {
		return nil, fmt.Errorf("%s: decorate: %w", fp.Source, err)
	}
	alias := importName(f)
	rw := &rewriter{fp: fp, dec: dec, alias: alias, shift: shift}
	rw.measures()
	if err := rw.blocks(); err != nil {
		return nil, err
	}
	// After blocks: a block's statement may be a select, which the channel
	// rewrite replaces in place.
	rw.channels(df)
	if err := rw.declarations(df, srcHash, shift); err != nil {
		return nil, err
	}
	if alias.add {
		addImport(df, alias.name)
	}
	var buf bytes.Buffer
	if err := decorator.NewRestorer().Fprint(&buf, df); err != nil {
		return nil, fmt.Errorf("%s: print: %w", fp.Source, err)
	}
	return buf.Bytes(), nil
}

type rewriter struct {
	fp    *FilePlan
	dec   *decorator.Decorator
	alias runtimeImport
	shift int // lines generate adds above the loaded source
}

func (rw *rewriter) dstNode(n ast.Node) dst.Node { return rw.dec.Dst.Nodes[n] }

// measures puts "defer F.Begin().End()" first in every measured body.
func (rw *rewriter) measures() {
	for _, m := range rw.fp.Measures {
		fd := rw.dstNode(m.decl).(*dst.FuncDecl)
		stmt := mustStmts(fmt.Sprintf("defer %s.Begin().End()", m.varName))
		fd.Body.List = append(stmt, fd.Body.List...)
	}
}

// blocks brackets every marked statement with Begin and Close, closes the
// span before every statement that jumps out of it, and defers a Close per
// block so that a panic leaving the block is recorded as well.
func (rw *rewriter) blocks() error {
	if len(rw.fp.Blocks) == 0 {
		return nil
	}
	for i, b := range rw.fp.Blocks {
		b.spanName = "_hotpath_span_" + strconv.Itoa(i)
	}
	// Exits and their blocks, innermost first (a smaller block is inside a
	// larger one when both contain the exit).
	exitBlocks := map[ast.Stmt][]*Block{}
	byOwner := map[ast.Node][]*Block{}
	var owners []ast.Node
	for _, b := range rw.fp.Blocks {
		for _, e := range b.exits {
			exitBlocks[e] = append(exitBlocks[e], b)
		}
		if _, seen := byOwner[b.owner]; !seen {
			owners = append(owners, b.owner)
		}
		byOwner[b.owner] = append(byOwner[b.owner], b)
	}
	for _, bs := range exitBlocks {
		sort.SliceStable(bs, func(i, j int) bool {
			return bs[i].stmt.End()-bs[i].stmt.Pos() < bs[j].stmt.End()-bs[j].stmt.Pos()
		})
	}
	for _, owner := range owners {
		blocks := byOwner[owner]
		var body *dst.BlockStmt
		var ftype *dst.FuncType
		switch o := rw.dstNode(owner).(type) {
		case *dst.FuncDecl:
			body, ftype = o.Body, o.Type
		case *dst.FuncLit:
			body, ftype = o.Body, o.Type
		default:
			return fmt.Errorf("%s: block owner is %T", rw.fp.Source, o)
		}
		resultNames := rw.nameResults(ftype, blocks, exitBlocks)
		stmtBlock := map[dst.Node]*Block{}
		for _, b := range blocks {
			stmtBlock[rw.dstNode(b.stmt)] = b
		}
		exitOf := map[dst.Node][]*Block{}
		for e, bs := range exitBlocks {
			if bs[0].owner == owner {
				exitOf[rw.dstNode(e)] = bs
			}
		}
		dstutil.Apply(body, func(c *dstutil.Cursor) bool {
			n := c.Node()
			if bs, ok := exitOf[n]; ok {
				c.Replace(closeBeforeExit(n.(dst.Stmt), bs, resultNames))
				return false
			}
			if b, ok := stmtBlock[n]; ok {
				begin := mustStmts(fmt.Sprintf("%s = %s.Begin()", b.spanName, b.varName))[0]
				// The directive and other comments above the statement
				// stay above the whole bracket.
				s := n.(dst.Stmt).Decorations()
				begin.Decorations().Start = s.Start
				begin.Decorations().Before = s.Before
				s.Start = nil
				s.Before = dst.NewLine
				c.InsertBefore(begin)
				if !b.terminating {
					c.InsertAfter(mustStmts(b.spanName + ".Close()")[0])
				}
			}
			return true
		}, nil)
		var prologue []string
		for _, b := range blocks {
			prologue = append(prologue,
				fmt.Sprintf("var %s %s.Span", b.spanName, rw.alias.name),
				fmt.Sprintf("defer %s.Close()", b.spanName))
		}
		body.List = append(mustStmts(strings.Join(prologue, "\n")), body.List...)
	}
	return nil
}

// nameResults gives unnamed results names when a block has a return with
// values inside it: the return becomes "assign results; close; return", so
// the span ends after the values are computed and before deferred calls run.
func (rw *rewriter) nameResults(ftype *dst.FuncType, blocks []*Block, exitBlocks map[ast.Stmt][]*Block) []string {
	if ftype.Results == nil || len(ftype.Results.List) == 0 {
		return nil
	}
	var names []string
	unnamed := false
	for _, fld := range ftype.Results.List {
		if len(fld.Names) == 0 {
			unnamed = true
			break
		}
		for _, n := range fld.Names {
			names = append(names, n.Name)
		}
	}
	if !unnamed {
		return names
	}
	needed := false
	for _, b := range blocks {
		for _, e := range b.exits {
			if r, ok := e.(*ast.ReturnStmt); ok && len(r.Results) > 0 {
				needed = true
			}
		}
	}
	if !needed {
		return nil
	}
	names = nil
	for i, fld := range ftype.Results.List {
		name := "_hotpath_r" + strconv.Itoa(i)
		fld.Names = []*dst.Ident{dst.NewIdent(name)}
		names = append(names, name)
	}
	ftype.Results.Opening = true
	ftype.Results.Closing = true
	return names
}

// closeBeforeExit returns the statement that replaces an exit: a block
// that closes the spans it leaves, then exits.
func closeBeforeExit(exit dst.Stmt, blocks []*Block, results []string) dst.Stmt {
	var list []dst.Stmt
	if r, ok := exit.(*dst.ReturnStmt); ok && len(r.Results) > 0 {
		// Assign the values that are not already in their result (a
		// self-assignment is a no-op, and go vet reports it). With one call
		// returning all results, the assignment takes them all.
		var lhs, rhs []dst.Expr
		for i, n := range results {
			if len(r.Results) == len(results) {
				if id, ok := r.Results[i].(*dst.Ident); ok && id.Name == n {
					continue
				}
				rhs = append(rhs, r.Results[i])
			}
			lhs = append(lhs, dst.NewIdent(n))
		}
		if len(r.Results) != len(results) {
			rhs = r.Results
		}
		if len(lhs) > 0 {
			list = append(list, &dst.AssignStmt{Lhs: lhs, Tok: token.ASSIGN, Rhs: rhs})
		}
		r.Results = nil
	}
	for _, b := range blocks {
		list = append(list, mustStmts(b.spanName + ".Close()")[0])
	}
	exit.Decorations().Start.Clear()
	exit.Decorations().End.Clear()
	list = append(list, exit)
	for _, s := range list {
		s.Decorations().Before = dst.NewLine
		s.Decorations().After = dst.NewLine
	}
	return &dst.BlockStmt{List: list}
}

// declarations appends the package-level hotpath.Func variables of the
// file and its source registration.
func (rw *rewriter) declarations(df *dst.File, srcHash string, shift int) error {
	hp := rw.alias.name
	file := baseName(rw.fp.Source)
	var b strings.Builder
	fmt.Fprintf(&b, "package p\n\nvar (\n")
	for _, m := range rw.fp.Measures {
		mfile, line := rw.lineOf(m.Pos, shift)
		fmt.Fprintf(&b, "\t%s = %s.Func{Name: %q, Symbol: %q, File: %q, Line: %d}\n",
			m.varName, hp, m.Name, m.Symbol, mfile, line)
	}
	for _, bl := range rw.fp.Blocks {
		bfile, line := rw.lineOf(bl.Pos, shift)
		end := bl.EndLine + (line - bl.Pos.Line)
		fmt.Fprintf(&b, "\t%s = %s.Func{Name: %q, Kind: %s.KindBlock, Parent: %q, Symbol: %q, File: %q, Line: %d, EndLine: %d}\n",
			bl.varName, hp, bl.Label, hp, bl.Func, bl.Func, bfile, line, end)
	}
	for _, c := range rw.fp.Channels {
		cfile, line := rw.lineOf(c.Pos, shift)
		label := c.Label
		if label == "" {
			label = fmt.Sprintf("%s:%d", cfile, line)
		}
		c.reportLabel = label
		site := fmt.Sprintf("%s/%s:%d", strings.TrimSuffix(rw.fp.Package, "_test"), cfile, line)
		fmt.Fprintf(&b, "\t%s = %s.ChanSite{Label: %q, Type: %q, Site: %q}\n", c.varName, hp, label, c.Type, site)
	}
	fmt.Fprintf(&b, "\n\t_ = %s.RegisterSource(%q, %q, %q)\n)\n", hp, strings.TrimSuffix(rw.fp.Package, "_test"), file, srcHash)
	snippet, err := decorator.Parse(b.String())
	if err != nil {
		return fmt.Errorf("%s: generated declarations do not parse: %w", rw.fp.Source, err)
	}
	decl := snippet.Decls[0]
	decl.Decorations().Before = dst.EmptyLine
	df.Decls = append(df.Decls, decl)
	return nil
}

// lineOf is the file and line that stack frames show for a position of
// the loaded source: its line in the source once generate has added its
// constraint (shift lines), or, in a file with //line directives of its
// own, the file and line those name, which the twin keeps and which no
// added constraint moves.
func (rw *rewriter) lineOf(pos token.Position, shift int) (string, int) {
	src := rw.fp.file.src
	if pos.Offset > len(src) || !hasLineDirectives(src[:pos.Offset]) {
		return baseName(rw.fp.Source), pos.Line + shift
	}
	return lineDirectiveFile(filepath.Dir(rw.fp.Source), pos.Filename), pos.Line
}

// mustStmts parses generated statements; they are built from identifiers
// the generator chose, so a failure is a bug in the generator.
func mustStmts(src string) []dst.Stmt {
	f, err := decorator.Parse("package p\n\nfunc _() {\n" + src + "\n}\n")
	if err != nil {
		panic(fmt.Sprintf("hotpathgen: generated statement does not parse: %v\n%s", err, src))
	}
	list := f.Decls[0].(*dst.FuncDecl).Body.List
	for _, s := range list {
		s.Decorations().Before = dst.NewLine
		s.Decorations().After = dst.NewLine
	}
	return list
}

// runtimeImport is the name generated code uses for the runtime package.
type runtimeImport struct {
	name string
	add  bool // the file does not import the runtime yet
}

// importName picks the name under which the twin refers to the runtime
// (package hotpathimpl): the file's own import of it if it has one, else
// "hotpathimpl", or "hotpathimpl2", ... when the file already uses that
// name for something else.
func importName(f *loadedFile) runtimeImport {
	used := map[string]bool{}
	for _, imp := range f.ast.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if path == runtimePath && imp.Name != nil && imp.Name.Name != "_" && imp.Name.Name != "." {
			return runtimeImport{name: imp.Name.Name}
		}
		if path == runtimePath && imp.Name == nil {
			return runtimeImport{name: "hotpathimpl"}
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
		name := "hotpathimpl"
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

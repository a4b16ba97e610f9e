package gen

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"sort"
	"strconv"
	"strings"

	"github.com/dave/dst"
	"github.com/dave/dst/dstutil"
)

// The block kind: //hotpath:block NAME on the line before a statement of a
// function body times the statement. The twin declares a hotpathimpl.Func of
// KindBlock per block, brackets the statement with a local Span's Begin
// and Close, closes the span before every return or jump that leaves the
// statement, and defers a Close so that a panic is recorded too.

// VerbBlock is the verb of the block kind.
const VerbBlock Verb = "block" // time one statement

type blockKind struct{}

func (blockKind) verbs() []verbSpec {
	return []verbSpec{{verb: VerbBlock, positional: true, usage: " (usage: //hotpath:block NAME)"}}
}

func (blockKind) newUnit(pp *pkgPlan) unit {
	return &blockUnit{pp: pp, blocks: map[*FilePlan][]*Block{}, labels: map[string]*Block{}}
}

// blockUnit plans the blocks of one package.
type blockUnit struct {
	pp     *pkgPlan
	blocks map[*FilePlan][]*Block
	// labels are unique in a package.
	labels map[string]*Block
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
	// varName is the package-level hotpathimpl.Func, spanName the local Span.
	varName, spanName string
}

func (u *blockUnit) finish() {}

func (u *blockUnit) name(fp *FilePlan, n *namer) {
	for i, b := range u.blocks[fp] {
		b.varName = n.unique("_hotpath_blk_" + identName(b.Label))
		b.spanName = "_hotpath_span_" + strconv.Itoa(i)
	}
}

func (u *blockUnit) needsTwin(fp *FilePlan) bool { return len(u.blocks[fp]) > 0 }

func (u *blockUnit) declare(fr *fileRewrite, w *strings.Builder) {
	for _, bl := range u.blocks[fr.fp] {
		bfile, line := fr.lineOf(bl.Pos)
		end := bl.EndLine + (line - bl.Pos.Line)
		fmt.Fprintf(w, "\t%s = %s.Func{Name: %q, Kind: %s.KindBlock, Parent: %q, Symbol: %q, File: %q, Line: %d, EndLine: %d}\n",
			bl.varName, fr.hp, bl.Label, fr.hp, bl.Func, bl.Func, bfile, line, end)
	}
}

func (u *blockUnit) list(fp *FilePlan) []ListItem {
	var items []ListItem
	for _, b := range u.blocks[fp] {
		items = append(items, listItem(VerbBlock, b.Label, b.Func, b.Directive))
	}
	return items
}

// attachBlock resolves a //hotpath:block directive to the statement on the
// next line and checks that every way out of it can be recorded.
func (u *blockUnit) attach(fp *FilePlan, d Directive, at *site) bool {
	site := at.next
	if site.stmt == nil {
		return false
	}
	u.attachStmt(fp, d, site)
	return true
}

// hint says where a block directive goes.
func (u *blockUnit) hint(Directive, *site) string {
	return "//hotpath:block must be on the line before a statement inside a function body"
}

func (u *blockUnit) attachStmt(fp *FilePlan, d Directive, site stmtSite) {
	s := site.stmt
	inner := s
	var label *ast.Ident
	if ls, ok := s.(*ast.LabeledStmt); ok {
		inner, label = ls.Stmt, ls.Label
	}
	switch in := inner.(type) {
	case *ast.CaseClause, *ast.CommClause:
		u.pp.errorf(d.Pos, "//hotpath:block must be on the line before a statement inside a function body")
		return
	case *ast.ReturnStmt, *ast.BranchStmt:
		u.pp.errorf(d.Pos, "//hotpath:block on a %s: it only transfers control, there is nothing to time", stmtKind(in))
		return
	case *ast.EmptyStmt:
		u.pp.errorf(d.Pos, "//hotpath:block on an empty statement: there is nothing to time")
		return
	case *ast.DeferStmt, *ast.GoStmt:
		u.pp.errorf(d.Pos, "//hotpath:block on a %s would time only the evaluation of its arguments; time the function it calls instead", stmtKind(in))
		return
	case *ast.DeclStmt:
		if gd, ok := in.Decl.(*ast.GenDecl); !ok || gd.Tok != token.VAR {
			u.pp.errorf(d.Pos, "//hotpath:block on a %s declaration: there is nothing to time", gd.Tok)
			return
		}
	}
	for _, prev := range u.blocks[fp] {
		if prev.stmt == s {
			u.pp.errorf(d.Pos, "two //hotpath:block directives on one statement")
			return
		}
	}
	if prev, dup := u.labels[d.Label]; dup {
		u.pp.errorf(d.Pos, "block label %q is already used at %s: labels are unique in a package", d.Label, shortPos(prev.Directive.Pos))
		return
	}
	fset := u.pp.fset()
	b := &Block{
		Label:     d.Label,
		Pos:       fset.Position(s.Pos()),
		EndLine:   fset.Position(s.End()).Line,
		Directive: d,
		stmt:      s,
		owner:     site.owner,
	}
	b.Func = u.pp.ownerSymbol(site.owner)
	b.terminating = isTerminating(u.pp.info(), s, "")
	if !u.checkBlockExits(b, label) {
		return
	}
	u.labels[d.Label] = b
	u.blocks[fp] = append(u.blocks[fp], b)
}

func stmtKind(s ast.Stmt) string {
	switch s := s.(type) {
	case *ast.ReturnStmt:
		return "return statement"
	case *ast.BranchStmt:
		return s.Tok.String() + " statement"
	case *ast.DeferStmt:
		return "defer statement"
	case *ast.GoStmt:
		return "go statement"
	}
	return "statement"
}

// checkBlockExits finds the statements that leave the block early (they
// get a Close before them) and reports shapes that cannot be timed
// correctly.
func (u *blockUnit) checkBlockExits(b *Block, label *ast.Ident) bool {
	fset := u.pp.fset()
	info := u.pp.info()
	ok := true
	// Labels of statements inside the block: jumps to them stay inside.
	inside := map[string]bool{}
	ast.Inspect(b.stmt, func(n ast.Node) bool {
		if _, lit := n.(*ast.FuncLit); lit {
			return false
		}
		if ls, isLabel := n.(*ast.LabeledStmt); isLabel {
			inside[ls.Label.Name] = true
		}
		return true
	})
	if label != nil {
		// A goto to the statement's own label would restart it inside one span.
		ast.Inspect(b.owner, func(n ast.Node) bool {
			if br, isBr := n.(*ast.BranchStmt); isBr && br.Tok == token.GOTO && br.Label != nil && br.Label.Name == label.Name {
				u.pp.errorf(fset.Position(br.Pos()), "goto %s jumps to the start of block %q: a block cannot be re-entered by goto; move the label or the directive", label.Name, b.Label)
				ok = false
			}
			return true
		})
	}
	results := ownerResults(b.owner)
	var walk func(n ast.Node, inLoop, inBreakable bool)
	children := func(n ast.Node, inLoop, inBreakable bool) {
		ast.Inspect(n, func(c ast.Node) bool {
			if c == n {
				return true
			}
			if c != nil {
				walk(c, inLoop, inBreakable)
			}
			return false
		})
	}
	walk = func(n ast.Node, inLoop, inBreakable bool) {
		switch n := n.(type) {
		case *ast.FuncLit:
			return // its returns and jumps are its own
		case *ast.ReturnStmt:
			if results != nil && len(n.Results) > 0 {
				for _, fld := range results.List {
					for _, name := range fld.Names {
						if !resultVisible(info, name, n.Pos()) {
							u.pp.errorf(fset.Position(n.Pos()), "block %q: result %s is shadowed at this return, so the block cannot record it; rename the shadowing variable", b.Label, name.Name)
							ok = false
						}
					}
				}
			}
			b.exits = append(b.exits, n)
			return
		case *ast.BranchStmt:
			leaves := false
			switch {
			case n.Tok == token.FALLTHROUGH:
			case n.Label != nil:
				leaves = !inside[n.Label.Name]
			case n.Tok == token.BREAK:
				leaves = !inBreakable
			case n.Tok == token.CONTINUE:
				leaves = !inLoop
			}
			if leaves {
				b.exits = append(b.exits, n)
			}
			return
		case *ast.ForStmt, *ast.RangeStmt:
			children(n, true, true)
			return
		case *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
			children(n, inLoop, true)
			return
		}
		children(n, inLoop, inBreakable)
	}
	walk(b.stmt, false, false)
	return ok
}

// ownerResults returns the result list of the function a block is in.
func ownerResults(owner ast.Node) *ast.FieldList {
	switch o := owner.(type) {
	case *ast.FuncDecl:
		return o.Type.Results
	case *ast.FuncLit:
		return o.Type.Results
	}
	return nil
}

// resultVisible reports whether the named result is what its name means at pos.
func resultVisible(info *types.Info, name *ast.Ident, pos token.Pos) bool {
	obj := info.Defs[name]
	if obj == nil || obj.Parent() == nil {
		return true
	}
	inner := obj.Parent().Innermost(pos)
	if inner == nil {
		return true
	}
	_, found := inner.LookupParent(name.Name, pos)
	return found == obj
}

// isTerminating reports whether s is a terminating statement as the Go
// specification defines it; label is the label of s, if any. It follows
// go/types (stmt.go, return.go), which does not export it.
func isTerminating(info *types.Info, s ast.Stmt, label string) bool {
	switch s := s.(type) {
	case *ast.ReturnStmt:
		return true
	case *ast.BranchStmt:
		return s.Tok == token.GOTO || s.Tok == token.FALLTHROUGH
	case *ast.ExprStmt:
		call, ok := ast.Unparen(s.X).(*ast.CallExpr)
		if !ok {
			return false
		}
		id, ok := ast.Unparen(call.Fun).(*ast.Ident)
		if !ok || id.Name != "panic" {
			return false
		}
		_, builtin := info.Uses[id].(*types.Builtin)
		return builtin
	case *ast.LabeledStmt:
		return isTerminating(info, s.Stmt, s.Label.Name)
	case *ast.BlockStmt:
		return isTerminatingList(info, s.List, "")
	case *ast.IfStmt:
		return s.Else != nil && isTerminating(info, s.Body, "") && isTerminating(info, s.Else, "")
	case *ast.SwitchStmt:
		return isTerminatingSwitch(info, s.Body, label)
	case *ast.TypeSwitchStmt:
		return isTerminatingSwitch(info, s.Body, label)
	case *ast.SelectStmt:
		for _, cc := range s.Body.List {
			body := cc.(*ast.CommClause).Body
			if !isTerminatingList(info, body, "") || hasBreakList(body, label, true) {
				return false
			}
		}
		return true
	case *ast.ForStmt:
		return s.Cond == nil && !hasBreak(s.Body, label, true)
	}
	return false
}

func isTerminatingList(info *types.Info, list []ast.Stmt, label string) bool {
	// Trailing empty statements are permitted: skip them.
	for i := len(list) - 1; i >= 0; i-- {
		if _, ok := list[i].(*ast.EmptyStmt); !ok {
			return isTerminating(info, list[i], label)
		}
	}
	return false
}

func isTerminatingSwitch(info *types.Info, body *ast.BlockStmt, label string) bool {
	hasDefault := false
	for _, s := range body.List {
		cc := s.(*ast.CaseClause)
		if cc.List == nil {
			hasDefault = true
		}
		if !isTerminatingList(info, cc.Body, "") || hasBreakList(cc.Body, label, true) {
			return false
		}
	}
	return hasDefault
}

// hasBreak reports whether s contains a break that refers to the
// statement labelled label ("" for none); implicit says whether an
// unlabelled break refers to it.
func hasBreak(s ast.Stmt, label string, implicit bool) bool {
	switch s := s.(type) {
	case *ast.LabeledStmt:
		return hasBreak(s.Stmt, label, implicit)
	case *ast.BranchStmt:
		if s.Tok == token.BREAK {
			return s.Label == nil && implicit || s.Label != nil && s.Label.Name == label
		}
	case *ast.BlockStmt:
		return hasBreakList(s.List, label, implicit)
	case *ast.IfStmt:
		return hasBreak(s.Body, label, implicit) || s.Else != nil && hasBreak(s.Else, label, implicit)
	case *ast.CaseClause:
		return hasBreakList(s.Body, label, implicit)
	case *ast.CommClause:
		return hasBreakList(s.Body, label, implicit)
	case *ast.SwitchStmt:
		return label != "" && hasBreak(s.Body, label, false)
	case *ast.TypeSwitchStmt:
		return label != "" && hasBreak(s.Body, label, false)
	case *ast.SelectStmt:
		return label != "" && hasBreak(s.Body, label, false)
	case *ast.ForStmt:
		return label != "" && hasBreak(s.Body, label, false)
	case *ast.RangeStmt:
		return label != "" && hasBreak(s.Body, label, false)
	}
	return false
}

func hasBreakList(list []ast.Stmt, label string, implicit bool) bool {
	for _, s := range list {
		if hasBreak(s, label, implicit) {
			return true
		}
	}
	return false
}

// blocks brackets every marked statement with Begin and Close, closes the
// span before every statement that jumps out of it, and defers a Close per
// block so that a panic leaving the block is recorded as well.
func (u *blockUnit) rewrite(rw *fileRewrite) error {
	if len(u.blocks[rw.fp]) == 0 {
		return nil
	}
	// Exits and their blocks, innermost first (a smaller block is inside a
	// larger one when both contain the exit).
	exitBlocks := map[ast.Stmt][]*Block{}
	byOwner := map[ast.Node][]*Block{}
	var owners []ast.Node
	for _, b := range u.blocks[rw.fp] {
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
		resultNames := nameResults(ftype, blocks, exitBlocks)
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
				fmt.Sprintf("var %s %s.Span", b.spanName, rw.hp),
				fmt.Sprintf("defer %s.Close()", b.spanName))
		}
		body.List = append(mustStmts(strings.Join(prologue, "\n")), body.List...)
	}
	return nil
}

// nameResults gives unnamed results names when a block has a return with
// values inside it: the return becomes "assign results; close; return", so
// the span ends after the values are computed and before deferred calls run.
func nameResults(ftype *dst.FuncType, blocks []*Block, exitBlocks map[ast.Stmt][]*Block) []string {
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

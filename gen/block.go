package gen

import (
	"go/ast"
	"go/token"
	"go/types"
)

// attachBlock resolves a //hotpath:block directive to the statement on the
// next line and checks that every way out of it can be recorded.
func (p *planner) attachBlock(st *pkgState, fp *FilePlan, d Directive, site stmtSite) {
	if site.stmt == nil {
		p.errorf(d.Pos, "//hotpath:block must be on the line before a statement inside a function body")
		return
	}
	s := site.stmt
	inner := s
	var label *ast.Ident
	if ls, ok := s.(*ast.LabeledStmt); ok {
		inner, label = ls.Stmt, ls.Label
	}
	switch in := inner.(type) {
	case *ast.CaseClause, *ast.CommClause:
		p.errorf(d.Pos, "//hotpath:block must be on the line before a statement inside a function body")
		return
	case *ast.ReturnStmt, *ast.BranchStmt:
		p.errorf(d.Pos, "//hotpath:block on a %s: it only transfers control, there is nothing to time", stmtKind(in))
		return
	case *ast.EmptyStmt:
		p.errorf(d.Pos, "//hotpath:block on an empty statement: there is nothing to time")
		return
	case *ast.DeferStmt, *ast.GoStmt:
		p.errorf(d.Pos, "//hotpath:block on a %s would time only the evaluation of its arguments; time the function it calls instead", stmtKind(in))
		return
	case *ast.DeclStmt:
		if gd, ok := in.Decl.(*ast.GenDecl); !ok || gd.Tok != token.VAR {
			p.errorf(d.Pos, "//hotpath:block on a %s declaration: there is nothing to time", gd.Tok)
			return
		}
	}
	for _, prev := range fp.Blocks {
		if prev.stmt == s {
			p.errorf(d.Pos, "two //hotpath:block directives on one statement")
			return
		}
	}
	if prev, dup := st.blockLabels[d.Label]; dup {
		p.errorf(d.Pos, "block label %q is already used at %s: labels are unique in a package", d.Label, shortPos(prev.Directive.Pos))
		return
	}
	fset := st.pkg.fset
	b := &Block{
		Label:     d.Label,
		Pos:       fset.Position(s.Pos()),
		EndLine:   fset.Position(s.End()).Line,
		Directive: d,
		stmt:      s,
		owner:     site.owner,
	}
	b.Func = p.ownerSymbol(st, site.owner)
	b.terminating = isTerminating(st.pkg.info, s, "")
	if !p.checkBlockExits(st, b, label) {
		return
	}
	st.blockLabels[d.Label] = b
	fp.Blocks = append(fp.Blocks, b)
}

// ownerSymbol names the function a block is in; blocks in function
// literals name the literal's enclosing declaration.
func (p *planner) ownerSymbol(st *pkgState, owner ast.Node) string {
	for _, md := range st.methods {
		if md.decl == owner || (md.decl.Body != nil && owner != nil && md.decl.Body.Pos() <= owner.Pos() && owner.End() <= md.decl.Body.End()) {
			return funcSymbol(st.pkg, md.decl, md.initIndex)
		}
	}
	return ""
}

// shortPos prints a position in the package of the error that names it:
// by file name, so that messages hold no absolute paths.
func shortPos(pos token.Position) string {
	pos.Filename = baseName(pos.Filename)
	return pos.String()
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
func (p *planner) checkBlockExits(st *pkgState, b *Block, label *ast.Ident) bool {
	fset := st.pkg.fset
	info := st.pkg.info
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
				p.errorf(fset.Position(br.Pos()), "goto %s jumps to the start of block %q: a block cannot be re-entered by goto; move the label or the directive", label.Name, b.Label)
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
							p.errorf(fset.Position(n.Pos()), "block %q: result %s is shadowed at this return, so the block cannot record it; rename the shadowing variable", b.Label, name.Name)
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

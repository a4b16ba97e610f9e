package gen

import (
	"go/ast"
	"go/token"
	"go/types"
)

// attachChannel resolves a //hotpath:channel directive to the one
// make(chan T[, n]) among the values the statement (or package-level var)
// assigns.
func (p *planner) attachChannel(st *pkgState, fp *FilePlan, d Directive, stmt ast.Node, values []ast.Expr) {
	if stmt == nil {
		p.errorf(d.Pos, "//hotpath:channel must be on the line before a statement that makes a channel: x := make(chan T[, n]), x = ..., s.f = ..., var x = ...")
		return
	}
	info := st.pkg.info
	var makes []*ast.CallExpr
	for _, v := range values {
		if call, ok := ast.Unparen(v).(*ast.CallExpr); ok && isChanMake(info, call) {
			makes = append(makes, call)
		}
	}
	switch {
	case len(makes) == 0:
		p.errorf(d.Pos, "//hotpath:channel: the statement on the next line makes no channel; the directive goes on the line before x := make(chan T[, n]), x = ..., s.f = ... or var x = ...")
		return
	case len(makes) > 1:
		p.errorf(d.Pos, "//hotpath:channel: the statement makes %d channels; put each make in a statement of its own, with its own directive", len(makes))
		return
	}
	call := makes[0]
	for _, c := range fp.Channels {
		if c.call == call {
			p.errorf(d.Pos, "two //hotpath:channel directives on one statement")
			return
		}
	}
	fp.Channels = append(fp.Channels, &ChanSite{
		Label:     d.Label,
		Type:      types.TypeString(info.TypeOf(call), packageName(st.pkg.types)),
		Pos:       st.pkg.fset.Position(call.Pos()),
		Directive: d,
		call:      call,
	})
}

// isChanMake reports whether call is the builtin make of a channel type.
func isChanMake(info *types.Info, call *ast.CallExpr) bool {
	id, ok := ast.Unparen(call.Fun).(*ast.Ident)
	if !ok || len(call.Args) == 0 {
		return false
	}
	if _, builtin := info.Uses[id].(*types.Builtin); !builtin || id.Name != "make" {
		return false
	}
	return chanCore(info.TypeOf(call.Args[0])) != nil
}

// chanCore returns the channel type of t: t itself, its underlying type, or
// the single channel type every type in a type parameter's set has.
func chanCore(t types.Type) *types.Chan {
	if t == nil {
		return nil
	}
	if tp, ok := types.Unalias(t).(*types.TypeParam); ok {
		var core *types.Chan
		iface, _ := tp.Constraint().Underlying().(*types.Interface)
		if iface == nil {
			return nil
		}
		for i := 0; i < iface.NumEmbeddeds(); i++ {
			union, ok := iface.EmbeddedType(i).(*types.Union)
			if !ok {
				if c := chanCore(iface.EmbeddedType(i)); c != nil && (core == nil || types.Identical(c, core)) {
					core = c
					continue
				}
				return nil
			}
			for j := 0; j < union.Len(); j++ {
				c := chanCore(union.Term(j).Type())
				if c == nil || (core != nil && !types.Identical(c.Elem(), core.Elem())) {
					return nil
				}
				core = c
			}
		}
		return core
	}
	c, _ := t.Underlying().(*types.Chan)
	return c
}

// hasChanOps reports whether a file sends, receives, ranges over, selects
// on or closes a channel.
func hasChanOps(info *types.Info, f *ast.File) bool {
	found := false
	ast.Inspect(f, func(n ast.Node) bool {
		if found {
			return false
		}
		switch n := n.(type) {
		case *ast.SendStmt, *ast.SelectStmt:
			found = true
		case *ast.UnaryExpr:
			found = n.Op == token.ARROW
		case *ast.RangeStmt:
			found = chanCore(info.TypeOf(n.X)) != nil
		case *ast.CallExpr:
			found = isCloseCall(info, n)
		}
		return !found
	})
	return found
}

// isCloseCall reports whether call is the builtin close.
func isCloseCall(info *types.Info, call *ast.CallExpr) bool {
	id, ok := ast.Unparen(call.Fun).(*ast.Ident)
	if !ok || id.Name != "close" || len(call.Args) != 1 {
		return false
	}
	_, builtin := info.Uses[id].(*types.Builtin)
	return builtin
}

// checkSelectGotos reports a goto to the label of a select that the
// channel rewrite turns into a block: the label moves to the switch that
// runs the case bodies, and a goto there would skip the select itself.
func (p *planner) checkSelectGotos(fset *token.FileSet, f *ast.File) {
	labels := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if ls, ok := n.(*ast.LabeledStmt); ok {
			if sel, ok := ls.Stmt.(*ast.SelectStmt); ok && len(sel.Body.List) > 0 {
				labels[ls.Label.Name] = true
			}
		}
		return true
	})
	if len(labels) == 0 {
		return
	}
	ast.Inspect(f, func(n ast.Node) bool {
		if br, ok := n.(*ast.BranchStmt); ok && br.Tok == token.GOTO && br.Label != nil && labels[br.Label.Name] {
			p.errorf(fset.Position(br.Pos()), "goto %s jumps to a select, which hotpathgen rewrites to count its channel operations; jump to a statement before the select instead", br.Label.Name)
		}
		return true
	})
}

// packageName qualifies types from other packages by package name, as Go
// code writes them: chan worker.Fetch[Block], not the full import path.
func packageName(self *types.Package) types.Qualifier {
	return func(p *types.Package) string {
		if p == self {
			return ""
		}
		return p.Name()
	}
}

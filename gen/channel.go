package gen

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strconv"
	"strings"

	"github.com/dave/dst"
	"github.com/dave/dst/dstutil"
)

// The channel kind: //hotpath:channel [label=NAME] on the line before a
// statement that makes a channel (or on a package-level var) watches the
// channels made there. The twin declares a hotpathimpl.ChanSite per site and
// wraps the make in hotpathimpl.Track; in every file of a package that has a
// directive, every channel operation is rewritten into a call of the
// runtime that counts it when its channel is watched (chanrewrite.go).

// VerbChannel is the verb of the channel kind.
const VerbChannel Verb = "channel" // watch the channel a statement makes

type channelKind struct{}

func (channelKind) verbs() []verbSpec {
	return []verbSpec{{verb: VerbChannel, label: true, usage: " (usage: //hotpath:channel [label=NAME])"}}
}

func (channelKind) newUnit(pp *pkgPlan) unit {
	return &channelUnit{pp: pp, sites: map[*FilePlan][]*ChanSite{}, ops: map[*FilePlan]bool{},
		opPrefix: map[*FilePlan]string{}, opCount: map[*FilePlan]int{}}
}

// channelUnit plans the channel sites of one package and which of its
// files have their channel operations rewritten.
type channelUnit struct {
	pp    *pkgPlan
	sites map[*FilePlan][]*ChanSite
	// ops is true for a file whose channel operations are rewritten to
	// count operations on watched channels.
	ops map[*FilePlan]bool
	// opPrefix names the variables of a file's rewritten operations
	// (prefix_1, prefix_2, ...): each operation has a hotpathimpl.ChanOp
	// that remembers the last channel it saw and that channel's site.
	// opCount is how many the rewrite numbered.
	opPrefix map[*FilePlan]string
	opCount  map[*FilePlan]int
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

// finish decides which files have their channel operations rewritten: a
// package that has directives counts the channel operations of all its
// files, as watched channels travel through parameters, fields and other
// files, so only counting everywhere makes the counts exact.
func (u *channelUnit) finish() {
	if !u.pp.instrumented {
		return
	}
	for _, fp := range u.pp.files {
		if hasChanOps(u.pp.info(), fp.file.ast) {
			u.ops[fp] = true
			u.checkSelectGotos(u.pp.fset(), fp.file.ast)
		}
	}
}

// name names the sites' variables and gives each site its report label:
// the label given, else file.go:line as stack frames show it.
func (u *channelUnit) name(fp *FilePlan, n *namer) {
	for i, c := range u.sites[fp] {
		c.varName = n.unique("_hotpath_ch_" + n.stem + "_" + strconv.Itoa(i))
		c.reportLabel = c.Label
		if c.reportLabel == "" {
			file, line := fp.finalLine(c.Pos)
			c.reportLabel = fmt.Sprintf("%s:%d", file, line)
		}
	}
	if u.ops[fp] {
		u.opPrefix[fp] = n.unique("_hotpath_op_" + n.stem)
	}
}

func (u *channelUnit) needsTwin(fp *FilePlan) bool { return len(u.sites[fp]) > 0 || u.ops[fp] }

func (u *channelUnit) declare(fr *fileRewrite, w *strings.Builder) {
	for _, c := range u.sites[fr.fp] {
		site := fr.siteOf(c.Pos)
		fmt.Fprintf(w, "\t%s = %s.ChanSite{Label: %q, Type: %q, Site: %q}\n", c.varName, fr.hp, c.reportLabel, c.Type, site)
	}
	for i := 1; i <= u.opCount[fr.fp]; i++ {
		fmt.Fprintf(w, "\t%s_%d = %s.ChanOp{}\n", u.opPrefix[fr.fp], i, fr.hp)
	}
}

func (u *channelUnit) list(fp *FilePlan) []ListItem {
	var items []ListItem
	for _, c := range u.sites[fp] {
		items = append(items, listItem(VerbChannel, c.reportLabel, c.Type, c.Directive))
	}
	return items
}

func (u *channelUnit) rewrite(rw *fileRewrite) error {
	ops := u.ops[rw.fp]
	if !ops && len(u.sites[rw.fp]) == 0 {
		return nil
	}
	df := rw.df
	cr := &chanRewriter{rw: rw, hp: rw.hp, sites: map[dst.Node]*ChanSite{}, opPrefix: u.opPrefix[rw.fp]}
	for _, c := range u.sites[rw.fp] {
		cr.sites[rw.dstNode(c.call)] = c
	}
	if !ops {
		// Only make sites: wrap them, leave the operations alone.
		dstutil.Apply(df, nil, cr.trackOnly)
		return nil
	}
	cr.markLines(df)
	dstutil.Apply(df, cr.pre, cr.post)
	u.opCount[rw.fp] = cr.ops
	return nil
}

func (u *channelUnit) attach(fp *FilePlan, d Directive, at *site) bool {
	if vs, ok := at.doc.(*ast.ValueSpec); ok {
		u.attachValues(fp, d, vs.Values)
		return true
	}
	switch s := at.next.stmt.(type) {
	case nil:
		return false
	case *ast.AssignStmt:
		u.attachValues(fp, d, s.Rhs)
	case *ast.DeclStmt:
		if gd, ok := s.Decl.(*ast.GenDecl); ok && gd.Tok == token.VAR && len(gd.Specs) == 1 {
			u.attachValues(fp, d, gd.Specs[0].(*ast.ValueSpec).Values)
			break
		}
		u.attachValues(fp, d, nil)
	default:
		u.attachValues(fp, d, nil)
	}
	return true
}

// hint says where a channel directive goes.
func (u *channelUnit) hint(Directive, *site) string {
	return "//hotpath:channel must be on the line before a statement that makes a channel: x := make(chan T[, n]), x = ..., s.f = ..., var x = ..."
}

// attachValues resolves a //hotpath:channel directive to the one
// make(chan T[, n]) among the values the statement (or package-level var)
// assigns.
func (u *channelUnit) attachValues(fp *FilePlan, d Directive, values []ast.Expr) {
	info := u.pp.info()
	var makes []*ast.CallExpr
	for _, v := range values {
		if call, ok := ast.Unparen(v).(*ast.CallExpr); ok && isChanMake(info, call) {
			makes = append(makes, call)
		}
	}
	switch {
	case len(makes) == 0:
		u.pp.errorf(d.Pos, "//hotpath:channel: the statement on the next line makes no channel; the directive goes on the line before x := make(chan T[, n]), x = ..., s.f = ... or var x = ...")
		return
	case len(makes) > 1:
		u.pp.errorf(d.Pos, "//hotpath:channel: the statement makes %d channels; put each make in a statement of its own, with its own directive", len(makes))
		return
	}
	call := makes[0]
	for _, c := range u.sites[fp] {
		if c.call == call {
			u.pp.errorf(d.Pos, "two //hotpath:channel directives on one statement")
			return
		}
	}
	u.sites[fp] = append(u.sites[fp], &ChanSite{
		Label:     d.Label,
		Type:      types.TypeString(info.TypeOf(call), packageName(u.pp.pkg.types)),
		Pos:       u.pp.fset().Position(call.Pos()),
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
func (u *channelUnit) checkSelectGotos(fset *token.FileSet, f *ast.File) {
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
			u.pp.errorf(fset.Position(br.Pos()), "goto %s jumps to a select, which hotpathgen rewrites to count its channel operations; jump to a statement before the select instead", br.Label.Name)
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

package gen

import (
	"fmt"
	"go/ast"
	"go/token"
	"strconv"
	"strings"

	"github.com/dave/dst"
	"github.com/dave/dst/dstutil"
)

// chanRewriter rewrites the channel operations of one file into calls of
// the runtime, which count them when the channel is watched and behave
// exactly as the operation otherwise:
//
//	ch <- v             hotpathimpl.SendTo(ch).SendAt(&op, v)
//	<-ch                hotpathimpl.RecvAt(&op, ch)
//	v, ok := <-ch       v, ok := hotpathimpl.Recv2At(&op, ch)
//	close(ch)           hotpathimpl.Close(ch)
//	for v := range ch   a loop over hotpathimpl.Recv2At
//	select              a non-blocking select, then a timed blocking one,
//	                    then the case bodies in a switch on the case that
//	                    fired, each counted by SelectSentAt or SelectRecvAt
//	make(chan T, n)     hotpathimpl.Track(&site, make(chan T, n)) at watched sites
//
// Every send, receive, range and select case gets an op of its own, a
// package-level hotpathimpl.ChanOp (named opPrefix_N) that remembers the
// last channel the operation saw and its site, so that the runtime finds
// the site without a lookup while the operation keeps using one channel.
// A close is once per channel: it looks its channel up.
type chanRewriter struct {
	rw    *fileRewrite
	hp    string
	sites map[dst.Node]*ChanSite
	n     int // numbers temporaries, so nested statements read clearly
	// opPrefix and ops name and count the operations' ChanOp variables.
	opPrefix string
	ops      int
}

// op numbers a new operation and returns its name.
func (cr *chanRewriter) op() string {
	cr.ops++
	return cr.opPrefix + "_" + strconv.Itoa(cr.ops)
}

// opRef is &op for a new operation.
func (cr *chanRewriter) opRef() dst.Expr {
	return &dst.UnaryExpr{Op: token.AND, X: dst.NewIdent(cr.op())}
}

// lineMarkerPrefix starts the comment that the channel rewrite puts before
// every statement of a file whose operations it rewrites, naming the line of
// the final source the statement stands for: its own line for a user's
// statement (rewritten or moved into a new loop or switch), the line of the
// range or select for the statements that replace one. addLineDirectives
// reads and removes these markers, so that a rewritten shape maps each user
// statement to its own line, which a diff of the text cannot always tell.
const lineMarkerPrefix = "/*hotpath:line "

// markLines marks every statement of the file with its own line.
func (cr *chanRewriter) markLines(df *dst.File) {
	dst.Inspect(df, func(n dst.Node) bool {
		list := stmtList(n)
		for i, s := range list {
			// A statement that shares its line with a user's statement
			// or the brace before it needs no marker of its own, and a
			// marker there would make the printer break the line; after
			// a generated statement (a measured function's defer) it
			// starts a line of its own.
			//
			// The exception is a send or receive on the line of the brace
			// of a one-line function: rewritten with its ChanOp, it may
			// outgrow the hundred columns the printer keeps a one-line
			// body within, and the printer then moves it to a line of its
			// own, which needs a marker.
			a := cr.rw.astNode(s)
			if a == nil {
				continue
			}
			if s.Decorations().Before != dst.None || i > 0 && cr.rw.astNode(list[i-1]) == nil ||
				i == 0 && hasSendRecv(a) {
				setLineMarker(s, cr.lineOfAst(a))
			}
		}
		return true
	})
}

// hasSendRecv reports whether a statement sends or receives, outside the
// function literals it holds.
func hasSendRecv(n ast.Node) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.SendStmt:
			found = true
		case *ast.UnaryExpr:
			found = found || n.Op == token.ARROW
		}
		return !found
	})
	return found
}

// lineOfAst is the line of the final source where a node of the loaded
// source starts.
func (cr *chanRewriter) lineOfAst(a ast.Node) int {
	return cr.rw.fp.file.pkg.fset.PositionFor(a.Pos(), false).Line + cr.rw.shift
}

// lineOf is the line of the final source of a node of the original tree.
func (cr *chanRewriter) lineOf(n dst.Node) int {
	if a := cr.rw.astNode(n); a != nil {
		return cr.lineOfAst(a)
	}
	return 0
}

// markGenerated marks the statements of a generated subtree that have no
// marker yet with line: they stand for the statement on that line.
func markGenerated(n dst.Node, line int) {
	if line <= 0 || n == nil {
		return
	}
	if s, ok := n.(dst.Stmt); ok && lineMarker(s) == 0 {
		setLineMarker(s, line)
	}
	dst.Inspect(n, func(n dst.Node) bool {
		for _, s := range stmtList(n) {
			if lineMarker(s) == 0 {
				setLineMarker(s, line)
			}
		}
		return true
	})
}

// stmtList returns the statement list a node holds, if any.
func stmtList(n dst.Node) []dst.Stmt {
	switch n := n.(type) {
	case *dst.BlockStmt:
		return n.List
	case *dst.CaseClause:
		return n.Body
	case *dst.CommClause:
		return n.Body
	}
	return nil
}

// setLineMarker marks a statement with a line: before it, or for a case
// clause after its case or default keyword (before the clause, the printer
// would move the marker to the line above).
func setLineMarker(s dst.Stmt, line int) {
	d := &s.Decorations().Start
	switch c := s.(type) {
	case *dst.CaseClause:
		d = &c.Decs.Case
	case *dst.CommClause:
		d = &c.Decs.Case
	}
	marker := lineMarkerPrefix + strconv.Itoa(line) + "*/"
	for i, c := range *d {
		if strings.HasPrefix(c, lineMarkerPrefix) {
			(*d)[i] = marker
			return
		}
	}
	d.Append(marker)
}

func lineMarker(s dst.Stmt) int {
	d := s.Decorations().Start
	switch c := s.(type) {
	case *dst.CaseClause:
		d = c.Decs.Case
	case *dst.CommClause:
		d = c.Decs.Case
	}
	for _, c := range d {
		if rest, ok := strings.CutPrefix(c, lineMarkerPrefix); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(rest, "*/"))
			return n
		}
	}
	return 0
}

func (cr *chanRewriter) trackOnly(c *dstutil.Cursor) bool {
	if site, ok := cr.sites[c.Node()]; ok {
		c.Replace(cr.call("Track", &dst.UnaryExpr{Op: token.AND, X: dst.NewIdent(site.varName)}, c.Node().(dst.Expr)))
	}
	return true
}

// apply rewrites a subtree and returns its new root.
func (cr *chanRewriter) apply(n dst.Node) dst.Node {
	if n == nil {
		return nil
	}
	return dstutil.Apply(n, cr.pre, cr.post)
}

func (cr *chanRewriter) applyExpr(e dst.Expr) dst.Expr {
	if e == nil {
		return nil
	}
	return cr.apply(e).(dst.Expr)
}

func (cr *chanRewriter) applyStmts(list []dst.Stmt) {
	for i, s := range list {
		list[i] = cr.apply(s).(dst.Stmt)
	}
}

func (cr *chanRewriter) call(fn string, args ...dst.Expr) *dst.CallExpr {
	return &dst.CallExpr{Fun: runtimeSel(cr.hp, fn), Args: args}
}

// sendTo is hotpathimpl.SendTo(ch).method(args...): the element type comes
// from the channel alone and the value is assigned to it, as a send
// statement does.
func (cr *chanRewriter) sendTo(ch dst.Expr, method string, args ...dst.Expr) *dst.CallExpr {
	return &dst.CallExpr{Fun: &dst.SelectorExpr{X: cr.call("SendTo", ch), Sel: dst.NewIdent(method)}, Args: args}
}

func (cr *chanRewriter) temp(prefix string) string {
	cr.n++
	return "_hotpath_" + prefix + strconv.Itoa(cr.n)
}

// pre handles the statements whose parts need different treatment:
// selects, ranges over channels and two-value receives.
func (cr *chanRewriter) pre(c *dstutil.Cursor) bool {
	switch n := c.Node().(type) {
	case *dst.SelectStmt:
		if r := cr.selectStmt(n, c); r != nil {
			c.Replace(r)
			return false
		}
	case *dst.LabeledStmt:
		if sel, ok := n.Stmt.(*dst.SelectStmt); ok {
			if r := cr.selectStmt(sel, c); r != nil {
				c.Replace(r)
				return false
			}
		}
	case *dst.RangeStmt:
		if r := cr.rangeStmt(n); r != nil {
			c.Replace(r)
			return false
		}
	case *dst.AssignStmt:
		if len(n.Lhs) == 2 && len(n.Rhs) == 1 {
			if u, ok := n.Rhs[0].(*dst.UnaryExpr); ok && u.Op == token.ARROW {
				for i := range n.Lhs {
					n.Lhs[i] = cr.applyExpr(n.Lhs[i])
				}
				n.Rhs[0] = cr.call("Recv2At", cr.opRef(), cr.applyExpr(u.X))
				return false
			}
		}
	case *dst.ValueSpec:
		if len(n.Names) == 2 && len(n.Values) == 1 {
			if u, ok := n.Values[0].(*dst.UnaryExpr); ok && u.Op == token.ARROW {
				n.Values[0] = cr.call("Recv2At", cr.opRef(), cr.applyExpr(u.X))
				return false
			}
		}
	}
	return true
}

// post rewrites single operations once their operands are rewritten.
func (cr *chanRewriter) post(c *dstutil.Cursor) bool {
	switch n := c.Node().(type) {
	case *dst.SendStmt:
		stmt := &dst.ExprStmt{X: cr.sendTo(n.Chan, "SendAt", cr.opRef(), n.Value)}
		stmt.Decs.NodeDecs = n.Decs.NodeDecs
		c.Replace(stmt)
	case *dst.UnaryExpr:
		if n.Op == token.ARROW {
			call := cr.call("RecvAt", cr.opRef(), n.X)
			call.Decs.NodeDecs = n.Decs.NodeDecs
			c.Replace(call)
		}
	case *dst.CallExpr:
		if site, ok := cr.sites[n]; ok {
			c.Replace(cr.call("Track", &dst.UnaryExpr{Op: token.AND, X: dst.NewIdent(site.varName)}, n))
			break
		}
		if a, ok := cr.rw.astNode(n).(*ast.CallExpr); ok && isCloseCall(cr.rw.info(), a) {
			n.Fun = runtimeSel(cr.hp, "Close")
		}
	}
	return true
}

// rangeStmt turns a range over a channel into a loop over Recv2At:
//
//	for c := X; ; {
//		v, ok := hotpathimpl.Recv2At(&op, c)
//		if !ok {
//			break
//		}
//		body
//	}
func (cr *chanRewriter) rangeStmt(n *dst.RangeStmt) dst.Stmt {
	a, ok := cr.rw.astNode(n).(*ast.RangeStmt)
	if !ok || chanCore(cr.rw.info().TypeOf(a.X)) == nil {
		return nil
	}
	x := cr.applyExpr(n.X)
	chanVar, okVar := cr.temp("rc"), cr.temp("ok")
	recv2 := cr.call("Recv2At", cr.opRef(), dst.NewIdent(chanVar))
	cr.applyStmts(n.Body.List)
	var first []dst.Stmt
	key := n.Key
	switch {
	case key == nil || isBlank(key):
		first = append(first, &dst.AssignStmt{Lhs: []dst.Expr{dst.NewIdent("_"), dst.NewIdent(okVar)}, Tok: token.DEFINE,
			Rhs: []dst.Expr{recv2}})
	case n.Tok == token.DEFINE:
		first = append(first, &dst.AssignStmt{Lhs: []dst.Expr{key, dst.NewIdent(okVar)}, Tok: token.DEFINE,
			Rhs: []dst.Expr{recv2}})
	default:
		v := cr.temp("v")
		first = append(first, &dst.AssignStmt{Lhs: []dst.Expr{dst.NewIdent(v), dst.NewIdent(okVar)}, Tok: token.DEFINE,
			Rhs: []dst.Expr{recv2}})
		first = append(first, mustStmts(fmt.Sprintf("if !%s {\nbreak\n}", okVar))[0],
			&dst.AssignStmt{Lhs: []dst.Expr{key}, Tok: token.ASSIGN, Rhs: []dst.Expr{dst.NewIdent(v)}})
	}
	if len(first) == 1 {
		first = append(first, mustStmts(fmt.Sprintf("if !%s {\nbreak\n}", okVar))[0])
	}
	for _, s := range first {
		s.Decorations().Before = dst.NewLine
		s.Decorations().After = dst.NewLine
	}
	line := cr.lineOf(n)
	for _, s := range first {
		markGenerated(s, line)
	}
	loop := &dst.ForStmt{
		Init: &dst.AssignStmt{Lhs: []dst.Expr{dst.NewIdent(chanVar)}, Tok: token.DEFINE, Rhs: []dst.Expr{x}},
		Body: &dst.BlockStmt{List: append(first, n.Body.List...)},
	}
	loop.Decs.NodeDecs = n.Decs.NodeDecs
	return loop
}

func isBlank(e dst.Expr) bool {
	id, ok := e.(*dst.Ident)
	return ok && id.Name == "_"
}

// selectStmt rewrites a select with communication cases (a labeled one
// when c's node is a LabeledStmt). See the package documentation of the
// runtime for the shape; it keeps the select's semantics: operands are
// evaluated once, in source order, on entry; a ready case is chosen at
// random; a select without default blocks until a case is ready.
func (cr *chanRewriter) selectStmt(sel *dst.SelectStmt, c *dstutil.Cursor) dst.Stmt {
	var label *dst.Ident
	if ls, ok := c.Node().(*dst.LabeledStmt); ok {
		label = ls.Label
	}
	type commCase struct {
		clause         *dst.CommClause
		send           bool
		ch, val, v, ok string // temporaries
		bind           []dst.Expr
		tok            token.Token
		index          int
		hasValue       bool
	}
	var cases []*commCase
	var deflt *dst.CommClause
	for _, s := range sel.Body.List {
		cc := s.(*dst.CommClause)
		if cc.Comm == nil {
			deflt = cc
			continue
		}
		cases = append(cases, &commCase{clause: cc, index: len(cases) + 1})
	}
	if len(cases) == 0 {
		return nil
	}
	var prologue []dst.Stmt
	define := func(name string, value dst.Expr) {
		prologue = append(prologue, &dst.AssignStmt{Lhs: []dst.Expr{dst.NewIdent(name)}, Tok: token.DEFINE, Rhs: []dst.Expr{value}})
	}
	caseVar, startVar := cr.temp("case"), cr.temp("start")
	// Operands first, in source order, as the select itself evaluates them.
	for _, k := range cases {
		k.ch = cr.temp("c")
		switch comm := k.clause.Comm.(type) {
		case *dst.SendStmt:
			k.send = true
			define(k.ch, cr.applyExpr(comm.Chan))
			k.val = cr.temp("x")
			define(k.val, cr.sendTo(dst.NewIdent(k.ch), "Value", cr.applyExpr(comm.Value)))
		case *dst.ExprStmt:
			define(k.ch, cr.applyExpr(comm.X.(*dst.UnaryExpr).X))
		case *dst.AssignStmt:
			define(k.ch, cr.applyExpr(comm.Rhs[0].(*dst.UnaryExpr).X))
			k.bind, k.tok = comm.Lhs, comm.Tok
			k.hasValue = !isBlank(comm.Lhs[0])
		}
	}
	for _, k := range cases {
		if k.send {
			continue
		}
		k.ok = cr.temp("ok")
		if k.hasValue {
			k.v = cr.temp("v")
			define(k.v, cr.call("Zero", dst.NewIdent(k.ch)))
		}
		prologue = append(prologue, mustStmts(fmt.Sprintf("var %s bool", k.ok))[0])
	}
	prologue = append(prologue, mustStmts(fmt.Sprintf("var %s int", caseVar))[0])
	if deflt == nil {
		prologue = append(prologue, mustStmts(fmt.Sprintf("var %s int64", startVar))[0])
	}
	// The select over temporaries, twice when it may block.
	commSelect := func(withDefault bool) *dst.SelectStmt {
		var list []dst.Stmt
		for _, k := range cases {
			var comm dst.Stmt
			switch {
			case k.send:
				comm = &dst.SendStmt{Chan: dst.NewIdent(k.ch), Value: dst.NewIdent(k.val)}
			default:
				lhsV := dst.Expr(dst.NewIdent("_"))
				if k.hasValue {
					lhsV = dst.NewIdent(k.v)
				}
				comm = &dst.AssignStmt{Lhs: []dst.Expr{lhsV, dst.NewIdent(k.ok)}, Tok: token.ASSIGN,
					Rhs: []dst.Expr{&dst.UnaryExpr{Op: token.ARROW, X: dst.NewIdent(k.ch)}}}
			}
			list = append(list, &dst.CommClause{Comm: comm, Body: mustStmts(fmt.Sprintf("%s = %d", caseVar, k.index))})
		}
		if withDefault {
			list = append(list, &dst.CommClause{})
		}
		return &dst.SelectStmt{Body: &dst.BlockStmt{List: list}}
	}
	var stmts []dst.Stmt
	stmts = append(stmts, prologue...)
	if deflt == nil {
		stmts = append(stmts, commSelect(true))
		wait := mustStmts(fmt.Sprintf("if %s == 0 {\n%s = %s.Nanotime()\n}", caseVar, startVar, cr.hp))[0].(*dst.IfStmt)
		wait.Body.List = append(wait.Body.List, commSelect(false))
		stmts = append(stmts, wait)
	} else {
		stmts = append(stmts, commSelect(true))
	}
	// The bodies, in a switch on the case that fired.
	start := "0"
	if deflt == nil {
		start = startVar
	}
	var clauses []dst.Stmt
	for _, k := range cases {
		var body []dst.Stmt
		if k.send {
			body = append(body, mustStmts(fmt.Sprintf("%s.SelectSentAt(&%s, %s, %s)", cr.hp, cr.op(), k.ch, start))...)
		} else {
			body = append(body, mustStmts(fmt.Sprintf("%s.SelectRecvAt(&%s, %s, %s, %s)", cr.hp, cr.op(), k.ch, k.ok, start))...)
			if k.bind != nil {
				var rhs []dst.Expr
				var lhs []dst.Expr
				for i, e := range k.bind {
					if isBlank(e) && k.tok == token.ASSIGN {
						continue
					}
					lhs = append(lhs, cr.applyExpr(e))
					if i == 0 {
						if k.hasValue {
							rhs = append(rhs, dst.NewIdent(k.v))
						} else {
							rhs = append(rhs, dst.NewIdent("_"))
						}
					} else {
						rhs = append(rhs, dst.NewIdent(k.ok))
					}
				}
				if len(lhs) > 0 && !(len(rhs) == 1 && isBlank(rhs[0])) {
					if k.tok == token.DEFINE && !k.hasValue {
						// case _, ok := <-c: declare ok alone.
						lhs, rhs = lhs[1:], rhs[1:]
					}
					body = append(body, &dst.AssignStmt{Lhs: lhs, Tok: k.tok, Rhs: rhs})
				}
			}
		}
		for _, s := range body {
			markGenerated(s, cr.lineOf(k.clause))
		}
		cr.applyStmts(k.clause.Body)
		body = append(body, k.clause.Body...)
		for _, s := range body {
			s.Decorations().Before = dst.NewLine
			s.Decorations().After = dst.NewLine
		}
		clause := &dst.CaseClause{List: []dst.Expr{&dst.BasicLit{Kind: token.INT, Value: strconv.Itoa(k.index)}}, Body: body}
		clause.Decs.NodeDecs = k.clause.Decs.NodeDecs
		setLineMarker(clause, cr.lineOf(k.clause))
		clauses = append(clauses, clause)
	}
	if deflt != nil {
		cr.applyStmts(deflt.Body)
		clause := &dst.CaseClause{Body: deflt.Body}
		clause.Decs.NodeDecs = deflt.Decs.NodeDecs
		setLineMarker(clause, cr.lineOf(deflt))
		clauses = append(clauses, clause)
	} else {
		// Some case fired: the last one is the switch's default, so that a
		// select whose cases all end in return stays a terminating statement.
		clauses[len(clauses)-1].(*dst.CaseClause).List = nil
	}
	var dispatch dst.Stmt = &dst.SwitchStmt{Tag: dst.NewIdent(caseVar), Body: &dst.BlockStmt{List: clauses}}
	if label != nil {
		dispatch = &dst.LabeledStmt{Label: label, Stmt: dispatch}
		setLineMarker(dispatch, cr.lineOf(c.Node()))
	}
	stmts = append(stmts, dispatch)
	for _, s := range stmts {
		s.Decorations().Before = dst.NewLine
		s.Decorations().After = dst.NewLine
	}
	block := &dst.BlockStmt{List: stmts}
	block.Decs.NodeDecs = *c.Node().(dst.Stmt).Decorations()
	markGenerated(block, cr.lineOf(sel))
	return block
}

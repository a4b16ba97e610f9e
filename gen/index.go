package gen

import (
	"fmt"
	"go/ast"
	"go/token"
	"sort"
	"strings"
)

// The indexes planning builds of a file that has directives: what each
// comment documents, which statement starts on each line, which function
// literal each comment group opens.

// startsLine reports whether only white space precedes pos on its line.
func startsLine(src []byte, pos token.Position) bool {
	for i := pos.Offset - 1; i >= 0 && i < len(src); i-- {
		switch src[i] {
		case '\n':
			return true
		case ' ', '\t', '\r':
		default:
			return i < 3 && string(src[:i+1]) == "\ufeff"[:i+1]
		}
	}
	return true
}

// docOwners maps each comment of a doc comment group to the declaration it
// documents.
func docOwners(f *ast.File) map[*ast.Comment]ast.Node {
	m := map[*ast.Comment]ast.Node{}
	add := func(g *ast.CommentGroup, n ast.Node) {
		if g == nil {
			return
		}
		for _, c := range g.List {
			if _, ok := m[c]; !ok {
				m[c] = n
			}
		}
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			add(d.Doc, d)
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					add(s.Doc, s)
					if !d.Lparen.IsValid() {
						add(d.Doc, s)
					}
					if st, ok := s.Type.(*ast.StructType); ok {
						for _, fld := range st.Fields.List {
							add(fld.Doc, fld)
						}
					}
				case *ast.ValueSpec:
					add(s.Doc, s)
					if !d.Lparen.IsValid() {
						add(d.Doc, s)
					}
				}
			}
			add(d.Doc, d)
		}
	}
	return m
}

// stmtSite is a statement in a statement list of a function body.
type stmtSite struct {
	stmt  ast.Stmt
	owner ast.Node // *ast.FuncDecl or *ast.FuncLit
}

// statementsByLine maps a line to the statement of a function body that
// starts on it (the first, when several do).
func statementsByLine(fset *token.FileSet, f *ast.File) map[int]stmtSite {
	m := map[int]stmtSite{}
	var owners []ast.Node
	var visit func(n ast.Node) bool
	addList := func(list []ast.Stmt) {
		if len(owners) == 0 {
			return
		}
		for _, s := range list {
			line := fset.Position(s.Pos()).Line
			if _, ok := m[line]; !ok {
				m[line] = stmtSite{stmt: s, owner: owners[len(owners)-1]}
			}
		}
	}
	visit = func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncDecl:
			if n.Body != nil {
				owners = append(owners, n)
				ast.Inspect(n.Body, visit)
				owners = owners[:len(owners)-1]
			}
			return false
		case *ast.FuncLit:
			owners = append(owners, n)
			ast.Inspect(n.Body, visit)
			owners = owners[:len(owners)-1]
			return false
		case *ast.BlockStmt:
			addList(n.List)
		case *ast.CaseClause:
			addList(n.Body)
		case *ast.CommClause:
			addList(n.Body)
		}
		return true
	}
	ast.Inspect(f, visit)
	return m
}

func describeNode(n ast.Node) string {
	switch n := n.(type) {
	case *ast.ValueSpec:
		return "a variable or constant"
	case *ast.Field:
		return "a struct field"
	case *ast.GenDecl:
		return "a " + strings.ToLower(n.Tok.String()) + " declaration group"
	case nil:
		return "nothing (it is not in the doc comment of a declaration)"
	}
	return fmt.Sprintf("%T", n)
}

// litOpeners maps a comment group that opens the body of a function
// literal (its first comment, before any statement) to the literal.
func litOpeners(f *ast.File) map[*ast.CommentGroup]*ast.FuncLit {
	m := map[*ast.CommentGroup]*ast.FuncLit{}
	if len(f.Comments) == 0 {
		return m
	}
	ast.Inspect(f, func(n ast.Node) bool {
		lit, ok := n.(*ast.FuncLit)
		if !ok {
			return true
		}
		end := lit.Body.Rbrace
		if len(lit.Body.List) > 0 {
			end = lit.Body.List[0].Pos()
		}
		i := sort.Search(len(f.Comments), func(i int) bool { return f.Comments[i].Pos() > lit.Body.Lbrace })
		if i < len(f.Comments) && f.Comments[i].End() <= end {
			m[f.Comments[i]] = lit
		}
		return true
	})
	return m
}

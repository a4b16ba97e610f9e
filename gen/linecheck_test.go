package gen

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// statementLineErrors checks the positions a twin's //line directives give
// its statements against the source the twin was made from (src, as it
// reads once generate is done, named name): every statement the generator
// wrote as instrumentation reports <generated>, and every other statement
// reports the source file and a line where a statement starts whose
// identifiers include all of its own (a rewritten send, receive, range or
// select names the same variables as the user's statement it stands for).
// So a panic or an allocation in a user's statement points at that
// statement. Sources with //line directives of their own are not checked.
func statementLineErrors(name string, src, twin []byte) []string {
	if hasLineDirectives(src) {
		return nil
	}
	fset := token.NewFileSet()
	sf, err := parser.ParseFile(fset, name, src, 0)
	if err != nil {
		return []string{"source: " + err.Error()}
	}
	// line -> identifiers of the statements starting there; a statement
	// also names the results of its function, which a return inside a
	// block assigns before it closes the block's span.
	srcIdents := map[int]map[string]bool{}
	var visit func(n ast.Node, results []string)
	visit = func(n ast.Node, results []string) {
		ast.Inspect(n, func(n ast.Node) bool {
			var ft *ast.FuncType
			var body *ast.BlockStmt
			switch f := n.(type) {
			case *ast.FuncDecl:
				ft, body = f.Type, f.Body
			case *ast.FuncLit:
				ft, body = f.Type, f.Body
			}
			if body != nil {
				var names []string
				if ft.Results != nil {
					for _, fld := range ft.Results.List {
						for _, id := range fld.Names {
							names = append(names, id.Name)
						}
					}
				}
				visit(body, names)
				return false
			}
			s, ok := n.(ast.Stmt)
			if !ok || s == nil {
				return true
			}
			line := fset.Position(s.Pos()).Line
			if srcIdents[line] == nil {
				srcIdents[line] = map[string]bool{}
			}
			for id := range userIdents(s, "") {
				srcIdents[line][id] = true
			}
			for _, r := range results {
				srcIdents[line][r] = true
			}
			return true
		})
	}
	visit(sf, nil)
	tf, err := parser.ParseFile(fset, strings.TrimSuffix(name, ".go")+"_hotpath.go", twin, parser.ParseComments)
	if err != nil {
		return []string{"twin: " + err.Error()}
	}
	alias := ""
	for _, imp := range tf.Imports {
		if imp.Path.Value == `"`+runtimePath+`"` {
			alias = "hotpathimpl"
			if imp.Name != nil {
				alias = imp.Name.Name
			}
		}
	}
	twinLines := strings.Split(string(twin), "\n")
	var errs []string
	base := filepath.Base(name)
	ast.Inspect(tf, func(n ast.Node) bool {
		var list []ast.Stmt
		switch n := n.(type) {
		case *ast.BlockStmt:
			list = n.List
		case *ast.CaseClause:
			list = n.Body
		case *ast.CommClause:
			list = n.Body
		}
		for _, s := range list {
			if _, ok := s.(*ast.BlockStmt); ok {
				continue // a block the generator opened: its statements are checked
			}
			if ls, ok := s.(*ast.LabeledStmt); ok {
				s = ls.Stmt
			}
			raw := fset.PositionFor(s.Pos(), false)
			text := strings.TrimSpace(twinLines[raw.Line-1])
			p := fset.Position(s.Pos())
			p.Filename = filepath.Base(p.Filename)
			if isGeneratedLine(text) {
				if p.Filename != generatedFile {
					errs = append(errs, "twin line "+strconv.Itoa(raw.Line)+" ("+text+") is instrumentation but reports "+p.Filename+":"+strconv.Itoa(p.Line))
				}
				continue
			}
			if p.Filename != base {
				errs = append(errs, "twin line "+strconv.Itoa(raw.Line)+" ("+text+") reports "+p.Filename+":"+strconv.Itoa(p.Line)+", want a line of "+base)
				continue
			}
			have, ok := srcIdents[p.Line]
			if !ok {
				errs = append(errs, "twin line "+strconv.Itoa(raw.Line)+" ("+text+") reports "+base+":"+strconv.Itoa(p.Line)+", where no statement starts")
				continue
			}
			var missing []string
			for id := range userIdents(s, alias) {
				if !have[id] {
					missing = append(missing, id)
				}
			}
			if len(missing) > 0 {
				sort.Strings(missing)
				errs = append(errs, "twin line "+strconv.Itoa(raw.Line)+" ("+text+") reports "+base+":"+strconv.Itoa(p.Line)+", whose statements do not name "+strings.Join(missing, ", "))
			}
		}
		return true
	})
	return errs
}

// userIdents returns the identifiers of a node that come from the user's
// code: not the generator's _hotpath_ names, the runtime's import name, or
// the methods called on those.
func userIdents(n ast.Node, alias string) map[string]bool {
	generated := func(id *ast.Ident) bool {
		return strings.HasPrefix(id.Name, "_hotpath_") || (alias != "" && id.Name == alias)
	}
	var root func(e ast.Expr) *ast.Ident
	root = func(e ast.Expr) *ast.Ident {
		switch e := e.(type) {
		case *ast.Ident:
			return e
		case *ast.SelectorExpr:
			return root(e.X)
		case *ast.CallExpr:
			return root(e.Fun)
		}
		return nil
	}
	skip := map[*ast.Ident]bool{}
	ids := map[string]bool{}
	ast.Inspect(n, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if r := root(n.X); r != nil && generated(r) {
				skip[n.Sel] = true
			}
		case *ast.Ident:
			// Predeclared names (int, bool, close) the generator writes
			// in temporaries and calls of its own.
			if !skip[n] && !generated(n) && n.Name != "_" && types.Universe.Lookup(n.Name) == nil {
				ids[n.Name] = true
			}
		}
		return true
	})
	return ids
}

package gen

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strconv"
	"strings"

	"github.com/dave/dst"
	"github.com/dave/dst/decorator"
)

// kinds is the registry of directive kinds, in the order their verbs are
// listed, their targets named and declared, and their rewrites applied.
// Adding a kind is one file that implements kind, plus one line here.
var kinds = []kind{
	measureKind{},
	blockKind{},
	channelKind{},
	funcLitKind{},
	goKind{},
	mutexKind{},
}

// kind is one kind of directive: the verbs it owns and how it plans a
// package. Several kinds may own one verb (with the same arguments); each
// directive goes to the first whose unit claims its syntax.
type kind interface {
	// verbs are the directive verbs of the kind and the arguments each takes.
	verbs() []verbSpec
	// newUnit starts planning one package.
	newUnit(pp *pkgPlan) unit
}

// unit is a kind at work on one package: its planning state, then its
// targets in the package's files. Every method but attach and hint runs
// after every directive of the package is attached.
type unit interface {
	// attach claims directive d (of one of the kind's verbs) when its
	// syntax owner, at, is one the kind instruments, and plans it or
	// reports why it cannot (pp.errorf); false leaves d to other kinds.
	attach(fp *FilePlan, d Directive, at *site) bool
	// hint is the kind's part of the error for a directive of its verb
	// that no unit claimed ("" for none); the hints of all kinds that own
	// the verb are joined with "; ".
	hint(d Directive, at *site) string
	// finish runs the package-wide checks and planning: every file of the
	// package is attached.
	finish()
	// name gives the file's targets every name its twin declares and
	// reports show; n is shared by all kinds of the file.
	name(fp *FilePlan, n *namer)
	// needsTwin reports whether the kind instruments the file.
	needsTwin(fp *FilePlan) bool
	// rewrite instruments the file's syntax.
	rewrite(fr *fileRewrite) error
	// declare writes the package-level variables of the file's twin, one
	// "\tNAME = VALUE\n" line each.
	declare(fr *fileRewrite, w *strings.Builder)
	// list returns the list entries of the file's directives.
	list(fp *FilePlan) []ListItem
}

// verbSpec is one directive verb and the arguments it takes.
type verbSpec struct {
	verb Verb
	// label is whether label=NAME is accepted; positional whether the
	// label may (and must) be given as a bare word instead.
	label, positional bool
	// usage ends argument errors: " (usage: //hotpath:block NAME)".
	usage string
}

// registered lists the registered verbs once each, in registry order.
var registered = func() []verbSpec {
	var out []verbSpec
	seen := map[Verb]bool{}
	for _, k := range kinds {
		for _, v := range k.verbs() {
			if !seen[v.verb] {
				seen[v.verb] = true
				out = append(out, v)
			}
		}
	}
	return out
}()

// verbs is every directive verb, in registry order.
var verbs = func() []Verb {
	var out []Verb
	for _, s := range registered {
		out = append(out, s.verb)
	}
	return out
}()

// specOf returns the arguments a verb takes.
func specOf(v Verb) (verbSpec, bool) {
	for _, s := range registered {
		if s.verb == v {
			return s, true
		}
	}
	return verbSpec{}, false
}

// site is the syntax around a directive, for units to pick their owner
// from.
type site struct {
	comment *ast.Comment
	group   *ast.CommentGroup
	// doc is the declaration whose doc comment holds the directive: an
	// *ast.FuncDecl, *ast.TypeSpec, *ast.ValueSpec, *ast.Field (of a
	// package-level struct type) or *ast.GenDecl; nil for none.
	doc ast.Node
	// next is the statement of a function body that starts on the line
	// after the comment group (stmt nil when there is none).
	next stmtSite
	// lit is the function literal whose body the comment group opens (the
	// literal's first comment), or nil.
	lit *ast.FuncLit
}

// pkgPlan is the planning state of one package that all units share.
type pkgPlan struct {
	p     *planner
	pkg   *loadedPackage
	files []*FilePlan
	// methods are the package's function declarations, with the
	// compiler's numbers of init functions.
	methods   []methodDecl
	initCount int
	units     []unit
	// instrumented is true when a file of the package has a directive.
	instrumented bool
}

func (pp *pkgPlan) errorf(pos token.Position, format string, args ...any) {
	pp.p.errorf(pos, format, args...)
}

func (pp *pkgPlan) fset() *token.FileSet { return pp.pkg.fset }
func (pp *pkgPlan) info() *types.Info    { return pp.pkg.info }

// fileOf returns the plan of a file of the package.
func (pp *pkgPlan) fileOf(f *loadedFile) *FilePlan {
	for _, fp := range pp.files {
		if fp.file == f {
			return fp
		}
	}
	return nil
}

// symbolFor returns the runtime symbol of a declaration of the package.
func (pp *pkgPlan) symbolFor(decl *ast.FuncDecl) string {
	idx := 0
	for _, m := range pp.methods {
		if m.decl == decl {
			idx = m.initIndex
		}
	}
	return funcSymbol(pp.pkg, decl, idx)
}

// ownerSymbol names the declared function that holds a node (a function
// literal names its enclosing declaration).
func (pp *pkgPlan) ownerSymbol(owner ast.Node) string {
	for _, md := range pp.methods {
		if md.decl == owner || (md.decl.Body != nil && owner != nil && md.decl.Body.Pos() <= owner.Pos() && owner.End() <= md.decl.Body.End()) {
			return funcSymbol(pp.pkg, md.decl, md.initIndex)
		}
	}
	return ""
}

// namer hands out the identifiers of one twin, unique in the file.
type namer struct {
	used map[string]int
	// stem is the file's name without .go, as an identifier fragment.
	stem string
}

// unique returns base, or base_N when base was handed out before.
func (n *namer) unique(base string) string {
	n.used[base]++
	if c := n.used[base]; c > 1 {
		return base + "_" + strconv.Itoa(c)
	}
	return base
}

// fileRewrite is one file being instrumented: its syntax as dst, the maps
// between dst and the loaded ast, and its type information.
type fileRewrite struct {
	fp  *FilePlan
	df  *dst.File
	dec *decorator.Decorator
	// hp is the name the twin gives the runtime package.
	hp string
	// shift is how many lines generate adds above the loaded source.
	shift int
}

// dstNode is the dst node of an ast node of the loaded file.
func (fr *fileRewrite) dstNode(n ast.Node) dst.Node { return fr.dec.Dst.Nodes[n] }

// astNode is the ast node a dst node was decorated from, nil for a
// generated one.
func (fr *fileRewrite) astNode(n dst.Node) ast.Node { return fr.dec.Ast.Nodes[n] }

func (fr *fileRewrite) info() *types.Info { return fr.fp.file.pkg.info }

// lineOf is the file and line that stack frames show for a position of
// the loaded source (see FilePlan.finalLine).
func (fr *fileRewrite) lineOf(pos token.Position) (string, int) {
	return fr.fp.lineOf(pos, fr.shift)
}

// siteOf returns pos as a report's site: the package's import path, then
// the file and line a stack frame in the twin shows.
func (fr *fileRewrite) siteOf(pos token.Position) string {
	file, line := fr.lineOf(pos)
	return fmt.Sprintf("%s/%s:%d", strings.TrimSuffix(fr.fp.Package, "_test"), file, line)
}

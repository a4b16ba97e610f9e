package gen

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/dave/dst"
	"github.com/dave/dst/decorator"
)

// rewriteFile instruments one file of the plan and prints it: each kind
// rewrites the file's syntax, in registry order, then declares its
// variables. The result is the file's full text with instrumentation,
// before the twin header, line directives and checksum are added by
// render. It only reads the plan.
func rewriteFile(fp *FilePlan, srcHash string, shift int) ([]byte, error) {
	f := fp.file
	dec := decorator.NewDecorator(f.pkg.fset)
	df, err := dec.DecorateFile(f.ast)
	if err != nil {
		return nil, fmt.Errorf("%s: decorate: %w", fp.Source, err)
	}
	alias := importName(f)
	fr := &fileRewrite{fp: fp, df: df, dec: dec, hp: alias.name, shift: shift}
	// In registry order: a block's statement may be a select, which the
	// channel rewrite (after it) replaces in place.
	for _, u := range fp.units {
		if err := u.rewrite(fr); err != nil {
			return nil, err
		}
	}
	if err := fr.declarations(srcHash); err != nil {
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

// declarations appends the package-level variables the kinds declare and
// the file's source registration.
func (fr *fileRewrite) declarations(srcHash string) error {
	hp := fr.hp
	file := baseName(fr.fp.Source)
	var b strings.Builder
	fmt.Fprintf(&b, "package p\n\nvar (\n")
	for _, u := range fr.fp.units {
		u.declare(fr, &b)
	}
	fmt.Fprintf(&b, "\n\t_ = %s.RegisterSource(%q, %q, %q)\n)\n", hp, strings.TrimSuffix(fr.fp.Package, "_test"), file, srcHash)
	snippet, err := decorator.Parse(b.String())
	if err != nil {
		return fmt.Errorf("%s: generated declarations do not parse: %w", fr.fp.Source, err)
	}
	decl := snippet.Decls[0]
	decl.Decorations().Before = dst.EmptyLine
	fr.df.Decls = append(fr.df.Decls, decl)
	return nil
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

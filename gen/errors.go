package gen

import (
	"fmt"
	"go/token"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/tools/go/packages"
)

// Error is a problem with the user's code or directives, at a position.
type Error struct {
	Pos token.Position
	Msg string
}

func (e *Error) Error() string {
	if e.Pos.Filename == "" {
		return e.Msg
	}
	return fmt.Sprintf("%s: %s", e.Pos, e.Msg)
}

func errorAt(pos token.Position, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// dedupErrors drops repeats: a file type-checked in two package variants
// (with and without its tests) reports the same error twice.
func dedupErrors(errs []*Error) []*Error {
	seen := map[string]bool{}
	out := errs[:0]
	for _, e := range errs {
		key := e.Error()
		if !seen[key] {
			seen[key] = true
			out = append(out, e)
		}
	}
	return out
}

func sortErrors(errs []*Error) {
	sort.SliceStable(errs, func(i, j int) bool {
		a, b := errs[i].Pos, errs[j].Pos
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}

// underlyingErrors keeps the errors that say what is wrong: a file that
// does not parse is also reported by the go command (which compiled the
// package for export data, in a multi-line message of its own) and by the
// type checker (errors that follow from the broken syntax). So: the parse
// errors if there are any, else the type errors, else the go command's.
func underlyingErrors(errs []packages.Error) []packages.Error {
	for _, kind := range []packages.ErrorKind{packages.ParseError, packages.TypeError} {
		var out []packages.Error
		for _, e := range errs {
			if e.Kind == kind {
				out = append(out, e)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return errs
}

// inDir gives an error without a position the file its message starts
// with, when that is a bare file name (the go command's "x.go: parsing
// //go:build line: ..."), so that it is found in the package directory.
func inDir(dir string, e *Error) *Error {
	name, rest, ok := strings.Cut(e.Msg, ": ")
	if e.Pos.Filename != "" || dir == "" || !ok || !strings.HasSuffix(name, ".go") || strings.ContainsAny(name, "/\\ ") {
		return e
	}
	return &Error{Pos: token.Position{Filename: filepath.Join(dir, name)}, Msg: rest}
}

// packageError converts a go/packages error, whose position is a string.
func packageError(e packages.Error) *Error {
	pos := token.Position{}
	if e.Pos != "" && e.Pos != "-" {
		parts := strings.Split(e.Pos, ":")
		// file:line:col, where file may itself hold colons (Windows drives).
		if n := len(parts); n >= 3 {
			line, err1 := strconv.Atoi(parts[n-2])
			col, err2 := strconv.Atoi(parts[n-1])
			if err1 == nil && err2 == nil {
				pos = token.Position{Filename: strings.Join(parts[:n-2], ":"), Line: line, Column: col}
			}
		} else if n == 2 {
			if line, err := strconv.Atoi(parts[1]); err == nil {
				pos = token.Position{Filename: parts[0], Line: line}
			}
		}
	}
	msg := e.Msg
	if pos.Filename == "" && e.Pos != "" {
		msg = e.Pos + ": " + msg
	}
	return &Error{Pos: pos, Msg: msg + " (the package must build before hotpathgen can instrument it)"}
}

// shortPos prints a position in the package of the error that names it:
// by file name, so that messages hold no absolute paths.
func shortPos(pos token.Position) string {
	pos.Filename = baseName(pos.Filename)
	return pos.String()
}

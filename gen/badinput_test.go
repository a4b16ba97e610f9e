package gen

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"
)

// badCase is a package with something hotpathgen must refuse, and the
// exact errors it must give (paths relative to the module).
type badCase struct {
	name  string
	files string // txtar: files relative to the case's directory
	want  string
}

var badCases = []badCase{
	{
		name: "verb",
		files: `
-- verb.go --
package verb

//hotpath:mesure
func A() {}

//hotpath:Measure
func B() {}

//hotpath:
func C() {}

//hotpath:xyzzy
func D() {}

//hotpath:blok b
func E() {}
`,
		want: `
verb/verb.go:3:1: unknown directive //hotpath:mesure (did you mean //hotpath:measure?)
verb/verb.go:6:1: unknown directive //hotpath:Measure (did you mean //hotpath:measure?)
verb/verb.go:9:1: directive has no verb: want one of measure, skip, block, channel, go, mutex
verb/verb.go:12:1: unknown directive //hotpath:xyzzy: want one of measure, skip, block, channel, go, mutex
verb/verb.go:15:1: unknown directive //hotpath:blok (did you mean //hotpath:block?)
`,
	},
	{
		name: "options",
		files: `
-- options.go --
package options

//hotpath:measure label=a label=b
func Twice() {}

//hotpath:measure label
func NoValue() {}

//hotpath:measure label=
func Empty() {}

//hotpath:measure label="two words" extra
func Extra() {}

//hotpath:measure label=x"y
func StrayQuote() {}

//hotpath:measure label="unterminated
func Unterminated() {}

//hotpath:measure label="a"b
func AfterQuote() {}

//hotpath:measure lable=x
func Misspelt() {}

//hotpath:measure =x
func NoKey() {}

//hotpath:skip label=x
func (T) Skip() {}

//hotpath:measure
type T struct{}

func Blocks() {
	//hotpath:block
	println()
	//hotpath:block a b
	println()
	//hotpath:block label=x
	println() // label=NAME is accepted for blocks too
}

func Channel() {
	//hotpath:channel name=x
	ch := make(chan int)
	_ = ch
}
`,
		want: `
options/options.go:3:27: //hotpath:measure: option "label" given twice
options/options.go:6:19: //hotpath:measure: unexpected argument "label" (usage: //hotpath:measure [label=NAME])
options/options.go:9:19: //hotpath:measure: label is empty
options/options.go:12:37: //hotpath:measure: unexpected argument "extra" (usage: //hotpath:measure [label=NAME])
options/options.go:15:26: unexpected '"' in a value (quote values that hold it)
options/options.go:18:25: unterminated or invalid quoted string
options/options.go:21:28: want a space after a quoted string
options/options.go:24:19: //hotpath:measure: unknown option "lable" (usage: //hotpath:measure [label=NAME])
options/options.go:27:19: option has no name before '='
options/options.go:30:16: //hotpath:skip: unknown option "label" (//hotpath:skip takes no arguments)
options/options.go:37:2: //hotpath:block needs a label: //hotpath:block NAME
options/options.go:39:20: //hotpath:block: unexpected argument "b" (usage: //hotpath:block NAME)
options/options.go:46:20: //hotpath:channel: unknown option "name" (usage: //hotpath:channel [label=NAME])
`,
	},
	{
		name: "twice",
		files: `
-- twice.go --
package twice

// F is measured twice.
//
//hotpath:measure
//hotpath:measure label=again
func F() {}

//hotpath:measure
//hotpath:measure
type T struct{}

func (T) M() {}

type U struct{}

//hotpath:measure
//hotpath:skip
//hotpath:skip
func (U) M() {}
`,
		want: `
twice/twice.go:6:1: //hotpath:measure given twice on F
twice/twice.go:10:1: //hotpath:measure given twice on type T
twice/twice.go:18:1: //hotpath:skip on M has no effect: its type has no //hotpath:measure
twice/twice.go:19:1: //hotpath:skip given twice on M
`,
	},
	{
		name: "misplaced",
		files: `
-- misplaced.go --
package misplaced

//hotpath:measure
var V = 1

//hotpath:measure
const K = 2

type S struct {
	//hotpath:measure
	F int
}

//hotpath:measure
type I interface{ M() }

//hotpath:measure
type A = S

//hotpath:measure label=all
type L struct{}

//hotpath:skip
type K2 struct{}

var (
	//hotpath:skip
	W = 3
)

func F() {} //hotpath:measure

//hotpath:measure
`,
		want: `
misplaced/misplaced.go:3:1: //hotpath:measure must be in the doc comment of a function, method or type; here it documents a variable or constant
misplaced/misplaced.go:6:1: //hotpath:measure must be in the doc comment of a function, method or type; here it documents a variable or constant
misplaced/misplaced.go:10:2: //hotpath:measure must be in the doc comment of a function, method or type; here it documents a struct field
misplaced/misplaced.go:14:1: //hotpath:measure on interface I: interface methods have no bodies to instrument; measure the implementations
misplaced/misplaced.go:17:1: //hotpath:measure on alias A: put it on the type the alias names
misplaced/misplaced.go:20:1: //hotpath:measure on type L takes no label: each method is reported under its own name
misplaced/misplaced.go:23:1: //hotpath:skip belongs on a method, not on type K2
misplaced/misplaced.go:27:2: //hotpath:skip must be in the doc comment of a method; here it documents a variable or constant
misplaced/misplaced.go:31:13: //hotpath:measure must start its own line, not follow code
misplaced/misplaced.go:33:1: //hotpath:measure must be in the doc comment of a function, method or type; here it documents nothing (it is not in the doc comment of a declaration); to measure a function literal, put //hotpath:measure on the line before the statement that holds it (go func() {...}(), f := func() {...}, call(func() {...})) or as the first line of its body
`,
	},
	{
		name: "channel",
		files: `
-- channel.go --
package channel

func NoChannel() {
	//hotpath:channel
	println()
}

func Slice() {
	//hotpath:channel
	x := make([]int, 3)
	_ = x
}

func Two() {
	//hotpath:channel
	a, b := make(chan int), make(chan int)
	_, _ = a, b
}

func NotMake(c chan int) {
	//hotpath:channel
	d := c
	_ = d
}

//hotpath:channel
var Pkg = 1

//hotpath:channel
func OnFunc() {}

func AtEnd() {
	_ = 1
	//hotpath:channel
}
`,
		want: `
channel/channel.go:4:2: //hotpath:channel: the statement on the next line makes no channel; the directive goes on the line before x := make(chan T[, n]), x = ..., s.f = ... or var x = ...
channel/channel.go:9:2: //hotpath:channel: the statement on the next line makes no channel; the directive goes on the line before x := make(chan T[, n]), x = ..., s.f = ... or var x = ...
channel/channel.go:15:2: //hotpath:channel: the statement makes 2 channels; put each make in a statement of its own, with its own directive
channel/channel.go:21:2: //hotpath:channel: the statement on the next line makes no channel; the directive goes on the line before x := make(chan T[, n]), x = ..., s.f = ... or var x = ...
channel/channel.go:26:1: //hotpath:channel: the statement on the next line makes no channel; the directive goes on the line before x := make(chan T[, n]), x = ..., s.f = ... or var x = ...
channel/channel.go:29:1: //hotpath:channel must be on the line before a statement that makes a channel: x := make(chan T[, n]), x = ..., s.f = ..., var x = ...
channel/channel.go:34:2: //hotpath:channel must be on the line before a statement that makes a channel: x := make(chan T[, n]), x = ..., s.f = ..., var x = ...
`,
	},
	{
		name: "block",
		files: `
-- block.go --
package block

//hotpath:block outside
var V = 1

func Jumps() int {
	for {
		//hotpath:block ret
		return 1
		//hotpath:block brk
		break
	}
	return 0
}

func Others() {
	//hotpath:block dfr
	defer println()
	//hotpath:block gor
	go println()
	//hotpath:block empty
	;
	//hotpath:block cst
	const c = 1
	//hotpath:block typ
	type t int
	//hotpath:block last
}

func Again() {
	//hotpath:block again
again:
	for i := 0; i < 3; i++ {
		if i == 5 {
			goto again
		}
	}
}

func Shadowed() (n int, err error) {
	//hotpath:block shadow
	if true {
		n := 2
		return n, nil
	}
	return 0, nil
}

func Twice() {
	//hotpath:block one
	//hotpath:block two
	println()
}

func Dup() {
	//hotpath:block dup
	println()
}
-- other.go --
package block

func Dup2() {
	//hotpath:block dup
	println()
}
`,
		want: `
block/block.go:3:1: //hotpath:block must be on the line before a statement inside a function body
block/block.go:8:3: //hotpath:block on a return statement: it only transfers control, there is nothing to time
block/block.go:10:3: //hotpath:block on a break statement: it only transfers control, there is nothing to time
block/block.go:17:2: //hotpath:block on a defer statement would time only the evaluation of its arguments; time the function it calls instead
block/block.go:19:2: //hotpath:block on a go statement would time only the evaluation of its arguments; time the function it calls instead
block/block.go:21:2: //hotpath:block on an empty statement: there is nothing to time
block/block.go:23:2: //hotpath:block on a const declaration: there is nothing to time
block/block.go:25:2: //hotpath:block on a type declaration: there is nothing to time
block/block.go:27:2: //hotpath:block must be on the line before a statement inside a function body
block/block.go:35:4: goto again jumps to the start of block "again": a block cannot be re-entered by goto; move the label or the directive
block/block.go:44:3: block "shadow": result n is shadowed at this return, so the block cannot record it; rename the shadowing variable
block/block.go:51:2: two //hotpath:block directives on one statement
block/other.go:4:2: block label "dup" is already used at block.go:56:2: labels are unique in a package
`,
	},
	{
		name: "skip",
		files: `
-- skip.go --
package skip

//hotpath:skip
func F() {}

type T struct{}

//hotpath:skip
func (T) M() {}

//hotpath:measure
type U struct{}

// Both is skipped and measured.
//
//hotpath:measure
//hotpath:skip
func (U) Both() {}
`,
		want: `
skip/skip.go:3:1: //hotpath:skip on function F has no effect: skip leaves a method out of its type's //hotpath:measure
skip/skip.go:8:1: //hotpath:skip on M has no effect: its type has no //hotpath:measure
skip/skip.go:17:1: Both has both //hotpath:skip and //hotpath:measure
`,
	},
	{
		name: "syntax",
		files: `
-- syntax.go --
package syntax

//hotpath:measure
func F() {
	x :=
}
`,
		want: `
syntax/syntax.go:6:1: expected operand, found '}' (the package must build before hotpathgen can instrument it)
syntax/syntax.go:6:3: expected ';', found 'EOF' (the package must build before hotpathgen can instrument it)
syntax/syntax.go:6:3: expected '}', found 'EOF' (the package must build before hotpathgen can instrument it)
`,
	},
	{
		name: "typeerr",
		files: `
-- typeerr.go --
package typeerr

//hotpath:measure
func F() int {
	return "s"
}
-- other.go --
package typeerr

func G() { undefinedCall() }
`,
		want: `
typeerr/other.go:3:12: undefined: undefinedCall (the package must build before hotpathgen can instrument it)
typeerr/typeerr.go:5:9: cannot use "s" (untyped string constant) as int value in return statement (the package must build before hotpathgen can instrument it)
`,
	},
	{
		name: "nobody",
		files: `
-- nobody.go --
package nobody

import _ "unsafe"

// Stub is implemented in stub.s.
//
//hotpath:measure
func Stub() int

//go:linkname Linked runtime.fastrand
//hotpath:measure
func Linked() uint32 { return 0 }

//go:nosplit
//hotpath:measure
func NoSplit() {}

//hotpath:measure
type T struct{}

func (T) Fine() {}

//go:nosplit
func (T) Fast() {}

//go:nosplit

// Spaced is nosplit: the compiler reads the pragma across the blank line.
//
//hotpath:measure
func Spaced() {}

// Remote is named by a //go:linkname in another file.
//
//hotpath:measure
func Remote() {}
-- remote.go --
package nobody

import _ "unsafe"

//go:linkname Remote
-- stub.s --
#include "textflag.h"

TEXT ·Stub(SB),NOSPLIT,$0-8
	MOVQ $1, ret+0(FP)
	RET
`,
		want: `
nobody/nobody.go:7:1: cannot instrument Stub: it has no body (it is implemented in assembly or provided by //go:linkname)
nobody/nobody.go:11:1: cannot instrument Linked: it is the target of //go:linkname, so code elsewhere calls it by its symbol
nobody/nobody.go:15:1: cannot instrument NoSplit: it is marked //go:nosplit, and a deferred call needs a normal stack frame
nobody/nobody.go:24:1: cannot instrument Fast (its type is marked //hotpath:measure at nobody.go:18:1): it is marked //go:nosplit, and a deferred call needs a normal stack frame; add //hotpath:skip to leave it out
nobody/nobody.go:30:1: cannot instrument Spaced: it is marked //go:nosplit, and a deferred call needs a normal stack frame
nobody/nobody.go:35:1: cannot instrument Remote: it is the target of //go:linkname (in remote.go), so code elsewhere calls it by its symbol
`,
	},
	{
		name: "nostub",
		files: `
-- nostub.go --
package nostub

// Stub has no body and no assembly: the compiler rejects it.
//
//hotpath:measure
func Stub() int
`,
		want: `
nostub/nostub.go:6:6: missing function body (the package must build before hotpathgen can instrument it)
`,
	},
	{
		name: "cgo",
		files: `
-- cgo.go --
package cgo

// #include <stdlib.h>
import "C"

// Free frees nothing.
//
//hotpath:measure
func Free() { C.free(nil) }
-- plain.go --
package cgo

//hotpath:measure
func Plain() {}
`,
		want: `
cgo/cgo.go:8:1: cannot instrument a cgo file: files that import "C" are rewritten by cgo; move the function to a file without import "C"
`,
	},
	{
		name: "spaced",
		files: `
-- spaced.go --
package spaced

// hotpath:measure
func F() {}

func H() {
	// hotpath:block b
	println()
}
`,
		want: `
spaced/spaced.go:3:1: "// hotpath:measure" is a plain comment: directives have no space after the slashes (write //hotpath:measure)
spaced/spaced.go:7:2: "// hotpath:block b" is a plain comment: directives have no space after the slashes (write //hotpath:block b)
`,
	},
}

// writeBadModule writes every case into its own directory of one module
// that needs nothing but the standard library.
func writeBadModule(t *testing.T, dir string, cases []badCase) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/bad\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		ar := txtar.Parse([]byte(strings.TrimPrefix(c.files, "\n")))
		for _, f := range ar.Files {
			path := filepath.Join(dir, c.name, filepath.FromSlash(f.Name))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestBadInput runs the generator on every bad case at once and checks
// the exact errors of each, then runs the hotpathgen command on them all:
// it must print every error, exit 1, and write nothing anywhere.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	writeBadModule(t, dir, badCases)
	before := snapshotTree(t, dir)
	res, err := Run(Config{Dir: dir, Patterns: []string{"./..."}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSuffix(relErrors(dir, res.Errors), "\n"), "\n") {
		name, _, _ := strings.Cut(line, "/")
		got[name] = append(got[name], line)
	}
	var all []string
	for _, c := range badCases {
		t.Run(c.name, func(t *testing.T) {
			want := strings.TrimSpace(c.want)
			if diff := cmp.Diff(want, strings.Join(got[c.name], "\n")); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
		delete(got, c.name)
	}
	// The command prints errors by file and position: by case name here.
	sorted := append([]badCase(nil), badCases...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	for _, c := range sorted {
		all = append(all, strings.Split(strings.TrimSpace(c.want), "\n")...)
	}
	for name, lines := range got {
		t.Errorf("errors outside the cases (%s): %q", name, lines)
	}
	if len(res.Changes) != 0 || len(res.Twins) != 0 {
		t.Errorf("a run with errors planned %d changes and %d twins", len(res.Changes), len(res.Twins))
	}

	code, stdout, stderr := runHotpathgen(t, dir, "./...")
	wantStderr := strings.Join(all, "\n") + fmt.Sprintf("\nhotpathgen: %d error(s); nothing was written\n", len(all))
	if code != 1 || stdout != "" {
		t.Errorf("hotpathgen ./...: exit %d, stdout %q; want exit 1, no output", code, stdout)
	}
	if diff := cmp.Diff(wantStderr, stderr); diff != "" {
		t.Errorf("hotpathgen ./... stderr (-want +got):\n%s", diff)
	}
	// check reports the same errors as findings, exit 1.
	code, stdout, _ = runHotpathgen(t, dir, "check", "./...")
	if code != 1 || strings.Count(stdout, ": error: ") != len(all) {
		t.Errorf("hotpathgen check: exit %d, %d errors, want exit 1 and %d:\n%s", code, strings.Count(stdout, ": error: "), len(all), stdout)
	}
	if diff := cmp.Diff(before, snapshotTree(t, dir)); diff != "" {
		t.Errorf("files changed although generate failed:\n%s", diff)
	}
}

// TestRefuseForeignTwin: a *_hotpath.go that hotpathgen did not write is
// never overwritten, whether the untagged build compiles it or not.
func TestRefuseForeignTwin(t *testing.T) {
	dir := t.TempDir()
	writeBadModule(t, dir, []badCase{{name: "foreign", files: `
-- a.go --
package foreign

//hotpath:measure
func A() {}
-- a_hotpath.go --
package foreign

// Helper is someone's own code in a file whose name ends in _hotpath.go.
func Helper() {}
-- b.go --
package foreign

//hotpath:measure
func B() {}
-- b_hotpath.go --
//go:build hotpath

package foreign

// Code generated by another tool. DO NOT EDIT.
`}})
	before := snapshotTree(t, dir)
	res, err := Run(Config{Dir: dir, Patterns: []string{"./..."}})
	if err != nil {
		t.Fatal(err)
	}
	want := `foreign/a_hotpath.go:1:1: refusing to overwrite a_hotpath.go: it was not generated by hotpathgen from a.go (rename it, or delete it if it is stale)
foreign/b_hotpath.go:1:1: refusing to overwrite b_hotpath.go: it was not generated by hotpathgen from b.go (rename it, or delete it if it is stale)
`
	if diff := cmp.Diff(want, relErrors(dir, res.Errors)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	code, _, stderr := runHotpathgen(t, dir, "./...")
	if code != 1 || stderr != want+"hotpathgen: 2 error(s); nothing was written\n" {
		t.Errorf("hotpathgen: exit %d, stderr:\n%s", code, stderr)
	}
	if diff := cmp.Diff(before, snapshotTree(t, dir)); diff != "" {
		t.Errorf("files changed:\n%s", diff)
	}
}

// plainModule writes a module with one package p whose source p.go has a
// directive, and returns the module directory.
func plainModule(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeBadModule(t, dir, []badCase{{name: "p", files: `
-- p.go --
package p

// F is measured.
//
//hotpath:measure
func F() {}
-- q/q.go --
package q

//hotpath:measure
func G() {}
`}})
	return dir
}

func mustRun(t *testing.T, dir string) *Result {
	t.Helper()
	res, err := Run(Config{Dir: dir, Patterns: []string{"./..."}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 {
		t.Fatalf("errors: %v", ErrorList(res.Errors))
	}
	return res
}

// TestApplyReadOnly: a read-only source or directory stops Apply before
// it writes anything, and the command exits 2 (an I/O failure).
func TestApplyReadOnly(t *testing.T) {
	for _, tc := range []struct {
		name, path string
		want       string
	}{
		{"file", "p/p.go", "p/p.go is read-only; make it writable to let hotpathgen update it"},
		{"dir", "p/q", "p/q is a read-only directory; make it writable to let hotpathgen update it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := plainModule(t)
			path := filepath.Join(dir, filepath.FromSlash(tc.path))
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, st.Mode().Perm()&^0o222); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(path, st.Mode().Perm()) })
			before := snapshotTree(t, dir)
			res := mustRun(t, dir)
			if len(res.Changes) != 4 {
				t.Fatalf("want 4 changes (2 twins, 2 constraints), got %d", len(res.Changes))
			}
			err = Apply(res.Changes)
			if err == nil || err.Error() != filepath.Join(dir, filepath.FromSlash(tc.want)) {
				t.Errorf("Apply: %v\nwant %s", err, tc.want)
			}
			if diff := cmp.Diff(before, snapshotTree(t, dir)); diff != "" {
				t.Errorf("files changed:\n%s", diff)
			}
			code, stdout, stderr := runHotpathgen(t, dir, "./...")
			if code != 2 || stdout != "" || stderr != "hotpathgen: "+tc.want+"\n" {
				t.Errorf("hotpathgen: exit %d, stdout %q, stderr %q; want exit 2 and %q", code, stdout, stderr, tc.want)
			}
			if diff := cmp.Diff(before, snapshotTree(t, dir)); diff != "" {
				t.Errorf("files changed:\n%s", diff)
			}
		})
	}
}

// TestApplyChangedSinceRun: a file deleted, edited or created between the
// load and the write stops Apply, which then changes nothing.
func TestApplyChangedSinceRun(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(dir string) error
		path   string
	}{
		{"source deleted", func(dir string) error { return os.Remove(filepath.Join(dir, "p", "q", "q.go")) }, "p/q/q.go"},
		{"source edited", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "p", "q", "q.go"), []byte("package q\n\n//hotpath:measure\nfunc G() { println() }\n"), 0o644)
		}, "p/q/q.go"},
		{"twin created", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "p", "q", "q_hotpath.go"), []byte("package q\n"), 0o644)
		}, "p/q/q_hotpath.go"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := plainModule(t)
			res := mustRun(t, dir)
			if err := tc.change(dir); err != nil {
				t.Fatal(err)
			}
			before := snapshotTree(t, dir)
			err := Apply(res.Changes)
			want := filepath.Join(dir, filepath.FromSlash(tc.path)) + " changed while hotpathgen was running; run it again"
			if err == nil || err.Error() != want {
				t.Errorf("Apply: %v\nwant %s", err, want)
			}
			if diff := cmp.Diff(before, snapshotTree(t, dir)); diff != "" {
				t.Errorf("files changed:\n%s", diff)
			}
		})
	}
}

// TestApplyConcurrent applies two results of the same package at once,
// many times: the tree ends as one generate leaves it, with no temporary
// file left behind, and no Apply fails.
func TestApplyConcurrent(t *testing.T) {
	dir := plainModule(t)
	base := snapshotTree(t, dir)
	r1, r2 := mustRun(t, dir), mustRun(t, dir)
	if err := Apply(r1.Changes); err != nil {
		t.Fatal(err)
	}
	want := snapshotTree(t, dir)
	for i := 0; i < 50; i++ {
		restoreTree(t, dir, base)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for j, r := range []*Result{r1, r2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[j] = Apply(r.Changes)
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		if diff := cmp.Diff(want, snapshotTree(t, dir)); diff != "" {
			t.Fatalf("round %d: tree differs from one generate (-want +got):\n%s", i, diff)
		}
	}
}

// TestGenerateConcurrentProcesses runs two hotpathgen processes on the
// same packages at once: both succeed, or one reports that a file changed
// under it (exit 2) and wrote nothing; the tree is then what one run
// leaves, with no temporary files.
func TestGenerateConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts hotpathgen processes")
	}
	dir := plainModule(t)
	base := snapshotTree(t, dir)
	if code, _, stderr := runHotpathgen(t, dir, "./..."); code != 0 {
		t.Fatalf("hotpathgen: exit %d\n%s", code, stderr)
	}
	want := snapshotTree(t, dir)
	for i := 0; i < 3; i++ {
		restoreTree(t, dir, base)
		var wg sync.WaitGroup
		codes := make([]int, 2)
		stderrs := make([]string, 2)
		for j := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[j], _, stderrs[j] = runHotpathgen(t, dir, "./...")
			}()
		}
		wg.Wait()
		for j := range 2 {
			if codes[j] != 0 && !(codes[j] == 2 && strings.Contains(stderrs[j], "changed while hotpathgen was running")) {
				t.Errorf("round %d, process %d: exit %d\n%s", i, j, codes[j], stderrs[j])
			}
		}
		if diff := cmp.Diff(want, snapshotTree(t, dir)); diff != "" {
			t.Fatalf("round %d: tree differs from one generate (-want +got):\n%s", i, diff)
		}
	}
}

// restoreTree makes dir hold exactly the files of snap.
func restoreTree(t *testing.T, dir string, snap map[string][]byte) {
	t.Helper()
	for name := range snapshotTree(t, dir) {
		if _, ok := snap[name]; !ok {
			if err := os.Remove(filepath.Join(dir, filepath.FromSlash(name))); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, data := range snap {
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(name)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// hotpathgenBinary builds the command once per test process.
func hotpathgenBinary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hotpathgen-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "hotpathgen")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/hotpathgen")
		cmd.Dir = repoRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("build hotpathgen: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// runHotpathgen runs the command in dir and returns its exit code and
// output.
func runHotpathgen(t testing.TB, dir string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(hotpathgenBinary(t), args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, stdout.String(), stderr.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), stdout.String(), stderr.String()
	}
	t.Fatalf("hotpathgen %s: %v", strings.Join(args, " "), err)
	return 0, "", ""
}

// TestMain removes the hotpathgen binary and the benchmark trees that
// tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	if benchBase != "" {
		os.RemoveAll(benchBase)
	}
	os.Exit(code)
}

// TestConstraintErrors: build constraints hotpathgen cannot combine with
// its own are errors at the constraint's line; a //go:build line that
// does not parse is the go command's error, at its file.
func TestConstraintErrors(t *testing.T) {
	dir := t.TempDir()
	writeBadModule(t, dir, []badCase{
		{name: "plusbuild", files: `
-- p.go --
// Copyright line.

// +build linux hotpath

package plusbuild

//hotpath:measure
func P() {}
`},
		{name: "mentions", files: `
-- m.go --
//go:build hotpath || linux

package mentions

//hotpath:measure
func M() {}
`},
		{name: "halfbroken", files: `
-- a.go --
package halfbroken

//hotpath:measure
func A() {}
-- b.go --
//go:build linux &&

package halfbroken
`},
		{name: "unparsable", files: `
-- u.go --
//go:build linux &&

package unparsable

//hotpath:measure
func U() {}
`},
	})
	before := snapshotTree(t, dir)
	for _, tc := range []struct{ pattern, want string }{
		{"./plusbuild", "plusbuild/p.go:3:1: the // +build lines already mention the \"hotpath\" tag, which hotpathgen manages; remove it from the file\n"},
		{"./mentions", "mentions/m.go:1:1: the //go:build line already mentions the \"hotpath\" tag, which hotpathgen manages; remove it from the file\n"},
		{"./halfbroken", "halfbroken/b.go: parsing //go:build line: unexpected end of expression (the package must build before hotpathgen can instrument it)\n"},
	} {
		res, err := Run(Config{Dir: dir, Patterns: []string{tc.pattern}})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, relErrors(dir, res.Errors)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.pattern, diff)
		}
	}
	// The go command lists no file of the package at all: it cannot be
	// loaded (exit 2), and the message names the file.
	_, err := Run(Config{Dir: dir, Patterns: []string{"./unparsable"}})
	var le *LoadError
	want := "load packages: " + filepath.Join(dir, "unparsable", "u.go") + ": parsing //go:build line: unexpected end of expression"
	if !errors.As(err, &le) || err.Error() != want {
		t.Errorf("Run: %v\nwant %s", err, want)
	}
	code, _, stderr := runHotpathgen(t, dir, "./unparsable")
	if code != 2 || stderr != "hotpathgen: load packages: unparsable/u.go: parsing //go:build line: unexpected end of expression\n" {
		t.Errorf("hotpathgen: exit %d, stderr %q", code, stderr)
	}
	if diff := cmp.Diff(before, snapshotTree(t, dir)); diff != "" {
		t.Errorf("files changed:\n%s", diff)
	}
}

package hotpathimpl_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestTwinInlines builds a twin's measured function in a package that,
// as twins do, imports hotpathimpl and not the core, and checks that the
// compiler inlines the methods it calls on every call: Skip (an untimed
// call in estimated sampling then makes no call but the runtime's random
// draw), Timed, and End into the deferred call (a call sampled out
// returns without another call). They inline only because hotpathimpl
// refers to them (inlineRoots).
func TestTwinInlines(t *testing.T) {
	gocmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command(gocmd, "build", "-o", "/dev/null", "-gcflags=-m", "./testdata/twinshape").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, want := range []string{
		"inlining call to core.(*Func).Skip",
		"inlining call to core.Span.Timed",
		"inlining call to core.Span.End",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("no %q in the compiler's output:\n%s", want, out)
		}
	}
}

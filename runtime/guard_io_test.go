package hotpath

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotpath-go/hotpath/runtime/internal/core"
)

// captureStd runs fn with os.Stdout and os.Stderr redirected to pipes and
// returns what it wrote to each.
func captureStd(t *testing.T, fn func()) (stdout, stderr string) {
	t.Helper()
	read := func(f **os.File) (restore func() string) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		old := *f
		*f = w
		done := make(chan string)
		go func() {
			b, _ := io.ReadAll(r)
			done <- string(b)
		}()
		return func() string {
			*f = old
			w.Close()
			s := <-done
			r.Close()
			return s
		}
	}
	restoreOut := read(&os.Stdout)
	restoreErr := read(&os.Stderr)
	defer func() {
		stdout, stderr = restoreOut(), restoreErr()
	}()
	fn()
	return
}

func TestEnabledFollowsTheBuildTag(t *testing.T) {
	if Enabled != tagged {
		t.Fatalf("Enabled = %v in a build with the hotpath tag %v", Enabled, tagged)
	}
}

// TestGuardDefaultOutput: a guard given no format or destination prints its
// table on standard output in a tagged build, and nothing in an untagged
// one (its table could only say that no calls were recorded); told a
// format, it writes in either build.
func TestGuardDefaultOutput(t *testing.T) {
	ftClearEnv(t)
	stdout, stderr := captureStd(t, func() {
		if err := Start(Options{Name: "default"}).Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	if stderr != "" {
		t.Errorf("standard error: %q", stderr)
	}
	switch {
	case Enabled && !strings.Contains(stdout, "Function"):
		t.Errorf("tagged build: standard output %q, want the report's table", stdout)
	case !Enabled && stdout != "":
		t.Errorf("untagged build: standard output %q, want nothing", stdout)
	}

	for _, c := range []struct {
		name string
		opts Options
		env  string
	}{
		{"Options.Format", Options{Format: FormatJSON}, ""},
		{"HOTPATH_FORMAT", Options{}, "json"},
	} {
		t.Setenv("HOTPATH_FORMAT", c.env)
		stdout, _ := captureStd(t, func() { Start(c.opts).Stop() })
		if !strings.HasPrefix(stdout, `{"schema"`) {
			t.Errorf("%s set: standard output %q, want a JSON report", c.name, stdout)
		}
	}
	t.Setenv("HOTPATH_FORMAT", "")
	var b strings.Builder
	Start(Options{Writer: &b}).Stop()
	if !strings.Contains(b.String(), noCalls) {
		t.Errorf("with a Writer: %q, want the table", b.String())
	}
}

// TestStopPrintsWriteError: "defer g.Stop()" drops Stop's error, so a
// report that cannot be written is also said on standard error.
func TestStopPrintsWriteError(t *testing.T) {
	ftClearEnv(t)
	out := filepath.Join(t.TempDir(), "missing", "r.json")
	var err error
	_, stderr := captureStd(t, func() {
		err = Start(Options{Output: out, Format: FormatJSON}).Stop()
	})
	if err == nil || !strings.Contains(err.Error(), "hotpath: write report") {
		t.Errorf("Stop: %v", err)
	}
	if !strings.Contains(stderr, "hotpath: write report") || !strings.Contains(stderr, "missing") {
		t.Errorf("standard error %q, want the write error", stderr)
	}
}

// TestFocusMatchesRowAsPrinted: a block's row prints as "label @
// pkg.Func", and the focus matches that text, its parent part included.
func TestFocusMatchesRowAsPrinted(t *testing.T) {
	ftClearEnv(t)
	blk := &core.Func{Name: "focusblk." + t.Name(), Kind: core.KindBlock, Parent: "example.com/x/focuspkg.Outer", File: "x.go", Line: 3}
	other := &core.Func{Name: "focusother." + t.Name(), Kind: core.KindBlock, Parent: "example.com/x/focuspkg.Else", File: "x.go", Line: 9}
	for _, focus := range []string{"@ focuspkg.Outer", "/^focusblk.* @ focuspkg\\.Outer$/"} {
		g := Start(Options{Format: FormatNone, Focus: focus})
		ftRecord(blk, 10)
		ftRecord(other, 10)
		g.Stop()
		rep := g.Report()
		if len(rep.Functions) != 1 || rep.Functions[0].Name != blk.Name {
			t.Errorf("focus %q kept %+v, want the block of focuspkg.Outer alone", focus, rep.Functions)
		}
	}
}

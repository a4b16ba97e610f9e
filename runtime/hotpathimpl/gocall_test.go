package hotpathimpl

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hotpath-go/hotpath/runtime/internal/core"
)

// TestGoPanicUnchanged runs a program (this test binary) whose watched
// goroutine panics, and the same program with a raw go statement: the
// panic's message, the stack's top frames and the exit status are the
// same; the watched one counted the panic before the program died.
func TestGoPanicUnchanged(t *testing.T) {
	if mode := os.Getenv("HOTPATH_TEST_GO_PANIC"); mode != "" {
		goPanicProgram(mode, os.Getenv("HOTPATH_TEST_GO_PANIC_OUT"))
		return
	}
	run := func(mode string) (stderr, counts string) {
		out := filepath.Join(t.TempDir(), "counts")
		cmd := exec.Command(os.Args[0], "-test.run=^TestGoPanicUnchanged$", "-test.count=1")
		cmd.Env = append(os.Environ(), "HOTPATH_TEST_GO_PANIC="+mode, "HOTPATH_TEST_GO_PANIC_OUT="+out, "GOTRACEBACK=single")
		var buf bytes.Buffer
		cmd.Stderr = &buf
		err := cmd.Run()
		ee, isExit := err.(*exec.ExitError)
		if !isExit || ee.ExitCode() != 2 {
			t.Fatalf("%s program: %v, want exit status 2\nstderr:\n%s", mode, err, buf.String())
		}
		b, _ := os.ReadFile(out)
		return buf.String(), string(b)
	}
	rawErr, rawCounts := run("raw")
	watchedErr, watchedCounts := run("watched")
	if rawCounts != "" {
		t.Errorf("raw program counted: %q", rawCounts)
	}
	if want := "started=1 finished=0 panicked=1 alive=0 lifetimes=1"; watchedCounts != want {
		t.Errorf("watched program counted %q, want %q", watchedCounts, want)
	}
	raw, watched := panicTop(rawErr), panicTop(watchedErr)
	if len(raw) < 5 {
		t.Fatalf("raw program's standard error has no panic trace:\n%s", rawErr)
	}
	if diff := cmp.Diff(raw, watched); diff != "" {
		t.Errorf("top of the panic trace (-raw +watched):\n%s\nraw:\n%s\nwatched:\n%s", diff, rawErr, watchedErr)
	}
	if rc, wc := createdBy(rawErr), createdBy(watchedErr); rc == "" || rc != wc {
		t.Errorf("created by %q (raw), %q (watched)", rc, wc)
	}
}

// TestGoNilUnchanged runs programs whose go statement calls a nil
// function value, raw and watched. go f() of a nil func() ends in the
// calling goroutine with the runtime's fatal error; go f(1, done) calls
// the nil function in the new goroutine (the compiler wraps the call in a
// closure), a nil dereference that the watched site counts as a panic.
// Either way the exit status is 2.
func TestGoNilUnchanged(t *testing.T) {
	if mode := os.Getenv("HOTPATH_TEST_GO_NIL"); mode != "" {
		var f0 func()
		var f2 func(int, chan<- struct{})
		done := make(chan struct{})
		s := &core.GoSite{Label: "nil", Func: "example.com/p.main", Site: "example.com/p/main.go:1"}
		core.SetGoPanicHook(func(s *core.GoSite) {
			fmt.Printf("panicked=%d\n", s.State().Snapshot().Panicked())
		})
		switch mode {
		case "raw0":
			go f0()
		case "watched0":
			go GoFunc0R0(s, f0).Run()
		case "raw2":
			go f2(1, done)
		case "watched2":
			go GoFunc2R0(s, f2).Run(1, done)
		}
		fmt.Println("after the go statement")
		<-done
		return
	}
	for _, c := range []struct{ mode, stderr, stdout string }{
		{"raw0", "fatal error: go of nil func value", ""},
		{"watched0", "fatal error: go of nil func value", ""},
		{"raw2", "panic: runtime error: invalid memory address or nil pointer dereference", ""},
		{"watched2", "panic: runtime error: invalid memory address or nil pointer dereference", "panicked=1\n"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestGoNilUnchanged$", "-test.count=1")
		cmd.Env = append(os.Environ(), "HOTPATH_TEST_GO_NIL="+c.mode, "GOTRACEBACK=single")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			t.Fatalf("%s program: %v, want exit status 2\nstderr:\n%s", c.mode, err, stderr.String())
		}
		if first, _, _ := strings.Cut(stderr.String(), "\n"); first != c.stderr {
			t.Errorf("%s program's standard error begins %q, want %q", c.mode, first, c.stderr)
		}
		// The new goroutine of raw2 and watched2 may panic before or after
		// the caller prints; raw0 and watched0 must die before it prints.
		got := strings.Replace(stdout.String(), "after the go statement\n", "", 1)
		if strings.HasSuffix(c.mode, "0") {
			got = stdout.String()
		}
		if got != c.stdout {
			t.Errorf("%s program printed %q, want %q", c.mode, got, c.stdout)
		}
	}
}

// goPanicValue is what the programs of TestGoPanicUnchanged panic with: a
// value of a type of their own, printed by its Error method.
type goPanicValue struct{ n int }

func (v *goPanicValue) Error() string { return fmt.Sprintf("worker %d failed", v.n) }

//go:noinline
func goPanicWorker(n int, done chan<- struct{}) {
	defer close(done)
	if n > 0 {
		panic(&goPanicValue{n})
	}
}

// goPanicProgram is the program of TestGoPanicUnchanged. Its watched mode
// is written as hotpathgen rewrites "go goPanicWorker(n, done)"; the
// panic hook writes the site's counts to out before the program dies.
func goPanicProgram(mode, out string) {
	n, done := 7, make(chan struct{})
	switch mode {
	case "raw":
		go goPanicWorker(n, done)
	case "watched":
		s := &core.GoSite{Label: "crash", Func: "example.com/p.main", Site: "example.com/p/main.go:1"}
		core.SetGoPanicHook(func(s *core.GoSite) {
			c := s.State().Snapshot()
			life := c.Lifetimes()
			msg := fmt.Sprintf("started=%d finished=%d panicked=%d alive=%d lifetimes=%d",
				c.Started(), c.Finished(), c.Panicked(), c.Alive()-1, life.Count()) // alive drops after the hook
			_ = os.WriteFile(out, []byte(msg), 0o644)
		})
		go GoFunc2R0(s, goPanicWorker).Run(n, done)
	}
	<-done
	select {} // the panic ends the program
}

var (
	goroutineLine = regexp.MustCompile(`^goroutine \d+ \[`)
	pcOffset      = regexp.MustCompile(` \+0x[0-9a-f]+$`)
	argWords      = regexp.MustCompile(`\((0x[0-9a-f]+\??(, )?|\.\.\.)*\)$`)
)

// panicTop returns the panic message and the frames of the panicking
// goroutine down to the worker function, the goroutine number, program
// counter offsets and argument words left out.
func panicTop(stderr string) []string {
	var top []string
	for line := range strings.Lines(stderr) {
		line = strings.TrimRight(line, "\n")
		line = goroutineLine.ReplaceAllString(line, "goroutine N [")
		line = pcOffset.ReplaceAllString(line, "")
		line = argWords.ReplaceAllString(line, "(...)")
		top = append(top, line)
		if strings.HasPrefix(line, "\t") && len(top) > 1 && strings.Contains(top[len(top)-2], "goPanicWorker(") {
			break
		}
	}
	return top
}

// createdBy returns the function named on the "created by" line.
func createdBy(stderr string) string {
	for line := range strings.Lines(stderr) {
		if rest, ok := strings.CutPrefix(line, "created by "); ok {
			name, _, _ := strings.Cut(rest, " in goroutine")
			return strings.TrimSpace(name)
		}
	}
	return ""
}

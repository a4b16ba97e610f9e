package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotpath-go/hotpath/runtime/hotpathimpl"
	"github.com/hotpath-go/hotpath/runtime/live"
)

func TestTopUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	var stdout, stderr bytes.Buffer
	code := run([]string{"top", addr}, &stdout, &stderr)
	want := "hotpathgen top: cannot reach the live view at http://" + addr + ": "
	if code != exitTrouble || !strings.HasPrefix(stderr.String(), want) || !strings.Contains(stderr.String(), "connection refused") ||
		!strings.Contains(stderr.String(), "HOTPATH_HTTP="+addr) {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 2 and %q…", code, stderr.String(), want)
	}

	// A server that is not a live view.
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	stderr.Reset()
	code = run([]string{"top", srv.URL}, &stdout, &stderr)
	if code != exitTrouble || !strings.Contains(stderr.String(), "404 Not Found: no hotpath live view at "+srv.URL) {
		t.Errorf("not a live view: exit %d, stderr %q", code, stderr.String())
	}

	stderr.Reset()
	if code := run([]string{"top", "ftp://example.com"}, &stdout, &stderr); code != exitTrouble ||
		stderr.String() != "hotpathgen top: bad URL \"ftp://example.com\": want http://HOST:PORT\n" {
		t.Errorf("bad URL: exit %d, stderr %q", code, stderr.String())
	}
}

func TestTopToken(t *testing.T) {
	t.Setenv("HOTPATH_HTTP_TOKEN", "tok")
	mux := http.NewServeMux()
	live.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	t.Setenv("HOTPATH_HTTP_TOKEN", "")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"top", srv.URL}, &stdout, &stderr); code != exitTrouble ||
		!strings.Contains(stderr.String(), "401 Unauthorized: the live view needs a token: set HOTPATH_HTTP_TOKEN") {
		t.Errorf("without the token: exit %d, stderr %q", code, stderr.String())
	}
}

var (
	topAlpha = hotpathimpl.Func{Name: "toptest.alpha", File: "top_test.go", Line: 1}
	topBeta  = hotpathimpl.Func{Name: "toptest.beta", File: "top_test.go", Line: 2}
	// A go statement and a mutex, as generated code declares them.
	topWorker = hotpathimpl.GoSite{Label: "toptest_worker", Func: "example.com/toptest.run", Site: "example.com/toptest/top_test.go:3"}
	topIdler  = hotpathimpl.GoSite{Label: "toptest_idler", Func: "example.com/toptest.run", Site: "example.com/toptest/top_test.go:4"}
	topMu     = hotpathimpl.MutexSite{Label: "toptest_mu", Type: "sync.Mutex", Site: "example.com/toptest/top_test.go:5"}
)

// tmux drives a terminal: a private server, one pane.
type tmux struct {
	t      *testing.T
	socket string
}

func (x *tmux) run(args ...string) string {
	x.t.Helper()
	cmd := exec.Command("tmux", append([]string{"-L", x.socket, "-f", "/dev/null"}, args...)...)
	cmd.Env = append(os.Environ(), "TERM=xterm-256color")
	out, err := cmd.CombinedOutput()
	if err != nil {
		x.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// waitFor captures the pane until ok accepts it.
func (x *tmux) waitFor(what string, ok func(string) bool) string {
	x.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		screen := x.run("capture-pane", "-p", "-t", "top")
		if ok(screen) {
			return screen
		}
		if time.Now().After(deadline) {
			x.t.Fatalf("the terminal never showed %s; it shows:\n%s", what, screen)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestTopInTerminal runs "hotpathgen top" in a tmux pane against a live
// handler: it shows the measured rows, sorts, filters, switches tables and
// quits with q.
func TestTopInTerminal(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed: the terminal test needs it")
	}
	bin := filepath.Join(t.TempDir(), "hotpathgen")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	// beta: few long calls, the largest total; alpha: many short calls.
	// beta's total (1 s) stays ahead of alpha's even when a loaded
	// machine stretches some of alpha's calls.
	for range 10 {
		s := topBeta.Begin()
		time.Sleep(100 * time.Millisecond)
		s.End()
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			for range 200 {
				topAlpha.Begin().End()
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()
	// Goroutines: 3 workers that ended, then 2 idlers that run until the
	// test ends; a mutex locked 7 times.
	var ended sync.WaitGroup
	for range 3 {
		ended.Add(1)
		go hotpathimpl.GoFunc0R0(&topWorker, ended.Done).Run()
	}
	ended.Wait()
	var idlers sync.WaitGroup
	for range 2 {
		idlers.Add(1)
		go hotpathimpl.GoFunc0R0(&topIdler, func() {
			idlers.Done()
			<-stop
		}).Run()
	}
	idlers.Wait()
	var mu sync.Mutex
	for range 7 {
		hotpathimpl.MutexLock(&topMu, &mu)
		hotpathimpl.MutexUnlock(&topMu, &mu)
	}
	mux := http.NewServeMux()
	live.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	x := &tmux{t: t, socket: fmt.Sprintf("hotpathtop%d", os.Getpid())}
	x.run("new-session", "-d", "-s", "top", "-x", "150", "-y", "30",
		fmt.Sprintf("%s top %s; echo TOP-EXITED $?; sleep 60", bin, srv.URL))
	defer exec.Command("tmux", "-L", x.socket, "kill-server").Run()

	order := func(screen, first, second string) bool {
		i, j := strings.Index(screen, first), strings.Index(screen, second)
		return i >= 0 && j >= 0 && i < j
	}
	screen := x.waitFor("both rows, beta (largest total) first", func(s string) bool {
		return order(s, "toptest.beta", "toptest.alpha") && strings.Contains(s, "Calls/s")
	})
	if out := os.Getenv("HOTPATH_TOP_SCREENSHOT"); out != "" {
		// The terminal as text (docs/LIVE.md shows one).
		if err := os.WriteFile(out, []byte(strings.TrimRight(screen, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	x.run("send-keys", "-t", "top", "s") // sort by calls
	x.waitFor("alpha first after s (calls)", func(s string) bool { return order(s, "toptest.alpha", "toptest.beta") })

	x.run("send-keys", "-t", "top", "/")
	x.run("send-keys", "-t", "top", "-l", "beta")
	x.run("send-keys", "-t", "top", "Enter")
	x.waitFor("only beta after /beta", func(s string) bool {
		return strings.Contains(s, "toptest.beta") && !strings.Contains(s, "toptest.alpha") && strings.Contains(s, "filter: beta")
	})
	x.run("send-keys", "-t", "top", "/")
	x.run("send-keys", "-t", "top", "C-u")
	x.run("send-keys", "-t", "top", "-l", "/^toptest\\.(alpha|gamma)$/")
	x.run("send-keys", "-t", "top", "Enter")
	x.waitFor("only alpha after a regexp filter", func(s string) bool {
		return strings.Contains(s, "toptest.alpha") && !strings.Contains(s, "toptest.beta")
	})
	x.run("send-keys", "-t", "top", "Escape")
	x.waitFor("both rows after esc", func(s string) bool { return order(s, "toptest.alpha", "toptest.beta") })

	x.run("send-keys", "-t", "top", "Tab")
	x.waitFor("the channels table", func(s string) bool {
		return strings.Contains(s, "Channel") && strings.Contains(s, "Max depth") && !strings.Contains(s, "toptest.alpha")
	})
	x.run("send-keys", "-t", "top", "Tab")
	x.waitFor("the allocations table", func(s string) bool { return strings.Contains(s, "allocation mode is off") })

	// The goroutines table: rows by started (3 workers, then 2 idlers);
	// s sorts by alive, which puts the idlers first.
	x.run("send-keys", "-t", "top", "Tab")
	goRow := regexp.MustCompile(`toptest_worker +3 +0 +[0-9]+ +0 `)
	x.waitFor("the goroutines table, worker (3 started, 0 alive) first", func(s string) bool {
		return strings.Contains(s, "Goroutine") && strings.Contains(s, "Started/s") && goRow.MatchString(s) &&
			order(s, "toptest_worker", "toptest_idler") && regexp.MustCompile(`toptest_idler +2 +2 `).MatchString(s)
	})
	x.run("send-keys", "-t", "top", "s") // sort by alive
	x.waitFor("idler first after s (alive)", func(s string) bool { return order(s, "toptest_idler", "toptest_worker") })
	x.run("send-keys", "-t", "top", "/")
	x.run("send-keys", "-t", "top", "-l", "worker")
	x.run("send-keys", "-t", "top", "Enter")
	x.waitFor("only the worker after /worker", func(s string) bool {
		return strings.Contains(s, "toptest_worker") && !strings.Contains(s, "toptest_idler")
	})
	x.run("send-keys", "-t", "top", "Escape")

	// The mutexes table.
	x.run("send-keys", "-t", "top", "Tab")
	muRow := regexp.MustCompile(`toptest_mu +7 +0 `)
	x.waitFor("the mutexes table with toptest_mu locked 7 times", func(s string) bool {
		return strings.Contains(s, "Mutex") && strings.Contains(s, "Hold P99") && muRow.MatchString(s) && !strings.Contains(s, "toptest_worker")
	})
	x.run("send-keys", "-t", "top", "Tab")
	x.waitFor("the functions table again", func(s string) bool { return strings.Contains(s, "toptest.alpha") })

	x.run("send-keys", "-t", "top", "q")
	x.waitFor("top exiting with status 0", func(s string) bool { return strings.Contains(s, "TOP-EXITED 0") })
}

// TestTopSamplingLine: the status line says how calls are sampled, and
// that the counts are estimates when they are.
func TestTopSamplingLine(t *testing.T) {
	for _, c := range []struct {
		ev        live.Event
		want, not string
	}{
		{live.Event{SampleEvery: 1}, "", "one call in"},
		{live.Event{SampleEvery: 64}, "one call in 64 timed", "estimated"},
		{live.Event{SampleEvery: 64, CallsEstimated: true}, "one call in 64 timed · calls estimated (64 per timed call)", ""},
	} {
		m := newTopModel("http://127.0.0.1:1/debug/hotpath")
		ev := c.ev
		m.Update(eventMsg{ev: &ev})
		view := m.View()
		if c.want != "" && !strings.Contains(view, c.want) {
			t.Errorf("%+v: view lacks %q:\n%s", c.ev, c.want, view)
		}
		if c.not != "" && strings.Contains(view, c.not) {
			t.Errorf("%+v: view has %q:\n%s", c.ev, c.not, view)
		}
	}
}

//go:build !hotpath

package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	hotpath "github.com/hotpath-go/hotpath/runtime"
	"github.com/hotpath-go/hotpath/runtime/live"
)

// lockedBuffer is a bytes.Buffer the demo writes while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestListenAndHold: --listen serves the live view while the demo plays,
// and --hold keeps it up after the report, then it goes away.
func TestListenAndHold(t *testing.T) {
	clearHotpathEnv(t)
	t.Setenv("HOTPATH_HTTP_TOKEN", "")
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"--listen", "127.0.0.1:0", "--hold", "3s", "--format", "json"}, &stdout, &stderr)
	}()

	urlRe := regexp.MustCompile(`kithara-demo: live view at (http://127\.0\.0\.1:\d+/debug/hotpath/)\n`)
	var url string
	for deadline := time.Now().Add(10 * time.Second); url == ""; {
		if m := urlRe.FindStringSubmatch(stderr.String()); m != nil {
			url = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no live view address on stderr:\n%s", stderr.String())
		} else {
			time.Sleep(20 * time.Millisecond)
		}
	}
	getJSON := func(path string, v any) {
		t.Helper()
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %s %s", path, resp.Status, b)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	// The listener opens before the guard starts.
	var st live.Status
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		getJSON("status", &st)
		if st.Guards == 1 || time.Now().After(deadline) {
			break
		}
	}
	if st.Guards != 1 {
		t.Errorf("status while playing: %+v, want the demo's guard", st)
	}
	// After playback: the report is on stdout, and the view still answers.
	for !strings.Contains(stderr.String(), "playback ended; the live view stays up for 3s") {
		select {
		case code := <-done:
			t.Fatalf("demo ended (exit %d) without holding:\n%s", code, stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	var rep hotpath.Report
	getJSON("report", &rep)
	if hotpath.Enabled && rep.Func("main.open") == nil {
		t.Errorf("live report after playback has no main.open row (%d rows)", len(rep.Functions))
	}
	if !hotpath.Enabled && len(rep.Functions) != 0 {
		t.Errorf("untagged live report has %d rows", len(rep.Functions))
	}
	if _, err := hotpath.ReadReport(strings.NewReader(stdout.String())); err != nil {
		t.Errorf("stdout is not the report: %v", err)
	}
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("exit %d", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the demo did not end after --hold")
	}
	if resp, err := http.Get(url + "status"); err == nil {
		resp.Body.Close()
		t.Error("the live view still answers after the demo returned")
	}
	http.DefaultClient.CloseIdleConnections()
}

func TestListenErrors(t *testing.T) {
	clearHotpathEnv(t)
	t.Setenv("HOTPATH_HTTP_TOKEN", "")
	code, _, stderr := runDemo(t, "--listen", "192.0.2.1:6770")
	if code != exitFailed || !strings.Contains(stderr, `kithara-demo: --listen: hotpath: address "192.0.2.1:6770": live view not started: not a loopback address`) {
		t.Errorf("non-loopback --listen: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runDemo(t, "--hold", "5s")
	if code != exitUsage || !strings.Contains(stderr, "kithara-demo: --hold 5s: want a duration >= 0, with --listen") {
		t.Errorf("--hold without --listen: exit %d, stderr %q", code, stderr)
	}
}

//go:build hotpath

package main

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// TestListenServesMetrics: the instrumented demo's --listen serves the
// Prometheus exporter's /metrics while it plays, and the counts grow
// between two scrapes.
func TestListenServesMetrics(t *testing.T) {
	clearHotpathEnv(t)
	t.Setenv("HOTPATH_HTTP_TOKEN", "")
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"--listen", "127.0.0.1:0", "--hold", "1s", "--format", "json"}, &stdout, &stderr)
	}()
	addrRe := regexp.MustCompile(`live view at (http://127\.0\.0\.1:\d+)/debug/hotpath/\n`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == ""; time.Sleep(20 * time.Millisecond) {
		if m := addrRe.FindStringSubmatch(stderr.String()); m != nil {
			base = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no live view address on stderr:\n%s", stderr.String())
		}
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	callsRe := regexp.MustCompile(`(?m)^hotpath_function_calls_total\{function="github.com/hotpath-go/hotpath/kithara/decode\.\(\*Resampler\)\.process"\} (\d+)$`)
	scrape := func() (int, bool) {
		resp, err := client.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("/metrics: %s\n%s", resp.Status, body)
		}
		m := callsRe.FindSubmatch(body)
		if m == nil {
			return 0, false
		}
		n, _ := strconv.Atoi(string(m[1]))
		return n, true
	}
	// Two scrapes while it plays, the second with more calls.
	var first, last int
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		n, ok := scrape()
		switch {
		case ok && first == 0:
			first = n
		case ok && n > first:
			last = n
		}
		if last > 0 || time.Now().After(deadline) {
			break
		}
	}
	if first == 0 || last <= first {
		t.Errorf("Resampler.process calls over two scrapes: %d then %d, want growth while playing", first, last)
	}
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("exit %d\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the demo did not end")
	}
}

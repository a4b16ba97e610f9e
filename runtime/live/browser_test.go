package live_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// findBrowser returns a Chromium-family browser, or "".
func findBrowser() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// startExample builds examples/live with -tags hotpath, runs it with
// HOTPATH_HTTP on a free loopback port and returns the page's URL.
func startExample(t *testing.T, env ...string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "live-example")
	build := exec.Command("go", "build", "-tags", "hotpath", "-o", bin, "../../examples/live")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build examples/live: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "--for", "2m")
	cmd.Env = append(append(os.Environ(), "HOTPATH_HTTP=127.0.0.1:0", "HOTPATH_HTTP_TOKEN="), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("examples/live after interrupt: %v", err)
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Error("examples/live did not stop on interrupt")
		}
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "hotpath: live view at "); ok {
				urls <- u
			}
		}
	}()
	select {
	case u := <-urls:
		return u
	case <-time.After(30 * time.Second):
		t.Fatal("examples/live did not print the live view's address")
	}
	return ""
}

// TestPageInBrowser drives headless Chromium against a running
// instrumented program: the measured function's row appears, and its call
// count grows between two reads. HOTPATH_LIVE_SCREENSHOT=FILE.png saves a
// screenshot of the page (docs/live-page.png is one).
func TestPageInBrowser(t *testing.T) {
	browser := findBrowser()
	if browser == "" {
		t.Skip("no Chromium-family browser on PATH (chromium, chromium-browser, google-chrome): .ci/run installs Debian's chromium")
	}
	url := startExample(t)

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(browser),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 720),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	const cell = chromedp.CSS(`tr[data-name="main.checksum"] td.calls`)
	// cellText reads a cell's text in one evaluation in the page: the page
	// rebuilds its tables every second, so a node found by one DevTools call
	// may be gone by the next (chromedp.Text would query, then read).
	cellText := func(sel string) string {
		t.Helper()
		js := `(() => { const e = document.querySelector(` + strconv.Quote(sel) + `); return e ? e.textContent : null; })()`
		for range 50 {
			text, err := chromedp.Run(ctx, chromedp.Evaluate[*string](js))
			if err != nil {
				t.Fatalf("read %s: %v", sel, err)
			}
			if text != nil {
				return *text
			}
			if err := chromedp.Do(ctx, chromedp.Sleep(20*time.Millisecond)); err != nil {
				t.Fatal(err)
			}
		}
		t.Fatalf("no element %s on the page", sel)
		return ""
	}
	calls := func() int {
		t.Helper()
		text := cellText(string(cell))
		n, err := strconv.Atoi(strings.ReplaceAll(strings.TrimSpace(text), ",", ""))
		if err != nil {
			t.Fatalf("calls cell %q: %v", text, err)
		}
		return n
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(url),
		chromedp.WaitVisible(cell),
	); err != nil {
		t.Fatalf("the page at %s never showed main.checksum's row: %v", url, err)
	}
	first := calls()
	if first <= 0 {
		t.Fatalf("calls %d in the first read", first)
	}
	// Two updates later (one a second), with the rates and sparklines
	// of an interval.
	time.Sleep(2500 * time.Millisecond)
	second := calls()
	if second <= first {
		t.Errorf("calls did not grow: %d, then %d", first, second)
	}
	rate := cellText(`tr[data-name="main.checksum"] td.rate`)
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	if title != "hotpath live" || strings.TrimSpace(rate) == "" || strings.TrimSpace(rate) == "0.0" {
		t.Errorf("title %q, calls/s %q", title, rate)
	}

	// The goroutines and mutexes tables: the example's two go statements
	// (one goroutine each, alive) and the consumer's lock, taken once per
	// sum.
	for _, c := range []struct{ sel, want string }{
		{`#goroutines tr[data-name="producer"] td.started`, "1"},
		{`#goroutines tr[data-name="consumer"] td.alive`, "1"},
	} {
		if got := strings.TrimSpace(cellText(c.sel)); got != c.want {
			t.Errorf("%s: %q, want %q", c.sel, got, c.want)
		}
	}
	goRows := func() []string {
		t.Helper()
		names, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#goroutines tbody tr[data-name]")].map(r => r.dataset.name)`))
		if err != nil {
			t.Fatal(err)
		}
		return names
	}
	if got := goRows(); strings.Join(got, ",") != "consumer,producer" {
		t.Errorf("goroutine rows by label: %v", got)
	}
	// A second click on the sorted Goroutine column reverses it.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#goroutines th[data-key="goroutine"]`)), chromedp.Sleep(100*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if got := goRows(); strings.Join(got, ",") != "producer,consumer" {
		t.Errorf("goroutine rows by label, descending: %v", got)
	}
	locks, err := strconv.Atoi(strings.ReplaceAll(strings.TrimSpace(cellText(`#mutexes tr[data-name="consumed"] td.locks`)), ",", ""))
	if err != nil || locks <= 0 {
		t.Errorf("consumed mutex locks: %d, %v", locks, err)
	}
	if r := strings.TrimSpace(cellText(`#mutexes tr[data-name="consumed"] td.rate`)); r == "" || r == "0.0" {
		t.Errorf("consumed mutex locks/s: %q", r)
	}

	// Sorting: by total at first (flush waits, so it leads); a click on
	// Calls puts the function called most first.
	firstRow := func() string {
		t.Helper()
		name, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#functions tbody tr[data-name]").dataset.name`))
		if err != nil {
			t.Fatal(err)
		}
		return name
	}
	if got := firstRow(); got != "flush @ main.consume" {
		t.Errorf("first row by total: %q, want flush @ main.consume", got)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#functions th[data-key="calls"]`)), chromedp.Sleep(100*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if got := firstRow(); got != "main.checksum" {
		t.Errorf("first row by calls: %q, want main.checksum", got)
	}

	// The filter keeps the rows that match, as HOTPATH_FOCUS does.
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`#search`), "/^flush/"),
		chromedp.Sleep(100*time.Millisecond),
	); err != nil {
		t.Fatal(err)
	}
	names, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#functions tbody tr[data-name]")].map(r => r.dataset.name)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 1 || names[0] != "flush @ main.consume" {
		t.Errorf("filter /^flush/: rows %v", names)
	}

	if out := os.Getenv("HOTPATH_LIVE_SCREENSHOT"); out != "" {
		// Clear the filter (as typing would) and let the sparklines fill.
		clear := `{const s = document.getElementById("search"); s.value = ""; s.dispatchEvent(new Event("input")); true}`
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](clear)); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.Sleep(6*time.Second)); err != nil {
			t.Fatal(err)
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(out, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPageSamplingStatus runs the example with estimated sampling
// (HOTPATH_SAMPLE=~4): the page's status line says one call in 4 is timed
// and that the call counts are estimates.
func TestPageSamplingStatus(t *testing.T) {
	browser := findBrowser()
	if browser == "" {
		t.Skip("no Chromium-family browser on PATH (chromium, chromium-browser, google-chrome): .ci/run installs Debian's chromium")
	}
	url := startExample(t, "HOTPATH_SAMPLE=~4")
	actx, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(browser),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	const want = "one call in 4 timed \u00b7 calls estimated (4 per timed call)"
	js := `document.getElementById("status").textContent`
	var status string
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	for range 100 {
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatal(err)
		}
		if status = s; strings.Contains(status, want) {
			return
		}
		if err := chromedp.Do(ctx, chromedp.Sleep(100*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	}
	t.Errorf("status line %q, want it to contain %q", status, want)
}

package live_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	hotpath "github.com/hotpath-go/hotpath/runtime"
	"github.com/hotpath-go/hotpath/runtime/hotpathimpl"
	"github.com/hotpath-go/hotpath/runtime/internal/liveroutes"
	"github.com/hotpath-go/hotpath/runtime/live"
	"go.uber.org/goleak"
)

// Measured functions of the tests; each test uses its own, so counts do
// not mix.
var (
	fnReport = hotpathimpl.Func{Name: "livetest.report", File: "live_test.go", Line: 1}
	fnGuard  = hotpathimpl.Func{Name: "livetest.guard", File: "live_test.go", Line: 2}
	fnEvents = hotpathimpl.Func{Name: "livetest.events", File: "live_test.go", Line: 3}
	fnBlock  = hotpathimpl.Func{Name: "wait", Kind: hotpathimpl.KindBlock, Parent: "example.com/p.livetest", File: "live_test.go", Line: 4}
)

func init() {
	// A route an exporter would add: it must get the same checks.
	liveroutes.Add("GET /livetest/extra", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "extra")
	}))
}

func call(f *hotpathimpl.Func, n int) {
	for range n {
		f.Begin().End()
	}
}

// newServer serves a mux with the live view registered, on loopback.
func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	live.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, method, url string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	return do(t, "GET", url, nil)
}

func TestPage(t *testing.T) {
	srv := newServer(t)
	resp, body := get(t, srv.URL+"/debug/hotpath/")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("page: %s %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{"<table id=\"functions\"", "new EventSource(\"events?interval=1s\")", "id=\"search\""} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// Works offline: nothing is loaded from elsewhere.
	for _, bad := range []string{`src="http`, `href="http`, `@import`, `src="//`} {
		if strings.Contains(body, bad) {
			t.Errorf("page loads an external asset (%q)", bad)
		}
	}
	// Without the slash: a redirect to the page.
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r2, err := c.Get(srv.URL + "/debug/hotpath")
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode/100 != 3 || r2.Header.Get("Location") != "/debug/hotpath/" {
		t.Errorf("/debug/hotpath: %s to %q, want a redirect to /debug/hotpath/", r2.Status, r2.Header.Get("Location"))
	}
	if resp, _ := get(t, srv.URL+"/debug/hotpath/nothing"); resp.StatusCode != 404 {
		t.Errorf("unknown route: %s, want 404", resp.Status)
	}
}

func TestReport(t *testing.T) {
	srv := newServer(t)
	call(&fnReport, 7)
	resp, body := get(t, srv.URL+"/debug/hotpath/report")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("report: %s %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	rep, err := hotpath.ReadReport(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Schema != hotpath.SchemaVersion {
		t.Errorf("schema %d", rep.Schema)
	}
	if row := rep.Func("livetest.report"); row == nil || row.Calls != 7 {
		t.Fatalf("report row livetest.report: %+v, want 7 calls", row)
	}

	resp, body = get(t, srv.URL+"/debug/hotpath/report?format=table")
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") || !strings.Contains(body, "[hotpath] timing") ||
		!strings.Contains(body, "livetest.report") {
		t.Errorf("table report: %q\n%s", resp.Header.Get("Content-Type"), body)
	}
	if _, body = get(t, srv.URL+"/debug/hotpath/report?format=json-pretty"); !strings.Contains(body, "\n  \"schema\": 1") {
		t.Errorf("json-pretty report:\n%.200s", body)
	}
	for q, want := range map[string]string{
		"format=xml":  `bad format "xml": want json, json-pretty or table`,
		"since=noon":  `bad since "noon": want start (the default) or guard`,
		"since=guard": "no guard is running",
	} {
		resp, body := get(t, srv.URL+"/debug/hotpath/report?"+q)
		wantCode := 400
		if q == "since=guard" {
			wantCode = 404
		}
		if resp.StatusCode != wantCode || !strings.Contains(body, want) {
			t.Errorf("?%s: %s %q, want %d %q", q, resp.Status, body, wantCode, want)
		}
	}
}

func TestReportSinceGuard(t *testing.T) {
	srv := newServer(t)
	call(&fnGuard, 5) // before the guard: not in its window
	g := hotpath.Start(hotpath.Options{Name: "since-guard", Format: hotpath.FormatNone})
	call(&fnGuard, 3)
	_, body := get(t, srv.URL+"/debug/hotpath/report?since=guard")
	rep, err := hotpath.ReadReport(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Name != "since-guard" {
		t.Errorf("report name %q, want the guard's", rep.Name)
	}
	if row := rep.Func("livetest.guard"); row == nil || row.Calls != 3 {
		t.Errorf("guard window row: %+v, want 3 calls", row)
	}
	_, body = get(t, srv.URL+"/debug/hotpath/report")
	rep, _ = hotpath.ReadReport(strings.NewReader(body))
	if row := rep.Func("livetest.guard"); row == nil || row.Calls != 8 {
		t.Errorf("process window row: %+v, want 8 calls", row)
	}
	var st live.Status
	_, body = get(t, srv.URL+"/debug/hotpath/status")
	if err := json.Unmarshal([]byte(body), &st); err != nil || st.Guards != 1 {
		t.Errorf("status with a guard: %s (%v)", body, err)
	}
	g.Stop()
	if resp, _ := get(t, srv.URL+"/debug/hotpath/report?since=guard"); resp.StatusCode != 404 {
		t.Errorf("since=guard after Stop: %s, want 404", resp.Status)
	}
}

func TestStatus(t *testing.T) {
	srv := newServer(t)
	resp, body := get(t, srv.URL+"/debug/hotpath/status")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status: %s %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	var st live.Status
	if err := dec.Decode(&st); err != nil {
		t.Fatalf("status %s: %v", body, err)
	}
	for _, k := range []string{`"pid"`, `"uptime_ns"`, `"go_version"`, `"guards"`, `"alloc"`, `"sample"`} {
		if !strings.Contains(body, k) {
			t.Errorf("status lacks %s: %s", k, body)
		}
	}
	if st.PID != os.Getpid() || st.UptimeNS <= 0 || !strings.HasPrefix(st.GoVersion, "go") || st.Guards != 0 || st.Alloc || st.Sample != 1 {
		t.Errorf("status: %+v", st)
	}
}

// readEvent reads the next data line of an event stream.
func readEvent(t *testing.T, br *bufio.Reader) live.Event {
	t.Helper()
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("event stream: %v", err)
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(data))
		dec.DisallowUnknownFields() // live.Event documents every field
		var ev live.Event
		if err := dec.Decode(&ev); err != nil {
			t.Fatalf("event %s: %v", data, err)
		}
		return ev
	}
}

func findFunc(ev live.Event, display string) *live.Func {
	for i := range ev.Functions {
		if ev.Functions[i].Display == display {
			return &ev.Functions[i]
		}
	}
	return nil
}

func TestEvents(t *testing.T) {
	srv := newServer(t)
	call(&fnEvents, 1)
	call(&fnBlock, 1)
	resp, err := http.Get(srv.URL + "/debug/hotpath/events?interval=200ms")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %s %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	br := bufio.NewReader(resp.Body)
	first := readEvent(t, br)
	f0 := findFunc(first, "livetest.events")
	if first.IntervalNS != 0 || f0 == nil || f0.Calls != 1 || f0.Interval != (live.FuncInterval{}) {
		t.Fatalf("first event: interval %d, row %+v", first.IntervalNS, f0)
	}
	if b := findFunc(first, "wait @ p.livetest"); b == nil || b.Kind != "block" {
		t.Errorf("block row: %+v", b)
	}
	const k = 500
	call(&fnEvents, k)
	var sum uint64
	for n := 0; ; n++ {
		ev := readEvent(t, br)
		if ev.IntervalNS < int64(150*time.Millisecond) {
			t.Errorf("interval %v, asked for 200ms", time.Duration(ev.IntervalNS))
		}
		f := findFunc(ev, "livetest.events")
		sum += f.Interval.Calls
		if f.Interval.Calls > 0 && (f.Interval.CallsPerSec <= 0 || f.Interval.P99NS < f.Interval.P50NS) {
			t.Errorf("interval numbers: %+v", f.Interval)
		}
		if f.Calls == 1+k {
			break
		}
		if n > 10 {
			t.Fatalf("calls still %d after %d events", f.Calls, n)
		}
	}
	if sum != k {
		t.Errorf("interval calls add up to %d, want %d", sum, k)
	}

	for q, want := range map[string]string{
		"interval=50ms": `bad interval "50ms": the minimum is 100ms`,
		"interval=soon": `bad interval "soon"`,
	} {
		resp, body := get(t, srv.URL+"/debug/hotpath/events?"+q)
		if resp.StatusCode != 400 || !strings.Contains(body, want) {
			t.Errorf("?%s: %s %q, want 400 %q", q, resp.Status, body, want)
		}
	}
}

var routes = []string{
	"/debug/hotpath/", "/debug/hotpath/report", "/debug/hotpath/events", "/debug/hotpath/status", "/livetest/extra",
}

func TestMethods(t *testing.T) {
	srv := newServer(t)
	for _, route := range routes {
		for _, m := range []string{"POST", "PUT", "DELETE", "PATCH"} {
			resp, body := do(t, m, srv.URL+route, nil)
			if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD" || !strings.Contains(body, "read-only") {
				t.Errorf("%s %s: %s Allow %q %q", m, route, resp.Status, resp.Header.Get("Allow"), body)
			}
		}
	}
	if resp, body := get(t, srv.URL+"/livetest/extra"); resp.StatusCode != 200 || body != "extra" {
		t.Errorf("added route: %s %q", resp.Status, body)
	}
}

func TestHost(t *testing.T) {
	srv := newServer(t)
	for host, want := range map[string]int{
		"evil.example":       403,
		"evil.example:80":    403,
		"127.0.0.1.nip.io":   403,
		"192.0.2.1":          403,
		"localhost":          200,
		"LOCALHOST:6770":     200,
		"app.localhost:6770": 200,
		"127.0.0.1":          200,
		"127.5.6.7:1":        200,
		"[::1]:6770":         200,
	} {
		for _, route := range routes {
			if route == "/debug/hotpath/events" && want == 200 {
				continue // a stream; its status is checked in TestEvents
			}
			resp, body := do(t, "GET", srv.URL+route+"?interval=1s", map[string]string{"Host": host})
			if resp.StatusCode != want {
				t.Errorf("Host %q %s: %s, want %d", host, route, resp.Status, want)
			}
			if want == 403 && !strings.Contains(body, "is neither a loopback name or address nor this server's address") {
				t.Errorf("403 body %q", body)
			}
		}
	}
}

// TestHostOwnAddress: with a token, a listener on all interfaces accepts
// its own non-loopback address as Host.
func TestHostOwnAddress(t *testing.T) {
	var ip net.IP
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			ip = n.IP
			break
		}
	}
	if ip == nil {
		t.Skip("no non-loopback IPv4 address on this machine")
	}
	t.Setenv("HOTPATH_HTTP_TOKEN", "tok")
	s, err := live.Listen(net.JoinHostPort(ip.String(), "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	url := "http://" + s.Addr().String() + "/debug/hotpath/status"
	auth := map[string]string{"Authorization": "Bearer tok"}
	if resp, _ := do(t, "GET", url, auth); resp.StatusCode != 200 {
		t.Errorf("own address as Host: %s", resp.Status)
	}
	auth["Host"] = "attacker.example"
	if resp, _ := do(t, "GET", url, auth); resp.StatusCode != 403 {
		t.Errorf("foreign Host: %s", resp.Status)
	}
}

func TestToken(t *testing.T) {
	t.Setenv("HOTPATH_HTTP_TOKEN", "s3cret")
	srv := newServer(t)
	for _, route := range routes {
		for auth, want := range map[string]int{
			"":                200, // replaced below
			"Bearer s3cret":   200,
			"Bearer s3cre":    401,
			"Bearer s3cretX":  401,
			"bearer s3cret":   401,
			"Basic czNjcmV0":  401,
			"Bearer  s3cret ": 401,
		} {
			hdr := map[string]string{}
			if auth == "" {
				want = 401
			} else {
				hdr["Authorization"] = auth
			}
			if route == "/debug/hotpath/events" && want == 200 {
				continue
			}
			resp, body := do(t, "GET", srv.URL+route, hdr)
			if resp.StatusCode != want {
				t.Errorf("%s with %q: %s, want %d", route, auth, resp.Status, want)
			}
			if want == 401 && (resp.Header.Get("WWW-Authenticate") == "" || !strings.Contains(body, "Authorization: Bearer")) {
				t.Errorf("401 without a challenge or a clear body: %q", body)
			}
		}
	}
	// The Host check comes first, the method check before both.
	if resp, _ := do(t, "GET", srv.URL+"/debug/hotpath/status", map[string]string{"Host": "evil.example", "Authorization": "Bearer s3cret"}); resp.StatusCode != 403 {
		t.Errorf("foreign Host with the token: %s, want 403", resp.Status)
	}
	if resp, _ := do(t, "POST", srv.URL+"/debug/hotpath/status", nil); resp.StatusCode != 405 {
		t.Errorf("POST without the token: %s, want 405", resp.Status)
	}
}

func TestListenErrors(t *testing.T) {
	defer goleak.VerifyNone(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for addr, want := range map[string]string{
		busy.Addr().String():     "live view not started: listen tcp " + busy.Addr().String() + ": bind: address already in use",
		"6770":                   `hotpath: address "6770": live view not started: bad address (want HOST:PORT, e.g. 127.0.0.1:6770)`,
		"127.0.0.1:":             "bad address",
		"10.1.2.3:6770":          `hotpath: address "10.1.2.3:6770": live view not started: not a loopback address; set HOTPATH_HTTP_TOKEN`,
		":6770":                  "not a loopback address",
		"no-such-host.invalid:0": "not a loopback address",
		"127.0.0.1:99999":        "live view not started: listen tcp: address 99999: invalid port",
	} {
		s, err := live.Listen(addr)
		if err == nil {
			s.Close()
			t.Errorf("Listen(%q) succeeded", addr)
			continue
		}
		if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Listen(%q): %v\nwant one line with %q", addr, err, want)
		}
	}
}

// TestListenClose: Close ends open event streams and returns only when
// every handler has.
func TestListenClose(t *testing.T) {
	defer goleak.VerifyNone(t)
	s, err := live.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") || !strings.HasSuffix(s.URL(), "/debug/hotpath/") {
		t.Errorf("URL %q", s.URL())
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(s.URL() + "events")
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(resp.Body)
	readEvent(t, br)
	done := make(chan error, 1)
	go func() { done <- s.Close() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return with an event stream open")
	}
	if _, err := io.Copy(io.Discard, br); err == nil {
		// The stream ended; either way the body is done.
	}
	resp.Body.Close()
	if _, err := http.Get(s.URL()); err == nil {
		t.Error("server still answers after Close")
	}
}

// Sites of TestEventsGoroutinesMutexes, as generated code declares them.
var (
	goEvents  = hotpathimpl.GoSite{Label: "livetest_worker", Func: "example.com/p.livetest", Site: "example.com/p/live_test.go:10"}
	muEvents  = hotpathimpl.MutexSite{Label: "livetest_mu", Type: "sync.Mutex", Site: "example.com/p/live_test.go:11"}
	rwmEvents = hotpathimpl.MutexSite{Label: "livetest_rw", Type: "sync.RWMutex", Site: "example.com/p/live_test.go:12"}
)

func findGo(ev live.Event, label string) *live.Go {
	for i := range ev.Goroutines {
		if ev.Goroutines[i].Label == label {
			return &ev.Goroutines[i]
		}
	}
	return nil
}

func findMutex(ev live.Event, label string) *live.Mutex {
	for i := range ev.Mutexes {
		if ev.Mutexes[i].Label == label {
			return &ev.Mutexes[i]
		}
	}
	return nil
}

// startWorkers starts n goroutines at goEvents that run until release is
// closed, and returns once they all run.
func startWorkers(n int, release <-chan struct{}) {
	var running sync.WaitGroup
	running.Add(n)
	for range n {
		go hotpathimpl.GoFunc0R0(&goEvents, func() {
			running.Done()
			<-release
		}).Run()
	}
	running.Wait()
}

// TestEventsGoroutinesMutexes: the event stream has a row per
// //hotpath:go and //hotpath:mutex site, with the totals since the start
// and the interval's numbers.
func TestEventsGoroutinesMutexes(t *testing.T) {
	srv := newServer(t)
	// Before the stream: 3 goroutines ended, 2 still running; 4 locks of
	// the mutex, 2 write locks and 3 read locks of the RWMutex.
	var mu sync.Mutex
	var rw sync.RWMutex
	ended := make(chan struct{})
	close(ended)
	startWorkers(3, ended)
	held := make(chan struct{})
	startWorkers(2, held)
	for range 4 {
		hotpathimpl.MutexLock(&muEvents, &mu)
		hotpathimpl.MutexUnlock(&muEvents, &mu)
	}
	for range 2 {
		hotpathimpl.RWMutexLock(&rwmEvents, &rw)
		hotpathimpl.RWMutexUnlock(&rwmEvents, &rw)
	}
	for range 3 {
		hotpathimpl.RWMutexRLock(&rwmEvents, &rw)
		hotpathimpl.RWMutexRUnlock(&rwmEvents, &rw)
	}

	resp, err := http.Get(srv.URL + "/debug/hotpath/events?interval=200ms")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	// The 3 released goroutines end after their function returns: wait
	// for the event that has them ended.
	var first live.Event
	for n := 0; ; n++ {
		first = readEvent(t, br)
		if g := findGo(first, "livetest_worker"); g != nil && g.Finished == 3 {
			break
		}
		if n > 20 {
			t.Fatalf("goroutine row never had 3 finished: %+v", findGo(first, "livetest_worker"))
		}
	}
	g := findGo(first, "livetest_worker")
	if g.Func != "example.com/p.livetest" || g.Site != "example.com/p/live_test.go:10" || g.Started != 5 || g.Finished != 3 ||
		g.Panicked != 0 || g.Alive != 2 || g.PeakAlive < 2 || g.PeakAlive > 5 || g.LifetimeAvgNS <= 0 {
		t.Errorf("goroutine row: %+v", *g)
	}
	m := findMutex(first, "livetest_mu")
	if m == nil || m.Type != "sync.Mutex" || m.Site != "example.com/p/live_test.go:11" || m.RLock != nil ||
		m.Lock.Acquisitions != 4 || m.Lock.Contended != 0 || m.Lock.WaitNS != 0 || m.Lock.HoldNS <= 0 {
		t.Errorf("mutex row: %+v", m)
	}
	rwr := findMutex(first, "livetest_rw")
	if rwr == nil || rwr.Type != "sync.RWMutex" || rwr.RLock == nil || rwr.Lock.Acquisitions != 2 || rwr.RLock.Acquisitions != 3 ||
		rwr.Lock.Contended != 0 || rwr.RLock.Contended != 0 {
		t.Errorf("rwmutex row: %+v (rlock %+v)", rwr, rwr.RLock)
	}

	// In the stream: the 2 running goroutines end, 6 more locks.
	close(held)
	for range 6 {
		hotpathimpl.MutexLock(&muEvents, &mu)
		hotpathimpl.MutexUnlock(&muEvents, &mu)
	}
	var ivStarted, ivEnded, ivAcq uint64
	for n := 0; ; n++ {
		ev := readEvent(t, br)
		g, m := findGo(ev, "livetest_worker"), findMutex(ev, "livetest_mu")
		ivStarted += g.Interval.Started
		ivEnded += g.Interval.Ended
		ivAcq += m.Interval.Acquisitions
		if g.Interval.Ended > 0 && (g.Interval.LifetimeAvgNS <= 0 || g.Interval.LifetimeP99NS < g.Interval.LifetimeP50NS) {
			t.Errorf("goroutine interval: %+v", g.Interval)
		}
		if m.Interval.Acquisitions > 0 && (m.Interval.AcquisitionsPerS <= 0 || m.Interval.HoldP99NS <= 0) {
			t.Errorf("mutex interval: %+v", m.Interval)
		}
		if g.Finished == 5 && m.Lock.Acquisitions == 10 {
			if g.Alive != 0 || g.Started != 5 {
				t.Errorf("goroutine row at the end: %+v", *g)
			}
			break
		}
		if n > 20 {
			t.Fatalf("rows never reached 5 finished and 10 locks: %+v %+v", *g, *m)
		}
	}
	if ivStarted != 0 || ivEnded != 2 || ivAcq != 6 {
		t.Errorf("intervals: %d started, %d ended, %d locks; want 0, 2, 6", ivStarted, ivEnded, ivAcq)
	}
}

// TestEventsArrays: goroutines and mutexes are arrays, never null.
func TestEventsArrays(t *testing.T) {
	srv := newServer(t)
	resp, err := http.Get(srv.URL + "/debug/hotpath/events?interval=200ms")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			for _, k := range []string{`"goroutines":[`, `"mutexes":[`, `"functions":[`, `"channels":[`} {
				if !strings.Contains(data, k) {
					t.Errorf("event lacks %s: %s", k, data)
				}
			}
			return
		}
	}
}

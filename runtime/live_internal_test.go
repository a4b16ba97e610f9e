package hotpath

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/hotpath-go/hotpath/runtime/internal/core"
	"go.uber.org/goleak"
)

// withLiveEnv turns on HOTPATH_HTTP handling (as in a tagged build) and
// captures the listener's messages.
func withLiveEnv(t *testing.T, addr string) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	prevOn, prevLog := live.fromEnv, live.log
	live.fromEnv, live.log = true, &buf
	t.Cleanup(func() { live.fromEnv, live.log = prevOn, prevLog })
	t.Setenv("HOTPATH_HTTP", addr)
	return &buf
}

func liveURL(t *testing.T, log string) string {
	t.Helper()
	const prefix = "hotpath: live view at "
	line, ok := strings.CutPrefix(strings.TrimSpace(log), prefix)
	if !ok || strings.Contains(line, "\n") || !strings.HasPrefix(line, "http://127.0.0.1:") || !strings.HasSuffix(line, "/debug/hotpath/") {
		t.Fatalf("stderr %q, want one line %q<url>", log, prefix)
	}
	return line
}

// TestLiveFromEnv: the first guard starts the listener HOTPATH_HTTP names,
// a second one shares it, and it stops with the last guard.
func TestLiveFromEnv(t *testing.T) {
	defer goleak.VerifyNone(t)
	log := withLiveEnv(t, "127.0.0.1:0")
	g1 := Start(Options{Format: FormatNone})
	url := liveURL(t, log.String())
	g2 := Start(Options{Format: FormatNone})
	if strings.Count(log.String(), "live view at") != 1 {
		t.Errorf("a second guard started a second listener: %q", log.String())
	}
	status := func() (liveStatus, error) {
		tr := &http.Transport{DisableKeepAlives: true}
		resp, err := (&http.Client{Transport: tr}).Get(url + "status")
		if err != nil {
			return liveStatus{}, err
		}
		defer resp.Body.Close()
		var st liveStatus
		err = json.NewDecoder(resp.Body).Decode(&st)
		return st, err
	}
	if st, err := status(); err != nil || st.Guards != 2 {
		t.Fatalf("status with two guards: %+v, %v", st, err)
	}
	g1.Stop()
	if st, err := status(); err != nil || st.Guards != 1 {
		t.Fatalf("status after the first Stop: %+v, %v", st, err)
	}
	g2.Stop()
	g2.Stop() // again: nothing happens
	if _, err := status(); err == nil {
		t.Fatal("the listener still answers after the last guard stopped")
	}
	// A new first guard starts it again.
	log.Reset()
	g3 := Start(Options{Format: FormatNone})
	liveURL(t, log.String())
	g3.Stop()
}

// TestLiveFromEnvErrors: a busy port or a bad address is one line on
// standard error; the guard measures and reports as usual.
func TestLiveFromEnvErrors(t *testing.T) {
	defer goleak.VerifyNone(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	f := &core.Func{Name: "example.com/p.liveEnvErrors"}
	for addr, want := range map[string]string{
		busy.Addr().String(): `hotpath: HOTPATH_HTTP="` + busy.Addr().String() + `": live view not started: listen tcp ` + busy.Addr().String() + ": bind: address already in use\n",
		"localhost":          `hotpath: HOTPATH_HTTP="localhost": live view not started: bad address (want HOST:PORT, e.g. 127.0.0.1:6770): address localhost: missing port in address` + "\n",
		"0.0.0.0:0":          `hotpath: HOTPATH_HTTP="0.0.0.0:0": live view not started: not a loopback address; set HOTPATH_HTTP_TOKEN to serve it beyond this machine` + "\n",
	} {
		log := withLiveEnv(t, addr)
		g := Start(Options{Format: FormatNone})
		f.Begin().End()
		if err := g.Stop(); err != nil {
			t.Errorf("%s: Stop: %v", addr, err)
		}
		if r := g.Report().Func(f.Name); r == nil || r.Calls != 1 {
			t.Errorf("%s: the guard did not measure: %+v", addr, r)
		}
		if log.String() != want {
			t.Errorf("HOTPATH_HTTP=%s: stderr\n%q\nwant\n%q", addr, log.String(), want)
		}
	}
}

// TestLiveUntaggedIgnoresEnv: without -tags hotpath, HOTPATH_HTTP is
// ignored.
func TestLiveUntaggedIgnoresEnv(t *testing.T) {
	if liveFromEnv {
		t.Skip("tagged build")
	}
	t.Setenv("HOTPATH_HTTP", "127.0.0.1:0")
	var buf bytes.Buffer
	prev := live.log
	live.log = &buf
	defer func() { live.log = prev }()
	g := Start(Options{Format: FormatNone, Writer: io.Discard})
	g.Stop()
	if buf.Len() != 0 {
		t.Errorf("untagged build started the live view: %q", buf.String())
	}
}

// TestLiveQuantiles: the event stream's one-walk percentiles agree with
// Histogram.ValueAtQuantile.
func TestLiveQuantiles(t *testing.T) {
	f := &core.Func{Name: "example.com/p.liveQuantiles"}
	base := TakeSnapshot()
	sink := 0
	for i := range 5000 {
		s := f.Begin()
		for j := range (i * 7) % 500 {
			sink += j
		}
		s.End()
	}
	_ = sink
	var h Histogram
	for _, fs := range TakeSnapshot().Funcs(base) {
		if fs.Name == f.Name {
			h = fs.Durations
		}
	}
	if h.Count() != 5000 {
		t.Fatalf("histogram of %d values", h.Count())
	}
	qs := []float64{0.1, 1, 25, 50, 90, 99, 99.9, 100}
	got := quantiles(h, qs...)
	for i, q := range qs {
		if want := h.ValueAtQuantile(q); got[i] != want {
			t.Errorf("p%v = %d, ValueAtQuantile says %d", q, got[i], want)
		}
	}
	if z := quantiles(Histogram{}, 50); z[0] != 0 {
		t.Errorf("empty histogram: %d", z[0])
	}
}

// BenchmarkLiveEvent is one event of the stream with 200 rows that ran in
// the interval: two snapshots' deltas, two percentiles a row, JSON.
func BenchmarkLiveEvent(b *testing.B) {
	fs := make([]*core.Func, 200)
	for i := range fs {
		fs[i] = &core.Func{Name: "example.com/p.liveEvent" + strconv.Itoa(i)}
	}
	run := func() {
		for _, f := range fs {
			for range 50 {
				f.Begin().End()
			}
		}
	}
	run()
	b.ReportAllocs()
	for b.Loop() {
		prev := TakeSnapshot()
		b.StopTimer()
		run()
		b.StartTimer()
		data, err := json.Marshal(buildLiveEvent(prev, TakeSnapshot()))
		if err != nil || len(data) == 0 {
			b.Fatal(err)
		}
	}
}

// FuzzLiveRequest feeds the handler arbitrary Hosts, paths and queries: it
// never panics, answers with one of its documented statuses, and serves
// nothing to a Host that is not loopback.
func FuzzLiveRequest(f *testing.F) {
	f.Add("127.0.0.1:6770", "/debug/hotpath/events", "interval=250ms")
	f.Add("localhost", "/debug/hotpath/report", "since=guard&format=table")
	f.Add("[::1]", "/debug/hotpath/report", "format=json-pretty")
	f.Add("evil.example", "/debug/hotpath/status", "")
	f.Add("127.0.0.1", "/debug/hotpath/events", "interval=0.1")
	f.Add("127.0.0.1", "/debug/hotpath/events", "interval=-5s")
	f.Add("", "/debug/hotpath", "")
	h := newLiveHandler()
	f.Fuzz(func(t *testing.T, host, path, query string) {
		u := &url.URL{Path: path, RawQuery: query}
		req, err := http.NewRequest("GET", "http://x"+u.RequestURI(), nil)
		if err != nil {
			return
		}
		req.Host = host
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // an event stream sends its first event and returns
		req = req.WithContext(ctx)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 301, 307, 308, 400, 403, 404:
		default:
			t.Fatalf("Host %q %s?%s: status %d", host, path, query, rec.Code)
		}
		if rec.Code != 403 && !liveHostAllowed(req) {
			t.Fatalf("Host %q served with %d", host, rec.Code)
		}
	})
}

//go:build !hotpath

package net

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	stdnet "net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// payload returns n deterministic bytes that differ from their neighbours,
// so a misplaced or repeated byte shows.
func payload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// sleepRecorder is a RetryPolicy.Sleep that records the delays instead of
// waiting them.
type sleepRecorder struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (s *sleepRecorder) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.delays = append(s.delays, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleepRecorder) recorded() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.delays...)
}

// resumePolicy returns the default policy with recorded sleeps.
func resumePolicy(rec *sleepRecorder) *RetryPolicy {
	p := DefaultRetryPolicy()
	p.Sleep = rec.sleep
	return &p
}

// newClient returns a client for tests whose idle connections are closed at
// the end of the test.
func newClient(t testing.TB, opts Options) *HttpClient {
	t.Helper()
	c := NewHttpClient(opts)
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// startServer starts a loopback server and counts the connections it
// accepts.
func startServer(t testing.TB, h http.Handler) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var conns atomic.Int32
	ts := httptest.NewUnstartedServer(h)
	ts.Config.ConnState = func(_ stdnet.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	ts.Start()
	t.Cleanup(func() {
		ts.CloseClientConnections()
		ts.Close()
	})
	return ts, &conns
}

// resource serves one byte string with exact control over its headers, its
// range support and where each response is cut. Responses that are cut are
// written by hand on the hijacked connection, which is then closed.
type resource struct {
	mu            sync.Mutex
	data          []byte
	etag          string
	lastModified  string
	acceptRanges  string // the Accept-Ranges value; "" omits the header
	ignoreRange   bool   // answer every request with the whole resource
	ignoreIfRange bool   // answer ranges even when If-Range does not match
	// cuts[i] is the number of body bytes the i-th response sends before
	// the connection is closed; responses past the slice are sent whole.
	cuts []int
	// requests records the Range and If-Range headers of each request.
	requests []http.Header
}

func (s *resource) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	n := len(s.requests)
	s.requests = append(s.requests, r.Header.Clone())
	data, etag, lm := s.data, s.etag, s.lastModified
	cut := -1
	if n < len(s.cuts) {
		cut = s.cuts[n]
	}
	ignoreRange, ignoreIfRange, ar := s.ignoreRange, s.ignoreIfRange, s.acceptRanges
	s.mu.Unlock()

	total := int64(len(data))
	first, last := int64(0), total-1
	status := http.StatusOK
	h := http.Header{}
	if rg := r.Header.Get("Range"); rg != "" && !ignoreRange {
		ir := r.Header.Get("If-Range")
		if ir == "" || ignoreIfRange || ir == etag || ir == lm {
			f, l, ok := parseRangeHeader(rg, total)
			if !ok {
				h.Set("Content-Range", fmt.Sprintf("bytes */%d", total))
				writeHead(w, http.StatusRequestedRangeNotSatisfiable, h, 0)
				return
			}
			first, last, status = f, l, http.StatusPartialContent
			h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", first, last, total))
		}
	}
	if etag != "" {
		h.Set("ETag", etag)
	}
	if lm != "" {
		h.Set("Last-Modified", lm)
	}
	if ar != "" {
		h.Set("Accept-Ranges", ar)
	}
	h.Set("Content-Type", "application/octet-stream")
	body := data[first : last+1]
	if cut < 0 || cut >= len(body) {
		writeHead(w, status, h, len(body))
		if r.Method != http.MethodHead {
			w.Write(body)
		}
		return
	}
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	fmt.Fprintf(rw, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Connection", "close")
	h.Write(rw)
	rw.WriteString("\r\n")
	rw.Write(body[:cut])
	rw.Flush()
}

func writeHead(w http.ResponseWriter, status int, h http.Header, n int) {
	for k, v := range h {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(n))
	w.WriteHeader(status)
}

// parseRangeHeader parses "bytes=a-" or "bytes=a-b" against total.
func parseRangeHeader(v string, total int64) (first, last int64, ok bool) {
	spec, found := strings.CutPrefix(v, "bytes=")
	if !found {
		return 0, 0, false
	}
	a, b, _ := strings.Cut(spec, "-")
	first, err := strconv.ParseInt(a, 10, 64)
	if err != nil || first >= total {
		return 0, 0, false
	}
	last = total - 1
	if b != "" {
		l, err := strconv.ParseInt(b, 10, 64)
		if err != nil || l < first {
			return 0, 0, false
		}
		last = min(l, total-1)
	}
	return first, last, true
}

func (s *resource) requestCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

func (s *resource) header(i int) http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[i]
}

func (s *resource) set(f func(*resource)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

// readAll reads a stream to the end and closes it.
func readAll(t testing.TB, s *Stream) ([]byte, error) {
	t.Helper()
	defer s.Body.Close()
	var buf bytes.Buffer
	_, err := io.Copy(&buf, s.Body)
	return buf.Bytes(), err
}

// blocker holds handlers until the test ends, so a server can stall without
// the test depending on how long it stalls.
type blocker chan struct{}

func newBlocker(t testing.TB) blocker {
	b := make(blocker)
	t.Cleanup(func() { close(b) })
	return b
}

// wait blocks until the test ends or the request is gone.
func (b blocker) wait(r *http.Request) {
	select {
	case <-b:
	case <-r.Context().Done():
	}
}

// gzipped compresses text.
func gzipped(t testing.TB, text string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := io.WriteString(zw, text); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

//go:build !hotpath

package net

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGetBytesReturnsBody(t *testing.T) {
	data := payload(100_000)
	res := &resource{data: data, etag: `"v1"`, acceptRanges: "bytes"}
	ts, _ := startServer(t, res)
	c := newClient(t, Options{})

	got, err := c.GetBytes(context.Background(), ts.URL+"/a.bin", http.Header{"X-Test": {"1"}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("got %d bytes, want the %d served", len(got), len(data))
	}
	if h := res.header(0); h.Get("X-Test") != "1" {
		t.Errorf("extra header not sent: %v", h)
	}
}

func TestGetStreamMetadata(t *testing.T) {
	data := payload(5000)
	res := &resource{data: data, etag: `"abc"`, lastModified: "Mon, 02 Jan 2006 15:04:05 GMT", acceptRanges: "bytes"}
	ts, _ := startServer(t, res)
	c := newClient(t, Options{})

	s, err := c.GetStream(context.Background(), ts.URL+"/s", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, s)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("body differs from the %d bytes served", len(data))
	}
	want := Meta{
		URL: ts.URL + "/s", Status: 200, ContentLength: 5000, Offset: 0, Total: 5000,
		ContentType: "application/octet-stream", AcceptRanges: true,
		ETag: `"abc"`, LastModified: "Mon, 02 Jan 2006 15:04:05 GMT",
	}
	if s.Header.Get("ETag") != `"abc"` {
		t.Errorf("Header = %v, want the response headers", s.Header)
	}
	want.Header = s.Header
	if diff := cmp.Diff(want, s.Meta); diff != "" {
		t.Errorf("meta (-want +got):\n%s", diff)
	}
	if ae := res.header(0).Get("Accept-Encoding"); ae != "identity" {
		t.Errorf("stream asked Accept-Encoding %q, want identity", ae)
	}
}

func TestGetStreamReportsFinalURLAfterRedirect(t *testing.T) {
	data := payload(10)
	res := &resource{data: data}
	mux := http.NewServeMux()
	mux.Handle("/final", res)
	mux.Handle("/start", http.RedirectHandler("/final", http.StatusFound))
	ts, _ := startServer(t, mux)
	c := newClient(t, Options{})

	s, err := c.GetStream(context.Background(), ts.URL+"/start", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, s)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("body %v, err %v", got, err)
	}
	if s.URL != ts.URL+"/final" {
		t.Errorf("URL = %q, want the redirect target", s.URL)
	}
}

func TestHead(t *testing.T) {
	res := &resource{data: payload(1234), etag: `"h"`, acceptRanges: "bytes"}
	ts, _ := startServer(t, res)
	c := newClient(t, Options{})

	m, err := c.Head(context.Background(), ts.URL+"/h", nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.ContentLength != 1234 || m.Total != 1234 || !m.AcceptRanges || m.ETag != `"h"` || m.Status != 200 ||
		m.ContentType != "application/octet-stream" {
		t.Errorf("meta = %+v", *m)
	}
}

func TestHeadWithoutRangeSupport(t *testing.T) {
	ts, _ := startServer(t, &resource{data: payload(10), acceptRanges: "none"})
	c := newClient(t, Options{})

	m, err := c.Head(context.Background(), ts.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.AcceptRanges {
		t.Error("AcceptRanges true for Accept-Ranges: none")
	}
}

func TestHTTPErrorBodyIsBounded(t *testing.T) {
	big := strings.Repeat("x", 10_000)
	ts, _ := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, big, http.StatusInternalServerError)
	}))
	c := newClient(t, Options{})

	for name, call := range map[string]func(string) error{
		"GetBytes":  func(u string) error { _, err := c.GetBytes(context.Background(), u, nil); return err },
		"GetStream": func(u string) error { _, err := c.GetStream(context.Background(), u, nil); return err },
		"GetRange": func(u string) error {
			_, err := c.GetRange(context.Background(), u, Range{Start: 1}, nil)
			return err
		},
		"Head": func(u string) error { _, err := c.Head(context.Background(), u, nil); return err },
	} {
		t.Run(name, func(t *testing.T) {
			err := call(ts.URL + "/fail")
			var he *HTTPError
			if !errors.As(err, &he) {
				t.Fatalf("error %v is not an *HTTPError", err)
			}
			if he.Status != 500 || he.URL != ts.URL+"/fail" {
				t.Errorf("status %d URL %q", he.Status, he.URL)
			}
			if name != "Head" && (len(he.Body) != maxErrorBody || string(he.Body) != big[:maxErrorBody]) {
				t.Errorf("body has %d bytes, want the first %d", len(he.Body), maxErrorBody)
			}
			if !IsRetryable(err) {
				t.Error("500 not retryable")
			}
		})
	}
}

func TestHTTPErrorMessage(t *testing.T) {
	err := error(&HTTPError{Status: 404, URL: "http://h/x", Body: []byte("no such file")})
	if got, want := err.Error(), `http://h/x: HTTP 404 Not Found: "no such file"`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	err = &HTTPError{Status: 502, URL: "http://h/x", Body: []byte{0, 1, 2}}
	if got, want := err.Error(), "http://h/x: HTTP 502 Bad Gateway"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// roundTripFunc counts requests that reach the transport.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestMalformedURLsFailBeforeAnyRequest(t *testing.T) {
	var sent atomic.Int32
	c := NewHttpClient(Options{Client: &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		sent.Add(1)
		return nil, errors.New("unreachable")
	})}})
	for _, u := range []string{
		"", "::", "not a url", "/relative/path", "ftp://host/file", "file:///etc/passwd",
		"http://", "http:///path", "https://[::1", "http://host:port/", "http://a b/",
		"http://host/%zz", "mailto:someone@example.com",
	} {
		calls := map[string]error{}
		_, calls["GetBytes"] = c.GetBytes(context.Background(), u, nil)
		_, calls["GetStream"] = c.GetStream(context.Background(), u, nil)
		_, calls["GetRange"] = c.GetRange(context.Background(), u, Range{Start: 0, End: 10}, nil)
		_, calls["Head"] = c.Head(context.Background(), u, nil)
		for name, err := range calls {
			if !errors.Is(err, ErrInvalidURL) {
				t.Errorf("%s(%q) = %v, want ErrInvalidURL", name, u, err)
			} else if IsRetryable(err) {
				t.Errorf("%s(%q): invalid URL classed retryable", name, u)
			}
		}
	}
	if n := sent.Load(); n != 0 {
		t.Errorf("%d requests sent for malformed URLs", n)
	}
}

func TestInvalidRangeFailsBeforeAnyRequest(t *testing.T) {
	res := &resource{data: payload(10)}
	ts, _ := startServer(t, res)
	c := newClient(t, Options{})
	for _, r := range []Range{{Start: -1}, {Start: 5, End: 5}, {Start: 5, End: 2}, {Start: 0, End: -3}} {
		if _, err := c.GetRange(context.Background(), ts.URL, r, nil); !errors.Is(err, ErrInvalidRange) {
			t.Errorf("GetRange(%+v) = %v, want ErrInvalidRange", r, err)
		}
	}
	if n := res.requestCount(); n != 0 {
		t.Errorf("%d requests sent for invalid ranges", n)
	}
}

func TestConnectionReuse(t *testing.T) {
	data := payload(64 << 10)
	ts, conns := startServer(t, &resource{data: data, etag: `"r"`, acceptRanges: "bytes"})
	c := newClient(t, Options{})
	ctx := context.Background()

	for i := range 5 {
		got, err := c.GetBytes(ctx, ts.URL, nil)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("GetBytes #%d: %d bytes, %v", i, len(got), err)
		}
		s, err := c.GetStream(ctx, ts.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := readAll(t, s); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("GetStream #%d: %d bytes, %v", i, len(got), err)
		}
		s, err = c.GetRange(ctx, ts.URL, Range{Start: 100, End: 200}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := readAll(t, s); err != nil || !bytes.Equal(got, data[100:200]) {
			t.Fatalf("GetRange #%d: %d bytes, %v", i, len(got), err)
		}
		if _, err := c.Head(ctx, ts.URL, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("20 sequential requests used %d connections, want 1", n)
	}
}

func TestGetBytesMaxBodySize(t *testing.T) {
	data := payload(1000)
	mux := http.NewServeMux()
	mux.Handle("/sized", &resource{data: data})
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, _ *http.Request) {
		w.Write(data[:500])
		w.(http.Flusher).Flush()
		w.Write(data[500:])
	})
	ts, _ := startServer(t, mux)
	c := newClient(t, Options{MaxBodySize: 999})

	for _, path := range []string{"/sized", "/chunked"} {
		_, err := c.GetBytes(context.Background(), ts.URL+path, nil)
		if !errors.Is(err, ErrBodyTooLarge) || !strings.Contains(err.Error(), ts.URL+path) {
			t.Errorf("%s: %v, want ErrBodyTooLarge with the URL", path, err)
		}
	}
	c = newClient(t, Options{MaxBodySize: 1000})
	for _, path := range []string{"/sized", "/chunked"} {
		got, err := c.GetBytes(context.Background(), ts.URL+path, nil)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s at the limit: %d bytes, %v", path, len(got), err)
		}
	}
}

func TestGetBytesAcceptsGzip(t *testing.T) {
	const text = "#EXTM3U\n#EXT-X-VERSION:3\n"
	ts, _ := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			http.Error(w, "gzip expected", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gzipped(t, text))
	}))
	c := newClient(t, Options{})
	got, err := c.GetBytes(context.Background(), ts.URL, nil)
	if err != nil || string(got) != text {
		t.Fatalf("GetBytes = %q, %v", got, err)
	}
}

func TestStreamRejectsUnaskedPartialContent(t *testing.T) {
	ts, _ := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Range", "bytes 0-3/8")
		w.WriteHeader(http.StatusPartialContent)
		io.WriteString(w, "abcd")
	}))
	c := newClient(t, Options{})
	_, err := c.GetStream(context.Background(), ts.URL, nil)
	if !errors.Is(err, ErrContentRange) {
		t.Fatalf("GetStream = %v, want ErrContentRange", err)
	}
	if !strings.Contains(err.Error(), ts.URL) {
		t.Errorf("error %q lacks the URL", err)
	}
}

func TestCallerRangeHeaderIsIgnored(t *testing.T) {
	data := payload(300)
	res := &resource{data: data, etag: `"i"`, acceptRanges: "bytes"}
	ts, _ := startServer(t, res)
	c := newClient(t, Options{})
	s, err := c.GetStream(context.Background(), ts.URL, http.Header{"Range": {"bytes=10-20"}, "If-Range": {`"i"`}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, s)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("got %d bytes, %v; want the whole resource", len(got), err)
	}
	if h := res.header(0); h.Get("Range") != "" || h.Get("If-Range") != "" {
		t.Errorf("sent Range %q If-Range %q", h.Get("Range"), h.Get("If-Range"))
	}
}

func TestConcurrentRanges(t *testing.T) {
	data := payload(1 << 20)
	ts, _ := startServer(t, &resource{data: data, etag: `"cc"`, acceptRanges: "bytes"})
	c := newClient(t, Options{})
	const parts = 16
	size := int64(len(data) / parts)
	errs := make(chan error, parts)
	for i := range int64(parts) {
		go func() {
			r := Range{Start: i * size, End: (i + 1) * size}
			s, err := c.GetRange(context.Background(), ts.URL, r, nil)
			if err != nil {
				errs <- err
				return
			}
			defer s.Body.Close()
			got, err := io.ReadAll(s.Body)
			if err == nil && !bytes.Equal(got, data[r.Start:r.End]) {
				err = fmt.Errorf("part %d differs", i)
			}
			errs <- err
		}()
	}
	for range parts {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

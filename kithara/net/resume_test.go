//go:build !hotpath

package net

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestResumeAfterConnectionCut(t *testing.T) {
	data := payload(200_000)
	res := &resource{data: data, etag: `"v1"`, acceptRanges: "bytes", cuts: []int{70_000, 50_000}}
	ts, _ := startServer(t, res)
	rec := &sleepRecorder{}
	c := newClient(t, Options{Resume: resumePolicy(rec)})

	s, err := c.GetStream(context.Background(), ts.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, s)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("got %d bytes, want the %d served, each exactly once", len(got), len(data))
	}
	if n := res.requestCount(); n != 3 {
		t.Fatalf("%d requests, want 3: the first and two resumes", n)
	}
	for i, want := range []string{"bytes=70000-199999", "bytes=120000-199999"} {
		h := res.header(i + 1)
		if h.Get("Range") != want || h.Get("If-Range") != `"v1"` {
			t.Errorf("resume %d sent Range %q If-Range %q, want %q and the ETag", i+1, h.Get("Range"), h.Get("If-Range"), want)
		}
	}
	if d := rec.recorded(); len(d) != 2 || d[0] != 0 || d[1] != 100*time.Millisecond {
		t.Errorf("resume delays %v, want [0s 100ms]", d)
	}
}

func TestResumeRangeBody(t *testing.T) {
	data := payload(100_000)
	res := &resource{data: data, lastModified: "Tue, 03 Jan 2006 10:00:00 GMT", acceptRanges: "bytes", cuts: []int{10_000}}
	ts, _ := startServer(t, res)
	c := newClient(t, Options{Resume: resumePolicy(&sleepRecorder{})})

	s, err := c.GetRange(context.Background(), ts.URL, Range{Start: 30_000, End: 80_000}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, s)
	if err != nil || !bytes.Equal(got, data[30_000:80_000]) {
		t.Fatalf("got %d bytes, %v; want the 50000 requested", len(got), err)
	}
	h := res.header(1)
	if h.Get("Range") != "bytes=40000-79999" || h.Get("If-Range") != "Tue, 03 Jan 2006 10:00:00 GMT" {
		t.Errorf("resume sent Range %q If-Range %q", h.Get("Range"), h.Get("If-Range"))
	}
}

// TestResumeOfSkippedFullBody resumes a range that the server first
// answered with the whole resource.
func TestResumeOfSkippedFullBody(t *testing.T) {
	data := payload(60_000)
	res := &resource{data: data, etag: `"x"`, acceptRanges: "bytes", cuts: []int{25_000}}
	ts, _ := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if res.requestCount() == 0 {
			r.Header.Del("Range") // the first answer ignores the range
		}
		res.ServeHTTP(w, r)
	}))
	c := newClient(t, Options{Resume: resumePolicy(&sleepRecorder{})})
	s, err := c.GetRange(context.Background(), ts.URL, Range{Start: 20_000, End: 40_000}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, s)
	if err != nil || !bytes.Equal(got, data[20_000:40_000]) {
		t.Fatalf("got %d bytes, %v; want the 20000 requested", len(got), err)
	}
	if r := res.header(1).Get("Range"); r != "bytes=25000-39999" {
		t.Errorf("resume asked %q", r)
	}
}

func TestResumeOfChunkedBodyLearnsTheSize(t *testing.T) {
	data := payload(40_000)
	res := &resource{data: data, etag: `"c"`, acceptRanges: "bytes"}
	var calls atomic.Int32
	ts, _ := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) > 1 {
			res.ServeHTTP(w, r)
			return
		}
		// A chunked body cut without its terminating chunk.
		w.Header().Set("ETag", `"c"`)
		w.Write(data[:15_000])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}))
	c := newClient(t, Options{Resume: resumePolicy(&sleepRecorder{})})
	s, err := c.GetStream(context.Background(), ts.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.ContentLength != -1 || s.Total != -1 {
		t.Errorf("chunked body: length %d total %d, want unknown", s.ContentLength, s.Total)
	}
	got, err := readAll(t, s)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("got %d bytes, %v; want the %d served", len(got), err, len(data))
	}
}

func TestResumeRefusedWhenResourceChanged(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*resource)
	}{
		// An If-Range-aware server answers 200 with the new version.
		{"etag honoured", func(r *resource) { r.etag = `"v2"`; r.data = payload(150_000)[1:] }},
		// A server that ignores If-Range answers 206 from the new version.
		{"etag ignored", func(r *resource) { r.etag = `"v2"`; r.ignoreIfRange = true }},
		// Without validators only the size tells.
		{"size", func(r *resource) { r.etag = ""; r.data = payload(120_000) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := &resource{data: payload(100_000), etag: `"v1"`, acceptRanges: "bytes", cuts: []int{30_000}}
			if tc.name == "size" {
				res.etag = ""
			}
			ts, _ := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if res.requestCount() == 1 {
					res.set(tc.change)
				}
				res.ServeHTTP(w, r)
			}))
			c := newClient(t, Options{Resume: resumePolicy(&sleepRecorder{})})
			s, err := c.GetStream(context.Background(), ts.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := readAll(t, s)
			if !errors.Is(err, ErrResourceChanged) || !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("read %d bytes, %v; want ErrResourceChanged after an unexpected EOF", len(got), err)
			}
			if IsRetryable(err) {
				t.Error("changed resource classed retryable")
			}
			if len(got) != 30_000 || !bytes.Equal(got, payload(100_000)[:30_000]) {
				t.Errorf("delivered %d bytes, want only the 30000 of the first version", len(got))
			}
			if n := res.requestCount(); n != 2 {
				t.Errorf("%d requests, want 2", n)
			}
		})
	}
}

func TestResumeWithoutRangeSupport(t *testing.T) {
	data := payload(50_000)
	t.Run("server ignores ranges", func(t *testing.T) {
		res := &resource{data: data, etag: `"n"`, ignoreRange: true, cuts: []int{20_000}}
		ts, _ := startServer(t, res)
		c := newClient(t, Options{Resume: resumePolicy(&sleepRecorder{})})
		s, err := c.GetStream(context.Background(), ts.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = readAll(t, s)
		if !errors.Is(err, ErrRangeNotSupported) || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("err = %v, want ErrRangeNotSupported after an unexpected EOF", err)
		}
		if n := res.requestCount(); n != 2 {
			t.Errorf("%d requests, want 2", n)
		}
	})
	t.Run("Accept-Ranges none", func(t *testing.T) {
		res := &resource{data: data, acceptRanges: "none", cuts: []int{20_000}}
		ts, _ := startServer(t, res)
		c := newClient(t, Options{Resume: resumePolicy(&sleepRecorder{})})
		s, err := c.GetStream(context.Background(), ts.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = readAll(t, s)
		if !errors.Is(err, ErrRangeNotSupported) || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("err = %v, want ErrRangeNotSupported after an unexpected EOF", err)
		}
		if n := res.requestCount(); n != 1 {
			t.Errorf("%d requests, want no resume attempt", n)
		}
	})
}

func TestResumeGivesUpAfterMaxRetries(t *testing.T) {
	data := payload(10_000)
	res := &resource{data: data, etag: `"g"`, acceptRanges: "bytes", cuts: []int{1000, 1000, 1000, 1000, 1000}}
	ts, _ := startServer(t, res)
	rec := &sleepRecorder{}
	c := newClient(t, Options{Resume: resumePolicy(rec)})
	s, err := c.GetStream(context.Background(), ts.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, s)
	var re *RetryError
	if !errors.As(err, &re) || re.Attempts != 4 || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want a RetryError of 4 attempts wrapping io.ErrUnexpectedEOF", err)
	}
	if !bytes.Equal(got, data[:4000]) {
		t.Errorf("delivered %d bytes, want the 4000 received, in order", len(got))
	}
	if d := rec.recorded(); len(d) != 3 {
		t.Errorf("resume delays %v, want 3", d)
	}
	if !strings.Contains(err.Error(), ts.URL) {
		t.Errorf("error %q lacks the URL", err)
	}
}

func TestResumeRetriesServerErrors(t *testing.T) {
	data := payload(10_000)
	res := &resource{data: data, etag: `"e"`, acceptRanges: "bytes", cuts: []int{4000}}
	ts, _ := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if res.requestCount() == 1 {
			res.set(func(r *resource) { r.requests = append(r.requests, nil) })
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		res.ServeHTTP(w, r)
	}))
	rec := &sleepRecorder{}
	c := newClient(t, Options{Resume: resumePolicy(rec)})
	s, err := c.GetStream(context.Background(), ts.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, s)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("got %d bytes, %v", len(got), err)
	}
	if d := rec.recorded(); len(d) != 2 || d[0] != 0 || d[1] != 100*time.Millisecond {
		t.Errorf("resume delays %v, want [0s 100ms]", d)
	}
}

// TestShortBodyIsAnError serves fewer bytes than Content-Length, from a
// server that cannot resume; the read must fail, never end cleanly.
func TestShortBodyIsAnError(t *testing.T) {
	data := payload(1000)
	res := &resource{data: data, ignoreRange: true, cuts: slices.Repeat([]int{500}, 10)}
	ts, _ := startServer(t, res)
	for name, c := range map[string]*HttpClient{
		"resume":    newClient(t, Options{Resume: resumePolicy(&sleepRecorder{})}),
		"no resume": newClient(t, Options{Resume: &RetryPolicy{}}),
	} {
		t.Run(name, func(t *testing.T) {
			s, err := c.GetStream(context.Background(), ts.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := readAll(t, s)
			if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), ts.URL) {
				t.Fatalf("read %d bytes, %v; want io.ErrUnexpectedEOF with the URL", len(got), err)
			}
			if !bytes.Equal(got, data[:500]) {
				t.Errorf("delivered %d bytes, want the 500 sent", len(got))
			}
			_, err = c.GetBytes(context.Background(), ts.URL, nil)
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("GetBytes = %v, want io.ErrUnexpectedEOF", err)
			}
		})
	}
}

// TestResumeAfterStall stalls the first response; the idle timeout fails it
// and the body resumes from the bytes already delivered.
func TestResumeAfterStall(t *testing.T) {
	data := payload(30_000)
	res := &resource{data: data, etag: `"s"`, acceptRanges: "bytes"}
	block := newBlocker(t)
	var calls atomic.Int32
	ts, _ := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) > 1 {
			res.ServeHTTP(w, r)
			return
		}
		res.set(func(r *resource) { r.requests = append(r.requests, nil) })
		w.Header().Set("ETag", `"s"`)
		w.Header().Set("Content-Length", "30000")
		w.Write(data[:12_000])
		w.(http.Flusher).Flush()
		block.wait(r)
	}))
	c := newClient(t, Options{IdleTimeout: 50 * time.Millisecond, Resume: resumePolicy(&sleepRecorder{})})
	s, err := c.GetStream(context.Background(), ts.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, s)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("got %d bytes, %v", len(got), err)
	}
	if r := res.header(1).Get("Range"); r != "bytes=12000-29999" {
		t.Errorf("resume asked %q", r)
	}
}

func TestCloseAbortsBlockedRead(t *testing.T) {
	block := newBlocker(t)
	ts, _ := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.Write(make([]byte, 10))
		w.(http.Flusher).Flush()
		block.wait(r)
	}))
	c := newClient(t, Options{})
	s, err := c.GetStream(context.Background(), ts.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	if n, err := io.ReadAtLeast(s.Body, buf, 10); n != 10 || err != nil {
		t.Fatalf("read %d, %v", n, err)
	}
	done := make(chan error)
	go func() {
		_, err := s.Body.Read(buf)
		done <- err
	}()
	s.Body.Close()
	if err := <-done; !errors.Is(err, ErrBodyClosed) {
		t.Errorf("blocked Read after Close = %v, want ErrBodyClosed", err)
	}
	if _, err := s.Body.Read(buf); !errors.Is(err, ErrBodyClosed) {
		t.Errorf("Read after Close = %v, want ErrBodyClosed", err)
	}
}

func TestGetBytesResumes(t *testing.T) {
	data := payload(80_000)
	res := &resource{data: data, etag: `"gb"`, acceptRanges: "bytes", cuts: []int{33_333}}
	ts, _ := startServer(t, res)
	c := newClient(t, Options{Resume: resumePolicy(&sleepRecorder{})})
	got, err := c.GetBytes(context.Background(), ts.URL, nil)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("got %d bytes, %v", len(got), err)
	}
	if r := res.header(1).Get("Range"); r != "bytes=33333-79999" {
		t.Errorf("resume asked %q", r)
	}
}

func TestIfRangeValidator(t *testing.T) {
	const lm = "Wed, 04 Jan 2006 00:00:00 GMT"
	for _, tc := range []struct {
		etag, lastModified, want string
	}{
		{`"strong"`, lm, `"strong"`},
		{`W/"weak"`, lm, lm},
		{`W/"weak"`, "", ""},
		{"", "", ""},
	} {
		b := &body{etag: tc.etag, lastModified: tc.lastModified}
		if got := b.validator(); got != tc.want {
			t.Errorf("validator(ETag %q, Last-Modified %q) = %q, want %q", tc.etag, tc.lastModified, got, tc.want)
		}
	}
}

package net

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

func TestGetRangePartialContent(t *testing.T) {
	data := payload(10_000)
	ts, _ := startServer(t, &resource{data: data, etag: `"r"`, acceptRanges: "bytes"})
	c := newClient(t, Options{})
	for _, tc := range []struct {
		r          Range
		want       []byte
		wantHeader string
	}{
		{Range{Start: 10, End: 110}, data[10:110], "bytes=10-109"},
		{Range{Start: 0, End: 1}, data[:1], "bytes=0-0"},
		{Range{Start: 9950}, data[9950:], "bytes=9950-"},
		{Range{Start: 9990, End: 20_000}, data[9990:], "bytes=9990-19999"},
	} {
		if got := tc.r.String(); got != tc.wantHeader {
			t.Errorf("Range%+v.String() = %q, want %q", tc.r, got, tc.wantHeader)
		}
		s, err := c.GetRange(context.Background(), ts.URL, tc.r, nil)
		if err != nil {
			t.Fatalf("GetRange(%+v): %v", tc.r, err)
		}
		got, err := readAll(t, s)
		if err != nil {
			t.Fatalf("GetRange(%+v) body: %v", tc.r, err)
		}
		if !bytes.Equal(got, tc.want) {
			t.Errorf("GetRange(%+v) = %d bytes, want %d equal to the served ones", tc.r, len(got), len(tc.want))
		}
		if s.Status != 206 || s.Offset != tc.r.Start || s.ContentLength != int64(len(tc.want)) || s.Total != 10_000 {
			t.Errorf("GetRange(%+v) meta: status %d offset %d length %d total %d",
				tc.r, s.Status, s.Offset, s.ContentLength, s.Total)
		}
	}
}

func TestGetRangeUnsatisfiable(t *testing.T) {
	ts, _ := startServer(t, &resource{data: payload(100), acceptRanges: "bytes"})
	c := newClient(t, Options{})
	_, err := c.GetRange(context.Background(), ts.URL, Range{Start: 100}, nil)
	var he *HTTPError
	if !errors.As(err, &he) || he.Status != http.StatusRequestedRangeNotSatisfiable {
		t.Fatalf("GetRange past the end = %v, want HTTP 416", err)
	}
	if IsRetryable(err) {
		t.Error("416 classed retryable")
	}
}

func TestGetRangeServerIgnoringRange(t *testing.T) {
	data := payload(50_000)
	res := &resource{data: data, ignoreRange: true}
	ts, _ := startServer(t, res)
	c := newClient(t, Options{})
	for _, tc := range []struct {
		r    Range
		want []byte
	}{
		{Range{Start: 1000, End: 2000}, data[1000:2000]},
		{Range{Start: 49_000}, data[49_000:]},
		{Range{Start: 0, End: 10}, data[:10]},
		{Range{Start: 40_000, End: 90_000}, data[40_000:]},
	} {
		r, want := tc.r, tc.want
		s, err := c.GetRange(context.Background(), ts.URL, r, nil)
		if err != nil {
			t.Fatalf("GetRange(%+v): %v", r, err)
		}
		got, err := readAll(t, s)
		if err != nil {
			t.Fatalf("GetRange(%+v) body: %v", r, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("GetRange(%+v) = %d bytes, want the %d requested", r, len(got), len(want))
		}
		if s.Status != 200 || s.Offset != r.Start || s.ContentLength != int64(len(want)) || s.Total != 50_000 {
			t.Errorf("GetRange(%+v) meta: status %d offset %d length %d total %d",
				r, s.Status, s.Offset, s.ContentLength, s.Total)
		}
	}
	if got := res.header(0).Get("Range"); got != "bytes=1000-1999" {
		t.Errorf("Range header sent = %q", got)
	}
}

func TestGetRangeServerIgnoringRangeWithoutLength(t *testing.T) {
	data := payload(30_000)
	ts, _ := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		for chunk := range slices.Chunk(data, 4096) {
			w.Write(chunk)
			w.(http.Flusher).Flush()
		}
	}))
	c := newClient(t, Options{})
	s, err := c.GetRange(context.Background(), ts.URL, Range{Start: 5000, End: 25_000}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.ContentLength != -1 || s.Total != -1 || s.Offset != 5000 {
		t.Errorf("unsized body: length %d total %d offset %d, want -1 -1 5000", s.ContentLength, s.Total, s.Offset)
	}
	got, err := readAll(t, s)
	if err != nil || !bytes.Equal(got, data[5000:25_000]) {
		t.Fatalf("got %d bytes, %v; want the 20000 requested", len(got), err)
	}
	s, err = c.GetRange(context.Background(), ts.URL, Range{Start: 40_000}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err = readAll(t, s)
	if err != nil || len(got) != 0 {
		t.Fatalf("range past the end of an unsized body: %d bytes, %v; want none", len(got), err)
	}
}

// TestGetRangeCappedParts serves at most 1000 bytes per 206 answer, as some
// CDNs do; the body asks for the rest until the range is complete, without
// spending resume budget.
func TestGetRangeCappedParts(t *testing.T) {
	data := payload(4500)
	var (
		mu       sync.Mutex
		requests []string
	)
	ts, _ := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests = append(requests, r.Header.Get("Range"))
		mu.Unlock()
		first, last, ok := parseRangeHeader(r.Header.Get("Range"), int64(len(data)))
		if !ok {
			http.Error(w, "range expected", http.StatusBadRequest)
			return
		}
		last = min(last, first+999)
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", first, last, len(data)))
		w.Header().Set("Content-Length", strconv.FormatInt(last-first+1, 10))
		w.WriteHeader(http.StatusPartialContent)
		w.Write(data[first : last+1])
	}))
	c := newClient(t, Options{Resume: &RetryPolicy{}})
	s, err := c.GetRange(context.Background(), ts.URL, Range{Start: 200}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, s)
	if err != nil || !bytes.Equal(got, data[200:]) {
		t.Fatalf("got %d bytes, %v; want the 4300 requested", len(got), err)
	}
	want := []string{"bytes=200-", "bytes=1200-4499", "bytes=2200-4499", "bytes=3200-4499", "bytes=4200-4499"}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(requests) != fmt.Sprint(want) {
		t.Errorf("requests %q, want %q", requests, want)
	}
}

func TestGetRangeRejectsBadContentRange(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		header map[string]string
		body   string
	}{
		{"missing", 206, nil, "0123456789"},
		{"garbage", 206, map[string]string{"Content-Range": "oops"}, "0123456789"},
		{"other unit", 206, map[string]string{"Content-Range": "items 10-19/100"}, "0123456789"},
		{"wrong start", 206, map[string]string{"Content-Range": "bytes 0-9/100"}, "0123456789"},
		{"past asked end", 206, map[string]string{"Content-Range": "bytes 10-29/100"}, "01234567890123456789"},
		{"past total", 206, map[string]string{"Content-Range": "bytes 10-19/15"}, "0123456789"},
		{"unsatisfied form", 206, map[string]string{"Content-Range": "bytes */100"}, "0123456789"},
		{"length mismatch", 206, map[string]string{"Content-Range": "bytes 10-19/100", "Content-Length": "5"}, "01234"},
		{"200 with Content-Range", 200, map[string]string{"Content-Range": "bytes 10-19/100"}, "0123456789"},
		{"204", 204, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts, _ := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			c := newClient(t, Options{})
			s, err := c.GetRange(context.Background(), ts.URL, Range{Start: 10, End: 20}, nil)
			if err == nil {
				got, rerr := readAll(t, s)
				t.Fatalf("GetRange succeeded with %q (read error %v), want ErrContentRange", got, rerr)
			}
			if !errors.Is(err, ErrContentRange) || IsRetryable(err) {
				t.Errorf("GetRange = %v, want non-retryable ErrContentRange", err)
			}
		})
	}
}

// TestPartialBodyLongerThanContentRange serves a chunked 206 body longer
// than its Content-Range, which only the client can notice.
func TestPartialBodyLongerThanContentRange(t *testing.T) {
	ts, _ := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Range", "bytes 0-9/100")
		w.WriteHeader(http.StatusPartialContent)
		w.Write([]byte("0123456789"))
		w.(http.Flusher).Flush()
		w.Write([]byte("extra bytes"))
	}))
	c := newClient(t, Options{})
	s, err := c.GetRange(context.Background(), ts.URL, Range{Start: 0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, s)
	if !errors.Is(err, ErrLengthMismatch) {
		t.Fatalf("read %q, %v; want ErrLengthMismatch", got, err)
	}
	if string(got) != "0123456789" {
		t.Errorf("delivered %q before failing, want the 10 declared bytes", got)
	}
}

// TestBodyLongerThanDeclared sends more bytes than a chunked 206 declares
// for a range that ends with that part.
func TestBodyLongerThanDeclared(t *testing.T) {
	ts, _ := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Range", "bytes 0-9/10")
		w.WriteHeader(http.StatusPartialContent)
		w.Write([]byte("0123456789"))
		w.(http.Flusher).Flush()
		w.Write([]byte("extra bytes"))
	}))
	c := newClient(t, Options{})
	s, err := c.GetRange(context.Background(), ts.URL, Range{Start: 0, End: 10}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, s)
	if !errors.Is(err, ErrLengthMismatch) || string(got) != "0123456789" {
		t.Fatalf("read %q, %v; want the 10 declared bytes, then ErrLengthMismatch", got, err)
	}
}

// TestGetRangeUnknownTotal takes a part of a resource of unknown size at its
// word: no continuation is asked for past it.
func TestGetRangeUnknownTotal(t *testing.T) {
	var count atomic.Int32
	ts, _ := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		count.Add(1)
		w.Header().Set("Content-Range", "bytes 100-149/*")
		w.Header().Set("Content-Length", "50")
		w.WriteHeader(http.StatusPartialContent)
		w.Write(payload(150)[100:])
	}))
	c := newClient(t, Options{})
	s, err := c.GetRange(context.Background(), ts.URL, Range{Start: 100, End: 300}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.ContentLength != 50 || s.Total != -1 {
		t.Errorf("length %d total %d, want 50 and unknown", s.ContentLength, s.Total)
	}
	got, err := readAll(t, s)
	if err != nil || !bytes.Equal(got, payload(150)[100:]) {
		t.Fatalf("got %d bytes, %v", len(got), err)
	}
	if n := count.Load(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

//go:build hotpath

package tests

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotpath-go/hotpath/kithara/bufpool"
	knet "github.com/hotpath-go/hotpath/kithara/net"
)

// Seed section 8, kithara-net: connection reuse, retry back-off, the cost
// of a streamed response, concurrent requests and timeouts, read from
// HttpClient.GetStream (the one measured call of the client: every
// attempt, first or retried, is one call) and the cache's WriteAt.

// blob is the body the net tests serve at /blob/N: N's own bytes.
func blob(n int) []byte { return randomBytes(256<<10 + n) }

// netServer serves the net tests' paths:
//
//	/blob/N       blob(N), with ranges
//	/flaky/K      503 for the first K requests, then blob(0)
//	/down         always 503
//	/missing      404
//	/cut          blob(1); the first response is cut half-way
//	/stall        never answers (until the client gives up)
//	/slow-body    the headers and half of blob(2), then silence
//
// hold, when set, is called by /blob requests before they are answered.
func netServer(t *testing.T, hold func()) *server {
	var mu sync.Mutex
	seen := map[string]int{}
	return newServer(t, nil, func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		seen[r.URL.Path]++
		n := seen[r.URL.Path]
		mu.Unlock()
		serve := func(b []byte) {
			w.Header().Set("ETag", `"v1"`)
			http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
		}
		path, arg, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		switch path {
		case "blob":
			if hold != nil {
				hold()
			}
			k, _ := strconv.Atoi(arg)
			serve(blob(k))
		case "flaky":
			if k, _ := strconv.Atoi(arg); n <= k {
				http.Error(w, "try again", http.StatusServiceUnavailable)
				return true
			}
			serve(blob(0))
		case "down":
			http.Error(w, "down", http.StatusServiceUnavailable)
		case "missing":
			http.NotFound(w, r)
		case "cut":
			b := blob(1)
			if n > 1 {
				serve(b)
				return true
			}
			w.Header().Set("ETag", `"v1"`)
			w.Header().Set("Accept-Ranges", "bytes")
			w.Header().Set("Content-Length", strconv.Itoa(len(b)))
			w.Write(b[:len(b)/2])
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler) // the connection drops mid-body
		case "stall":
			<-r.Context().Done()
		case "slow-body":
			b := blob(2)
			w.Header().Set("Content-Length", strconv.Itoa(len(b)))
			w.Write(b[:len(b)/2])
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		default:
			http.NotFound(w, r)
		}
		return true
	})
}

// getBody opens a stream with n, reads it whole and closes it.
func getBody(ctx context.Context, n knet.Net, url string) ([]byte, error) {
	st, err := n.GetStream(ctx, url, nil)
	if err != nil {
		return nil, err
	}
	defer st.Body.Close()
	return io.ReadAll(st.Body)
}

// TestProfileHttpConnectionReuse makes twenty requests in a row with one
// client: every body read to its end and closed hands its connection back,
// so the server sees a single connection.
func TestProfileHttpConnectionReuse(t *testing.T) {
	const requests = 20
	srv := netServer(t, nil)
	client := newClient(t, knetOptions())
	want := blob(0)
	ctx := testContext(t)
	g := profileGuard(t)

	for i := range requests {
		got, err := getBody(ctx, client, srv.url("blob/0"))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("request %d: %d bytes, %v", i, len(got), err)
		}
	}
	rep := stopProfile(t, g)

	if c := srv.conns.Load(); c != 1 {
		t.Errorf("%d connections for %d requests in a row, want 1", c, requests)
	}
	wantCalls(t, rep, fnGetStream, requests)
	if f := row(t, rep, fnGetStream); f.MinNS <= 0 || f.MaxNS < f.MinNS {
		t.Errorf("GetStream: min %d ns, max %d ns", f.MinNS, f.MaxNS)
	}
}

// TestProfileRetryBackoffTiming retries through knet.WithRetry: a server
// that fails twice and then answers (three attempts), one that never
// answers (four: the first and three retries) and a 404 (one, not
// retryable). The delays follow the policy's schedule, and each attempt is
// one GetStream call in the report.
func TestProfileRetryBackoffTiming(t *testing.T) {
	const base = 2 * time.Millisecond
	srv := netServer(t, nil)
	var mu sync.Mutex
	var delays []time.Duration
	policy := knet.RetryPolicy{MaxRetries: 3, BaseDelay: base, MaxDelay: 100 * base,
		Sleep: func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			delays = append(delays, d)
			mu.Unlock()
			select {
			case <-time.After(d):
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}}
	client := knet.WithRetry(newClient(t, knetOptions()), policy)
	ctx := testContext(t)
	g := profileGuard(t)

	got, err := getBody(ctx, client, srv.url("flaky/2"))
	if err != nil || !bytes.Equal(got, blob(0)) {
		t.Fatalf("flaky server: %d bytes, %v", len(got), err)
	}
	if want := []time.Duration{0, base}; !slices.Equal(delays, want) {
		t.Errorf("delays %v before success, want %v", delays, want)
	}
	delays = nil
	_, err = getBody(ctx, client, srv.url("down"))
	var re *knet.RetryError
	var he *knet.HTTPError
	if !errors.As(err, &re) || re.Attempts != 4 || !errors.As(err, &he) || he.Status != http.StatusServiceUnavailable {
		t.Errorf("server down: %v, want a RetryError after 4 attempts wrapping the 503", err)
	}
	if want := []time.Duration{0, base, 2 * base}; !slices.Equal(delays, want) {
		t.Errorf("delays %v for a server that stays down, want %v", delays, want)
	}
	delays = nil
	if _, err := getBody(ctx, client, srv.url("missing")); !errors.As(err, &he) || he.Status != http.StatusNotFound || len(delays) != 0 {
		t.Errorf("404: %v after delays %v, want the HTTPError at once", err, delays)
	}
	rep := stopProfile(t, g)

	if f, d, m := srv.count("flaky/2"), srv.count("down"), srv.count("missing"); f != 3 || d != 4 || m != 1 {
		t.Errorf("requests: %d flaky, %d down, %d missing; want 3, 4, 1", f, d, m)
	}
	wantCalls(t, rep, fnGetStream, 3+4+1)
}

// TestProfileStreamingResponseOverhead streams a 4 MiB body into a cache
// file in 32 KiB reads, as the HLS fetcher does, so the report sets the
// one GetStream against the writes it feeds; then a body whose connection
// drops half-way, which the client resumes with a range request inside the
// same stream: still one GetStream, two requests.
func TestProfileStreamingResponseOverhead(t *testing.T) {
	const size = 4 << 20
	data := randomBytes(size)
	srv := newServer(t, nil, func(w http.ResponseWriter, r *http.Request) bool {
		http.ServeContent(w, r, "big.bin", time.Time{}, bytes.NewReader(data))
		return true
	})
	cut := netServer(t, nil)
	client := newClient(t, knetOptions())
	res := newResource(t)
	ctx := testContext(t)
	g := profileGuard(t)

	st, err := client.GetStream(ctx, srv.url("big.bin"), nil)
	if err != nil {
		t.Fatal(err)
	}
	buf := bufpool.Bytes.Get(32 << 10)
	var off int64
	writes := 0
	for {
		n, rerr := st.Body.Read(buf)
		if n > 0 {
			if _, err := res.WriteAt(buf[:n], off); err != nil {
				t.Fatal(err)
			}
			off += int64(n)
			writes++
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			t.Fatal(rerr)
		}
	}
	bufpool.Bytes.Put(buf)
	st.Body.Close()
	if err := res.Commit(off); err != nil {
		t.Fatal(err)
	}
	back := make([]byte, size)
	if n, err := res.ReadAt(back, 0); n != size || err != nil || !bytes.Equal(back, data) {
		t.Fatalf("cache holds %d bytes (%v) that differ from the %d served", n, err, size)
	}
	resumed, err := getBody(ctx, client, cut.url("cut"))
	if err != nil || !bytes.Equal(resumed, blob(1)) {
		t.Fatalf("cut body: %d bytes, %v", len(resumed), err)
	}
	rep := stopProfile(t, g)

	if n := cut.count("cut"); n != 2 {
		t.Errorf("%d requests for the cut body, want the first and one resume", n)
	}
	wantCalls(t, rep, fnGetStream, 2)
	wantCalls(t, rep, fnResWriteAt, writes)
	wantCalls(t, rep, fnResReadAt, 1)
	if writes < size/(32<<10) {
		t.Errorf("%d writes of at most 32 KiB for %d bytes", writes, size)
	}
}

// TestProfileConcurrentRequests runs eight clients' worth of goroutines on
// one client, four requests each. The server holds the first eight until
// all are in flight, so they provably overlap; every body arrives intact.
func TestProfileConcurrentRequests(t *testing.T) {
	const workers, each = 8, 4
	first := newBarrier(workers, 10*time.Second)
	var held atomic.Int64
	srv := netServer(t, func() {
		if held.Add(1) <= workers && !first.wait() {
			panic(http.ErrAbortHandler)
		}
	})
	client := newClient(t, knetOptions())
	ctx := testContext(t)
	g := profileGuard(t)

	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				k := w*each + i
				got, err := getBody(ctx, client, srv.url(fmt.Sprint("blob/", k)))
				if err == nil && !bytes.Equal(got, blob(k)) {
					err = fmt.Errorf("blob %d: %d wrong bytes", k, len(got))
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	rep := stopProfile(t, g)

	if p := srv.peakInflight(); p != workers {
		t.Errorf("at most %d requests in flight, want %d", p, workers)
	}
	if c := srv.conns.Load(); c < workers {
		t.Errorf("%d connections for %d concurrent requests", c, workers)
	}
	wantCalls(t, rep, fnGetStream, workers*each)
}

// TestProfileTimeoutHandling meets every timeout once: a server that never
// answers (the client's open timeout, then WithTimeout's, then WithTimeout
// under WithRetry, three attempts), and a body that stalls half-way (the
// idle timeout). Each fails with knet.ErrTimeout, and the report's longest
// GetStream lasted at least the open timeout.
func TestProfileTimeoutHandling(t *testing.T) {
	const limit = 50 * time.Millisecond
	srv := netServer(t, nil)
	noResume := knet.RetryPolicy{}
	client := newClient(t, knet.Options{OpenTimeout: limit, IdleTimeout: limit, Resume: &noResume})
	patient := newClient(t, knet.Options{Resume: &noResume})
	ctx := testContext(t)
	g := profileGuard(t)

	if _, err := client.GetStream(ctx, srv.url("stall"), nil); !errors.Is(err, knet.ErrTimeout) {
		t.Errorf("open timeout: %v, want ErrTimeout", err)
	}
	if _, err := knet.WithTimeout(patient, limit).GetStream(ctx, srv.url("stall"), nil); !errors.Is(err, knet.ErrTimeout) {
		t.Errorf("WithTimeout: %v, want ErrTimeout", err)
	}
	retried := knet.WithRetry(knet.WithTimeout(patient, limit), knet.RetryPolicy{MaxRetries: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond})
	var re *knet.RetryError
	if _, err := retried.GetStream(ctx, srv.url("stall"), nil); !errors.Is(err, knet.ErrTimeout) || !errors.As(err, &re) || re.Attempts != 3 {
		t.Errorf("WithTimeout under WithRetry: %v, want ErrTimeout after 3 attempts", err)
	}
	got, err := getBody(ctx, client, srv.url("slow-body"))
	if !errors.Is(err, knet.ErrTimeout) || len(got) != len(blob(2))/2 {
		t.Errorf("stalled body: %d bytes, %v; want half of it and ErrTimeout", len(got), err)
	}
	rep := stopProfile(t, g)

	// A request the client gave up on may not have reached the server; one
	// more than the client made would be a retry the report does not show.
	if n := srv.count("stall"); n > 1+1+3 {
		t.Errorf("%d requests to the silent server, want at most 5", n)
	}
	wantCalls(t, rep, fnGetStream, 1+1+3+1)
	if f := row(t, rep, fnGetStream); rep.SampleEvery == 1 && f.MaxNS < int64(limit) {
		t.Errorf("longest GetStream %v, shorter than the %v it waited", time.Duration(f.MaxNS), limit)
	}
}

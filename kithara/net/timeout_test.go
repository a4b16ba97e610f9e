//go:build !hotpath

package net

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// stallingServer answers with headers and head bytes of a 1000-byte body,
// then stalls until the test ends; with head < 0 it stalls before the
// headers.
func stallingServer(t *testing.T, head int) (string, *atomic.Int32) {
	t.Helper()
	block := newBlocker(t)
	var count atomic.Int32
	ts, _ := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		count.Add(1)
		if head >= 0 {
			w.Header().Set("Content-Length", "1000")
			w.Write(payload(1000)[:head])
			w.(http.Flusher).Flush()
		}
		block.wait(r)
	}))
	return ts.URL, &count
}

func TestOpenTimeout(t *testing.T) {
	u, _ := stallingServer(t, -1)
	c := newClient(t, Options{OpenTimeout: 20 * time.Millisecond})
	for name, open := range map[string]func() error{
		"GetStream": func() error { _, err := c.GetStream(context.Background(), u, nil); return err },
		"GetRange": func() error {
			_, err := c.GetRange(context.Background(), u, Range{Start: 1}, nil)
			return err
		},
	} {
		err := open()
		if !errors.Is(err, ErrTimeout) || !IsRetryable(err) || !strings.Contains(err.Error(), u) {
			t.Errorf("%s = %v, want a retryable ErrTimeout with the URL", name, err)
		}
	}
}

func TestRequestTimeout(t *testing.T) {
	u, _ := stallingServer(t, 100)
	c := newClient(t, Options{RequestTimeout: 30 * time.Millisecond, Resume: &RetryPolicy{}})
	got, err := c.GetBytes(context.Background(), u, nil)
	if !errors.Is(err, ErrTimeout) || !IsRetryable(err) || got != nil {
		t.Errorf("GetBytes = %d bytes, %v; want a retryable ErrTimeout", len(got), err)
	}
	u, _ = stallingServer(t, -1)
	_, err = c.Head(context.Background(), u, nil)
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), u) {
		t.Errorf("Head = %v, want ErrTimeout with the URL", err)
	}
}

func TestCallerDeadlineIsNotATimeout(t *testing.T) {
	u, _ := stallingServer(t, -1)
	c := newClient(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := c.GetBytes(ctx, u, nil)
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrTimeout) || IsRetryable(err) {
		t.Errorf("GetBytes = %v, want the caller's context.DeadlineExceeded, not retryable", err)
	}
}

func TestIdleTimeoutWithoutResume(t *testing.T) {
	u, count := stallingServer(t, 300)
	c := newClient(t, Options{IdleTimeout: 20 * time.Millisecond, Resume: &RetryPolicy{}})
	s, err := c.GetStream(context.Background(), u, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, s)
	if !errors.Is(err, ErrTimeout) || !bytes.Equal(got, payload(1000)[:300]) {
		t.Fatalf("read %d bytes, %v; want the 300 sent, then ErrTimeout", len(got), err)
	}
	if n := count.Load(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestCancelMidBody(t *testing.T) {
	u, count := stallingServer(t, 300)
	c := newClient(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := c.GetStream(ctx, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Body.Close()
	buf := make([]byte, 1000)
	if n, err := io.ReadAtLeast(s.Body, buf, 300); n != 300 || err != nil {
		t.Fatalf("read %d, %v", n, err)
	}
	done := make(chan error)
	go func() {
		_, err := s.Body.Read(buf)
		done <- err
	}()
	cancel()
	err = <-done
	if !errors.Is(err, context.Canceled) || IsRetryable(err) || !strings.Contains(err.Error(), u) {
		t.Errorf("Read after cancel = %v, want context.Canceled with the URL", err)
	}
	if n := count.Load(); n != 1 {
		t.Errorf("%d requests, want no resume after cancellation", n)
	}
	if _, err := s.Body.Read(buf); !errors.Is(err, context.Canceled) {
		t.Errorf("second Read = %v, want the same error", err)
	}
}

func TestWithTimeoutBoundsWholeCalls(t *testing.T) {
	u, _ := stallingServer(t, -1)
	n := WithTimeout(newClient(t, Options{RequestTimeout: -1, OpenTimeout: -1}), 20*time.Millisecond)
	calls := map[string]func() error{
		"GetBytes":  func() error { _, err := n.GetBytes(context.Background(), u, nil); return err },
		"Head":      func() error { _, err := n.Head(context.Background(), u, nil); return err },
		"GetStream": func() error { _, err := n.GetStream(context.Background(), u, nil); return err },
		"GetRange": func() error {
			_, err := n.GetRange(context.Background(), u, Range{Start: 3}, nil)
			return err
		},
	}
	for name, call := range calls {
		err := call()
		if !errors.Is(err, ErrTimeout) || !IsRetryable(err) || !strings.Contains(err.Error(), u) {
			t.Errorf("%s = %v, want a retryable ErrTimeout with the URL", name, err)
		}
	}
}

// TestWithTimeoutLeavesStreamsOpen reads a stream for longer than the
// decorator's timeout: only opening is bounded.
func TestWithTimeoutLeavesStreamsOpen(t *testing.T) {
	data := payload(1000)
	release := make(chan struct{})
	ts, _ := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.Write(data[:500])
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		w.Write(data[500:])
	}))
	const d = 20 * time.Millisecond
	n := WithTimeout(newClient(t, Options{}), d)
	s, err := n.GetStream(context.Background(), ts.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1000)
	if _, err := io.ReadFull(s.Body, buf[:500]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * d) // well past the timeout, which must not apply any more
	close(release)
	got, err := readAll(t, s)
	if err != nil || !bytes.Equal(got, data[500:]) {
		t.Fatalf("rest of the body: %d bytes, %v", len(got), err)
	}
}

func TestWithTimeoutPassesResults(t *testing.T) {
	f := &fakeNet{}
	n := WithTimeout(f, time.Minute)
	if b, err := n.GetBytes(context.Background(), "u", nil); string(b) != "bytes" || err != nil {
		t.Errorf("GetBytes = %q, %v", b, err)
	}
	if m, err := n.Head(context.Background(), "u", nil); err != nil || m.Status != 200 {
		t.Errorf("Head = %v, %v", m, err)
	}
	s, err := n.GetRange(context.Background(), "u", Range{Start: 9}, nil)
	if err != nil || s.Offset != 9 {
		t.Fatalf("GetRange = %v, %v", s, err)
	}
	if err := s.Body.Close(); err != nil {
		t.Error(err)
	}
	f = &fakeNet{failures: 1, err: &HTTPError{Status: 404}}
	if _, err := WithTimeout(f, time.Minute).GetStream(context.Background(), "u", nil); !errors.As(err, new(*HTTPError)) {
		t.Errorf("GetStream = %v, want the inner HTTPError", err)
	}
}

//go:build !hotpath

package net

import (
	"context"
	"errors"
	"fmt"
	"io"
	stdnet "net"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// flaky answers status to the first failures requests, then 200 "ok".
func flaky(t *testing.T, failures int32, status int, header http.Header) (string, *atomic.Int32) {
	t.Helper()
	var count atomic.Int32
	ts, _ := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if count.Add(1) <= failures {
			for k, v := range header {
				w.Header()[k] = v
			}
			http.Error(w, "try later", status)
			return
		}
		io.WriteString(w, "ok")
	}))
	return ts.URL, &count
}

// retrying wraps a fresh client with the default policy and recorded sleeps.
func retrying(t *testing.T) (Net, *sleepRecorder) {
	rec := &sleepRecorder{}
	p := DefaultRetryPolicy()
	p.Sleep = rec.sleep
	return WithRetry(newClient(t, Options{}), p), rec
}

func TestRetryPolicyDelay(t *testing.T) {
	p := DefaultRetryPolicy()
	want := []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond,
		800 * time.Millisecond, 1600 * time.Millisecond, 3200 * time.Millisecond, 5 * time.Second, 5 * time.Second}
	for retries, w := range want {
		if got := p.Delay(retries); got != w {
			t.Errorf("Delay(%d) = %v, want %v", retries, got, w)
		}
	}
	if got := p.Delay(1000); got != 5*time.Second {
		t.Errorf("Delay(1000) = %v, want the 5s cap", got)
	}
	huge := RetryPolicy{BaseDelay: time.Hour, MaxDelay: 1 << 62}
	if got := huge.Delay(100); got <= 0 || got > 1<<62 {
		t.Errorf("Delay overflowed to %v", got)
	}
}

func TestRetryOn503ThenSuccess(t *testing.T) {
	u, count := flaky(t, 2, http.StatusServiceUnavailable, nil)
	n, rec := retrying(t)
	got, err := n.GetBytes(context.Background(), u, nil)
	if err != nil || string(got) != "ok" {
		t.Fatalf("GetBytes = %q, %v", got, err)
	}
	if c := count.Load(); c != 3 {
		t.Errorf("%d requests, want 3", c)
	}
	if d := rec.recorded(); !slices.Equal(d, []time.Duration{0, 100 * time.Millisecond}) {
		t.Errorf("delays %v, want [0s 100ms]", d)
	}
}

func TestRetryExhausted(t *testing.T) {
	u, count := flaky(t, 100, http.StatusBadGateway, nil)
	n, rec := retrying(t)
	_, err := n.GetStream(context.Background(), u, nil)
	var re *RetryError
	var he *HTTPError
	if !errors.As(err, &re) || re.Attempts != 4 || !errors.As(err, &he) || he.Status != 502 {
		t.Fatalf("err = %v, want a RetryError of 4 attempts over HTTP 502", err)
	}
	if IsRetryable(err) {
		t.Error("exhausted retries classed retryable")
	}
	if c := count.Load(); c != 4 {
		t.Errorf("%d requests, want 4", c)
	}
	want := []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond}
	if d := rec.recorded(); !slices.Equal(d, want) {
		t.Errorf("delays %v, want %v", d, want)
	}
}

func TestNoRetryOnClientErrors(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404, 410, 416} {
		u, count := flaky(t, 100, status, nil)
		n, rec := retrying(t)
		_, err := n.GetBytes(context.Background(), u, nil)
		var he *HTTPError
		var re *RetryError
		if !errors.As(err, &he) || he.Status != status || errors.As(err, &re) {
			t.Errorf("%d: err = %v, want the bare HTTPError", status, err)
		}
		if c := count.Load(); c != 1 {
			t.Errorf("%d: %d requests, want 1", status, c)
		}
		if d := rec.recorded(); len(d) != 0 {
			t.Errorf("%d: slept %v", status, d)
		}
	}
}

func TestRetryOn408And429(t *testing.T) {
	for _, status := range []int{http.StatusRequestTimeout, http.StatusTooManyRequests} {
		u, count := flaky(t, 1, status, nil)
		n, _ := retrying(t)
		if _, err := n.Head(context.Background(), u, nil); err != nil {
			t.Errorf("%d: %v", status, err)
		}
		if c := count.Load(); c != 2 {
			t.Errorf("%d: %d requests, want 2", status, c)
		}
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		u, count := flaky(t, 2, status, http.Header{"Retry-After": {"2"}})
		n, rec := retrying(t)
		got, err := n.GetBytes(context.Background(), u, nil)
		if err != nil || string(got) != "ok" {
			t.Fatalf("%d: GetBytes = %q, %v", status, got, err)
		}
		if c := count.Load(); c != 3 {
			t.Errorf("%d: %d requests, want 3", status, c)
		}
		if d := rec.recorded(); !slices.Equal(d, []time.Duration{2 * time.Second, 2 * time.Second}) {
			t.Errorf("%d: delays %v, want Retry-After's 2s twice", status, d)
		}
	}
}

func TestRetryAfterTooLongStopsRetrying(t *testing.T) {
	u, count := flaky(t, 100, http.StatusTooManyRequests, http.Header{"Retry-After": {"3600"}})
	n, rec := retrying(t)
	_, err := n.GetBytes(context.Background(), u, nil)
	var he *HTTPError
	if !errors.As(err, &he) || he.RetryAfter != time.Hour {
		t.Fatalf("err = %v, want an HTTPError with RetryAfter 1h", err)
	}
	if c := count.Load(); c != 1 {
		t.Errorf("%d requests, want 1", c)
	}
	if d := rec.recorded(); len(d) != 0 {
		t.Errorf("slept %v", d)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":               0,
		"7":              7 * time.Second,
		" 120 ":          2 * time.Minute,
		"0":              0,
		"-5":             0,
		"soon":           0,
		"99999999999999": 24 * time.Hour,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Minute).Format(http.TimeFormat):     0,
	} {
		if got := parseRetryAfter(v, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestRetryStopsOnCancellation(t *testing.T) {
	u, count := flaky(t, 100, http.StatusServiceUnavailable, nil)
	ctx, cancel := context.WithCancel(context.Background())
	p := DefaultRetryPolicy()
	p.Sleep = func(ctx context.Context, d time.Duration) error {
		cancel() // the caller gives up while the decorator waits
		<-ctx.Done()
		return ctx.Err()
	}
	_, err := WithRetry(newClient(t, Options{}), p).GetBytes(ctx, u, nil)
	var he *HTTPError
	if !errors.Is(err, context.Canceled) || !errors.As(err, &he) {
		t.Fatalf("err = %v, want context.Canceled with the last HTTPError", err)
	}
	if c := count.Load(); c != 1 {
		t.Errorf("%d requests, want 1", c)
	}
}

func TestDefaultSleepHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- RetryPolicy{}.sleep(ctx, time.Hour) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("sleep = %v, want context.Canceled", err)
	}
	if err := (RetryPolicy{}).sleep(context.Background(), time.Microsecond); err != nil {
		t.Fatalf("short sleep = %v", err)
	}
}

func TestRetryOnConnectionRefused(t *testing.T) {
	l, err := stdnet.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + l.Addr().String() + "/x"
	l.Close()
	n, rec := retrying(t)
	_, err = n.GetBytes(context.Background(), u, nil)
	var re *RetryError
	if !errors.As(err, &re) || re.Attempts != 4 {
		t.Fatalf("err = %v, want a RetryError of 4 attempts", err)
	}
	if !IsRetryable(re.Err) {
		t.Errorf("connection refused (%v) not classed retryable", re.Err)
	}
	if d := rec.recorded(); len(d) != 3 {
		t.Errorf("delays %v, want 3", d)
	}
}

func TestIsRetryable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{&HTTPError{Status: 500}, true},
		{&HTTPError{Status: 503}, true},
		{&HTTPError{Status: 408}, true},
		{&HTTPError{Status: 429}, true},
		{&HTTPError{Status: 404}, false},
		{&HTTPError{Status: 400}, false},
		{fmt.Errorf("GET x: %w", ErrTimeout), true},
		{fmt.Errorf("GET x: %w", io.ErrUnexpectedEOF), true},
		{&stdnet.OpError{Op: "dial", Err: errors.New("refused")}, true},
		{fmt.Errorf("read: %w", context.Canceled), false},
		{fmt.Errorf("read: %w", context.DeadlineExceeded), false},
		{fmt.Errorf("x: %w", ErrInvalidURL), false},
		{fmt.Errorf("x: %w; %w", io.ErrUnexpectedEOF, ErrResourceChanged), false},
		{fmt.Errorf("x: %w; %w", io.ErrUnexpectedEOF, ErrRangeNotSupported), false},
		{fmt.Errorf("x: %w", ErrContentRange), false},
		{&RetryError{Attempts: 4, Err: &HTTPError{Status: 503}}, false},
		{errors.New("something else"), false},
	} {
		if got := IsRetryable(tc.err); got != tc.want {
			t.Errorf("IsRetryable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// fakeNet fails the first failures calls of every method with err.
type fakeNet struct {
	failures int
	err      error
	calls    int
}

func (f *fakeNet) fail() error {
	f.calls++
	if f.calls <= f.failures {
		return f.err
	}
	return nil
}

func (f *fakeNet) GetBytes(context.Context, string, http.Header) ([]byte, error) {
	if err := f.fail(); err != nil {
		return nil, err
	}
	return []byte("bytes"), nil
}

func (f *fakeNet) GetStream(context.Context, string, http.Header) (*Stream, error) {
	if err := f.fail(); err != nil {
		return nil, err
	}
	return &Stream{Body: io.NopCloser(nil)}, nil
}

func (f *fakeNet) GetRange(_ context.Context, _ string, r Range, _ http.Header) (*Stream, error) {
	if err := f.fail(); err != nil {
		return nil, err
	}
	return &Stream{Meta: Meta{Offset: r.Start}, Body: io.NopCloser(nil)}, nil
}

func (f *fakeNet) Head(context.Context, string, http.Header) (*Meta, error) {
	if err := f.fail(); err != nil {
		return nil, err
	}
	return &Meta{Status: 200}, nil
}

func TestWithRetryDecoratesEveryMethod(t *testing.T) {
	rec := &sleepRecorder{}
	p := DefaultRetryPolicy()
	p.Sleep = rec.sleep
	calls := map[string]func(Net) error{
		"GetBytes":  func(n Net) error { _, err := n.GetBytes(context.Background(), "u", nil); return err },
		"GetStream": func(n Net) error { _, err := n.GetStream(context.Background(), "u", nil); return err },
		"GetRange": func(n Net) error {
			s, err := n.GetRange(context.Background(), "u", Range{Start: 5}, nil)
			if err == nil && s.Offset != 5 {
				return errors.New("range not passed on")
			}
			return err
		},
		"Head": func(n Net) error { _, err := n.Head(context.Background(), "u", nil); return err },
	}
	for name, call := range calls {
		f := &fakeNet{failures: 2, err: &HTTPError{Status: 503, URL: "u"}}
		if err := call(WithRetry(f, p)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if f.calls != 3 {
			t.Errorf("%s: %d calls, want 3", name, f.calls)
		}
	}
	if d := rec.recorded(); len(d) != 8 {
		t.Errorf("%d sleeps, want 2 per method", len(d))
	}
	f := &fakeNet{failures: 2, err: fmt.Errorf("x: %w", ErrContentRange)}
	if err := calls["GetBytes"](WithRetry(f, p)); !errors.Is(err, ErrContentRange) || f.calls != 1 {
		t.Errorf("fatal error: %v after %d calls, want it at once", err, f.calls)
	}
	f = &fakeNet{failures: 2, err: &HTTPError{Status: 503}}
	if err := calls["GetBytes"](WithRetry(f, RetryPolicy{})); f.calls != 1 || !IsRetryable(err) {
		t.Errorf("MaxRetries 0: %v after %d calls, want the bare failure at once", err, f.calls)
	}
}

func TestRetryAfterScope(t *testing.T) {
	// Retry-After only applies to 429 and 503; on a 500 the schedule rules.
	p := DefaultRetryPolicy()
	d, ok := p.next(1, &HTTPError{Status: 500, RetryAfter: 10 * time.Second})
	if !ok || d != 100*time.Millisecond {
		t.Errorf("500 with Retry-After: %v %v, want the 100ms schedule", d, ok)
	}
	d, ok = p.next(0, &HTTPError{Status: 503, RetryAfter: 10 * time.Second})
	if !ok || d != 10*time.Second {
		t.Errorf("503 with Retry-After 10s: %v %v", d, ok)
	}
	p.MaxRetryAfter = 0
	d, ok = p.next(0, &HTTPError{Status: 503, RetryAfter: time.Hour})
	if !ok || d != 0 {
		t.Errorf("Retry-After ignored: %v %v, want the immediate first retry", d, ok)
	}
}

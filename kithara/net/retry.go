//go:build !hotpath

package net

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy says how often and how soon a failed call is tried again.
//
// The schedule is the Kithara original's: the first retry is immediate, the
// n-th waits BaseDelay*2^(n-2), capped at MaxDelay. A 429 or 503 answer
// carrying Retry-After is honoured, because a Go user expects a client to do
// what the server asked (net/http leaves it to the caller, and most retrying
// clients honour it): the wait is the larger of the schedule and Retry-After.
// A Retry-After longer than MaxRetryAfter ends the retries at once and
// returns the [*HTTPError], whose RetryAfter field tells the caller how long
// the server asked for.
type RetryPolicy struct {
	// MaxRetries is the number of retries after the first attempt.
	MaxRetries int
	// BaseDelay is the wait before the second retry; later ones double it.
	BaseDelay time.Duration
	// MaxDelay caps the scheduled wait.
	MaxDelay time.Duration
	// MaxRetryAfter is the longest Retry-After that is waited out; 0 means
	// Retry-After is ignored.
	MaxRetryAfter time.Duration
	// Sleep waits d or until ctx is done, returning ctx's error then. Nil
	// means a real timer; tests inject one that records the delays.
	Sleep func(ctx context.Context, d time.Duration) error
}

// DefaultRetryPolicy returns the Kithara defaults: 3 retries, 100 ms base
// delay capped at 5 s, and Retry-After honoured up to 30 s.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		MaxRetries:    3,
		BaseDelay:     100 * time.Millisecond,
		MaxDelay:      5 * time.Second,
		MaxRetryAfter: 30 * time.Second,
	}
}

// Delay returns the scheduled wait before a retry when retries retries were
// already made: 0, then BaseDelay, 2*BaseDelay, ..., never above MaxDelay.
func (p RetryPolicy) Delay(retries int) time.Duration {
	if retries <= 0 {
		return 0
	}
	d := p.BaseDelay
	for i := 1; i < retries; i++ {
		if d >= p.MaxDelay || d > (1<<62)/2 {
			break
		}
		d *= 2
	}
	return min(d, p.MaxDelay)
}

// next decides whether a call that failed with err, after retries retries,
// is tried again and after what delay.
func (p RetryPolicy) next(retries int, err error) (time.Duration, bool) {
	if retries >= p.MaxRetries || !IsRetryable(err) {
		return 0, false
	}
	d := p.Delay(retries)
	var he *HTTPError
	if errors.As(err, &he) && he.RetryAfter > 0 && p.MaxRetryAfter > 0 &&
		(he.Status == http.StatusTooManyRequests || he.Status == http.StatusServiceUnavailable) {
		if he.RetryAfter > p.MaxRetryAfter {
			return 0, false
		}
		d = max(d, he.RetryAfter)
	}
	return d, true
}

// sleep waits d with p's sleeper.
func (p RetryPolicy) sleep(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// parseRetryAfter reads a Retry-After value, delta-seconds or an HTTP date,
// as a delay from now. It returns 0 for an absent, invalid or past value.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, int64(24*time.Hour/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// WithRetry returns n with failed calls retried according to p. Only
// retryable failures ([IsRetryable]) are retried, never after ctx is done.
// For streams, only opening is retried; a body that fails half-way is
// resumed by the [HttpClient] itself. When every attempt fails, the error is
// a [*RetryError] wrapping the last failure.
func WithRetry(n Net, p RetryPolicy) Net {
	return &retryNet{inner: n, policy: p}
}

type retryNet struct {
	inner  Net
	policy RetryPolicy
}

// retry runs call until it succeeds, fails for good, or p gives up.
func retry[T any](ctx context.Context, p RetryPolicy, call func() (T, error)) (T, error) {
	for retries := 0; ; retries++ {
		v, err := call()
		if err == nil {
			return v, nil
		}
		var zero T
		if ctx.Err() != nil {
			return zero, err
		}
		d, ok := p.next(retries, err)
		if !ok {
			if retries > 0 && IsRetryable(err) {
				return zero, &RetryError{Attempts: retries + 1, Err: err}
			}
			return zero, err
		}
		if serr := p.sleep(ctx, d); serr != nil {
			return zero, fmt.Errorf("waiting to retry: %w (last failure: %w)", serr, err)
		}
	}
}

// GetBytes calls the inner GetBytes, retrying transient failures.
func (r *retryNet) GetBytes(ctx context.Context, url string, header http.Header) ([]byte, error) {
	return retry(ctx, r.policy, func() ([]byte, error) { return r.inner.GetBytes(ctx, url, header) })
}

// GetStream opens the inner stream, retrying transient failures to open it.
func (r *retryNet) GetStream(ctx context.Context, url string, header http.Header) (*Stream, error) {
	return retry(ctx, r.policy, func() (*Stream, error) { return r.inner.GetStream(ctx, url, header) })
}

// GetRange opens the inner range, retrying transient failures to open it.
func (r *retryNet) GetRange(ctx context.Context, url string, rg Range, header http.Header) (*Stream, error) {
	return retry(ctx, r.policy, func() (*Stream, error) { return r.inner.GetRange(ctx, url, rg, header) })
}

// Head calls the inner Head, retrying transient failures.
func (r *retryNet) Head(ctx context.Context, url string, header http.Header) (*Meta, error) {
	return retry(ctx, r.policy, func() (*Meta, error) { return r.inner.Head(ctx, url, header) })
}

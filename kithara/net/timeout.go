package net

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// WithTimeout returns n with every call bounded by d: GetBytes and Head
// must complete within d; GetStream and GetRange must open within d, after
// which the body may take as long as it needs (bound stalls with
// Options.IdleTimeout instead). A call that runs out of time fails with an
// error wrapping [ErrTimeout], which is retryable, so WithRetry(WithTimeout(n,
// d), p) retries slow attempts.
func WithTimeout(n Net, d time.Duration) Net {
	return &timeoutNet{inner: n, d: d}
}

type timeoutNet struct {
	inner Net
	d     time.Duration
}

// bounded runs call under ctx with d's deadline and maps the deadline to
// ErrTimeout.
func bounded[T any](ctx context.Context, d time.Duration, method, url string, call func(context.Context) (T, error)) (T, error) {
	cause := fmt.Errorf("%s %s: no answer within %v: %w", method, url, d, ErrTimeout)
	tctx, cancel := context.WithTimeoutCause(ctx, d, cause)
	defer cancel()
	v, err := call(tctx)
	if err != nil && ctx.Err() == nil && context.Cause(tctx) == cause {
		var zero T
		return zero, cause
	}
	return v, err
}

// GetBytes calls the inner GetBytes with a deadline.
func (t *timeoutNet) GetBytes(ctx context.Context, url string, header http.Header) ([]byte, error) {
	return bounded(ctx, t.d, http.MethodGet, url, func(ctx context.Context) ([]byte, error) {
		return t.inner.GetBytes(ctx, url, header)
	})
}

// Head calls the inner Head with a deadline.
func (t *timeoutNet) Head(ctx context.Context, url string, header http.Header) (*Meta, error) {
	return bounded(ctx, t.d, http.MethodHead, url, func(ctx context.Context) (*Meta, error) {
		return t.inner.Head(ctx, url, header)
	})
}

// GetStream opens the inner stream with a deadline on opening only.
func (t *timeoutNet) GetStream(ctx context.Context, url string, header http.Header) (*Stream, error) {
	return t.open(ctx, url, func(ctx context.Context) (*Stream, error) {
		return t.inner.GetStream(ctx, url, header)
	})
}

// GetRange opens the inner range with a deadline on opening only.
func (t *timeoutNet) GetRange(ctx context.Context, url string, r Range, header http.Header) (*Stream, error) {
	return t.open(ctx, url, func(ctx context.Context) (*Stream, error) {
		return t.inner.GetRange(ctx, url, r, header)
	})
}

// open bounds the opening of a stream by t.d. The stream's context must
// outlive the call, so it is cancelled by a timer that is stopped once the
// stream is open, and released when the body is closed.
func (t *timeoutNet) open(ctx context.Context, url string, call func(context.Context) (*Stream, error)) (*Stream, error) {
	cause := fmt.Errorf("GET %s: not open within %v: %w", url, t.d, ErrTimeout)
	sctx, cancel := context.WithCancelCause(ctx)
	timer := time.AfterFunc(t.d, func() { cancel(cause) })
	s, err := call(sctx)
	if !timer.Stop() {
		// The deadline passed; whatever the call returned came too late.
		if err == nil {
			s.Body.Close()
		}
		cancel(nil)
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, cause
	}
	if err != nil {
		cancel(nil)
		return nil, err
	}
	s.Body = &releasingBody{ReadCloser: s.Body, release: func() { cancel(nil) }}
	return s, nil
}

// releasingBody runs release once the body is closed.
type releasingBody struct {
	io.ReadCloser
	once    sync.Once
	release func()
}

// Close closes the body and then runs release.
func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}

//go:build !hotpath

package net

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// HttpClient is the [Net] implementation over net/http. It is safe for
// concurrent use; all calls share one http.Client, and so one connection
// pool.
//
// The name follows the Kithara original (and the profiler's plan) rather
// than Go's HTTPClient initialism.
type HttpClient struct {
	client *http.Client
	opts   Options
	resume RetryPolicy
}

var _ Net = (*HttpClient)(nil)

// NewHttpClient returns a client configured by opts; see [Options] for the
// defaults of zero fields.
func NewHttpClient(opts Options) *HttpClient {
	opts = opts.withDefaults()
	return &HttpClient{client: opts.Client, opts: opts, resume: *opts.Resume}
}

// CloseIdleConnections closes the idle connections of the client's
// transport, for a clean shutdown.
func (c *HttpClient) CloseIdleConnections() { c.client.CloseIdleConnections() }

// GetBytes returns the whole body of rawURL. The call, resumes included, is
// bounded by Options.RequestTimeout, and a body longer than
// Options.MaxBodySize fails with [ErrBodyTooLarge]. Unlike streams, it lets
// the transport negotiate gzip, which playlists compress well; a body the
// transport decompressed cannot be resumed.
func (c *HttpClient) GetBytes(ctx context.Context, rawURL string, header http.Header) ([]byte, error) {
	if err := checkURL(rawURL); err != nil {
		return nil, err
	}
	ctx, cancel := c.deadline(ctx)
	defer cancel()
	s, err := c.openBody(ctx, rawURL, header, Range{}, false, true)
	if err != nil {
		return nil, err
	}
	defer s.Body.Close()
	limit := c.opts.MaxBodySize
	if limit >= 0 && s.ContentLength > limit {
		return nil, fmt.Errorf("GET %s: %w: %d bytes declared, limit %d", rawURL, ErrBodyTooLarge, s.ContentLength, limit)
	}
	if s.ContentLength >= 0 {
		// The body delivers exactly ContentLength bytes or fails.
		buf := make([]byte, s.ContentLength)
		if _, err := io.ReadFull(s.Body, buf); err != nil {
			return nil, err
		}
		return buf, nil
	}
	src := io.Reader(s.Body)
	if limit >= 0 {
		src = io.LimitReader(s.Body, limit+1)
	}
	buf, err := io.ReadAll(src)
	if err != nil {
		return nil, err
	}
	if limit >= 0 && int64(len(buf)) > limit {
		return nil, fmt.Errorf("GET %s: %w: more than %d bytes", rawURL, ErrBodyTooLarge, limit)
	}
	return buf, nil
}

// GetStream opens the body of rawURL for streaming. It waits at most
// Options.OpenTimeout for the response headers; the body then has no overall
// deadline, fails after stalling for Options.IdleTimeout, and is resumed
// from the first byte not yet delivered when it fails half-way (see
// Options.Resume).
//
//hotpath:measure
func (c *HttpClient) GetStream(ctx context.Context, rawURL string, header http.Header) (*Stream, error) {
	if err := checkURL(rawURL); err != nil {
		return nil, err
	}
	return c.openBody(ctx, rawURL, header, Range{}, false, false)
}

// GetRange opens the bytes of rawURL in r for streaming, with the timeouts
// and resumption of [HttpClient.GetStream]. A 206 answer must carry a
// Content-Range starting at r.Start and ending inside r (a shorter part is
// completed with further range requests); a 200 answer, from a server that
// ignores ranges, has its leading r.Start bytes discarded and is cut at
// r.End, and its Stream reports Status 200.
func (c *HttpClient) GetRange(ctx context.Context, rawURL string, r Range, header http.Header) (*Stream, error) {
	if err := checkURL(rawURL); err != nil {
		return nil, err
	}
	if err := r.validate(); err != nil {
		return nil, fmt.Errorf("GET %s: %w", rawURL, err)
	}
	return c.openBody(ctx, rawURL, header, r, true, false)
}

// Head probes rawURL with a HEAD request bounded by Options.RequestTimeout.
// It asks for the identity encoding so that the length is the one a range
// request addresses.
func (c *HttpClient) Head(ctx context.Context, rawURL string, header http.Header) (*Meta, error) {
	if err := checkURL(rawURL); err != nil {
		return nil, err
	}
	ctx, cancel := c.deadline(ctx)
	defer cancel()
	a, err := c.send(ctx, http.MethodHead, rawURL, header, "", "", true)
	if err != nil {
		return nil, err
	}
	defer a.close()
	if !success(a.resp.StatusCode) {
		return nil, a.httpError(rawURL)
	}
	m := metaOf(a.resp)
	m.ContentLength = -1
	if n, err := strconv.ParseInt(a.resp.Header.Get("Content-Length"), 10, 64); err == nil && n >= 0 {
		m.ContentLength = n
	}
	m.Total = m.ContentLength
	return &m, nil
}

// deadline bounds a whole-body call by Options.RequestTimeout.
func (c *HttpClient) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.opts.RequestTimeout < 0 {
		return context.WithCancel(ctx)
	}
	cause := fmt.Errorf("request not done within %v: %w", c.opts.RequestTimeout, ErrTimeout)
	return context.WithTimeoutCause(ctx, c.opts.RequestTimeout, cause)
}

// checkURL rejects anything but an absolute http or https URL with a host,
// before a request is made.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w %q: %w", ErrInvalidURL, raw, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%w %q: scheme must be http or https", ErrInvalidURL, raw)
	case u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("%w %q: missing host", ErrInvalidURL, raw)
	}
	return nil
}

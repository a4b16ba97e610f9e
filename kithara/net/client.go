package net

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
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
	var buf bytes.Buffer
	if s.ContentLength > 0 {
		buf.Grow(int(s.ContentLength))
	}
	src := io.Reader(s.Body)
	if limit >= 0 {
		src = io.LimitReader(s.Body, limit+1)
	}
	if _, err := buf.ReadFrom(src); err != nil {
		return nil, err
	}
	if limit >= 0 && int64(buf.Len()) > limit {
		return nil, fmt.Errorf("GET %s: %w: more than %d bytes", rawURL, ErrBodyTooLarge, limit)
	}
	return buf.Bytes(), nil
}

// GetStream opens the body of rawURL for streaming. It waits at most
// Options.OpenTimeout for the response headers; the body then has no overall
// deadline, fails after stalling for Options.IdleTimeout, and is resumed
// from the first byte not yet delivered when it fails half-way (see
// Options.Resume).
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

// success reports a 2xx status.
func success(status int) bool { return status >= 200 && status < 300 }

// metaOf collects the metadata of resp that does not depend on the request.
func metaOf(resp *http.Response) Meta {
	h := resp.Header
	return Meta{
		URL:           resp.Request.URL.String(),
		Status:        resp.StatusCode,
		Header:        h,
		ContentLength: -1,
		Total:         -1,
		ContentType:   h.Get("Content-Type"),
		AcceptRanges:  resp.StatusCode == http.StatusPartialContent || acceptsRanges(h),
		ETag:          h.Get("ETag"),
		LastModified:  h.Get("Last-Modified"),
	}
}

// acceptsRanges reports whether Accept-Ranges lists the bytes unit.
func acceptsRanges(h http.Header) bool {
	for _, v := range h.Values("Accept-Ranges") {
		for unit := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(unit), "bytes") {
				return true
			}
		}
	}
	return false
}

// refusesRanges reports an explicit Accept-Ranges: none.
func refusesRanges(h http.Header) bool {
	return strings.EqualFold(strings.TrimSpace(h.Get("Accept-Ranges")), "none")
}

// attempt is one request and its response, with the watchdogs that bound
// waiting for headers and stalls of the body.
type attempt struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	resp   *http.Response
	idle   time.Duration
	stall  *time.Timer // nil when idle reads are not bounded
	once   sync.Once

	// pos is the resource offset of the next byte resp.Body yields; end is
	// the offset just past the last byte the response declared, -1 unknown.
	pos, end int64
}

// send makes one request under a child context of ctx, bounded by
// Options.OpenTimeout until the response headers arrive. A non-empty
// byteRange and ifRange set the Range and If-Range headers; identity asks
// for the body as stored, so that byte offsets address it.
func (c *HttpClient) send(ctx context.Context, method, rawURL string, header http.Header, byteRange, ifRange string, identity bool) (*attempt, error) {
	actx, cancel := context.WithCancelCause(ctx)
	req, err := http.NewRequestWithContext(actx, method, rawURL, nil)
	if err != nil {
		cancel(nil)
		return nil, fmt.Errorf("%w %q: %w", ErrInvalidURL, rawURL, err)
	}
	if header != nil {
		req.Header = header.Clone()
	}
	if identity {
		req.Header.Set("Accept-Encoding", "identity")
	}
	if byteRange != "" {
		req.Header.Set("Range", byteRange)
	}
	if ifRange != "" {
		req.Header.Set("If-Range", ifRange)
	}
	var open *time.Timer
	if d := c.opts.OpenTimeout; d > 0 {
		cause := fmt.Errorf("no response headers within %v: %w", d, ErrTimeout)
		open = time.AfterFunc(d, func() { cancel(cause) })
	}
	resp, err := c.client.Do(req)
	if open != nil {
		open.Stop()
	}
	if err != nil {
		cause := context.Cause(actx)
		cancel(nil)
		if cause != nil && (errors.Is(cause, ErrTimeout) || errors.Is(cause, ErrBodyClosed)) {
			return nil, fmt.Errorf("%s %s: %w", method, rawURL, cause)
		}
		return nil, err
	}
	a := &attempt{ctx: actx, cancel: cancel, resp: resp, idle: c.opts.IdleTimeout, end: -1}
	if a.idle > 0 {
		cause := fmt.Errorf("body stalled for %v: %w", a.idle, ErrTimeout)
		a.stall = time.AfterFunc(a.idle, func() { cancel(cause) })
		a.stall.Stop()
	}
	return a, nil
}

// read reads from the response body, failing the response when it stalls
// for longer than the idle timeout. An error caused by the attempt's context
// is replaced by that context's cause: a stall, the caller's cancellation, a
// closed body.
func (a *attempt) read(p []byte) (int, error) {
	if a.stall != nil {
		a.stall.Reset(a.idle)
	}
	n, err := a.resp.Body.Read(p)
	if a.stall != nil {
		a.stall.Stop()
	}
	if err != nil && err != io.EOF && a.ctx.Err() != nil {
		err = context.Cause(a.ctx)
	}
	return n, err
}

// close releases the response and its context.
func (a *attempt) close() {
	a.once.Do(func() {
		if a.stall != nil {
			a.stall.Stop()
		}
		a.resp.Body.Close()
		a.cancel(nil)
	})
}

// httpError reads at most 4 KiB of an error response into an HTTPError and
// closes it. It drains a little more so the connection can be reused.
func (a *attempt) httpError(rawURL string) *HTTPError {
	defer a.close()
	he := &HTTPError{
		Status:     a.resp.StatusCode,
		URL:        rawURL,
		RetryAfter: parseRetryAfter(a.resp.Header.Get("Retry-After"), time.Now()),
	}
	buf := make([]byte, maxErrorBody)
	n, _ := io.ReadFull(readerFunc(a.read), buf)
	he.Body = buf[:n:n]
	if n == maxErrorBody {
		io.CopyN(io.Discard, readerFunc(a.read), 64<<10)
	}
	return he
}

// readerFunc adapts a read method to io.Reader.
type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

package net

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

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
		// Ranges and their validators are the client's to manage.
		req.Header.Del("Range")
		req.Header.Del("If-Range")
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

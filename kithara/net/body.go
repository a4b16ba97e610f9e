package net

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// body is a streaming response body that resumes itself: when the response
// fails half-way it asks for the rest with a range request from the first
// byte not yet delivered, guarded by the resource's validators.
//
// One goroutine reads; Close may come from another. Close touches only ctx
// (through cancel) and cur, which the reader swaps under mu, so that Close
// can release the response in flight.
type body struct {
	c      *HttpClient
	ctx    context.Context // cancelled by Close with ErrBodyClosed
	cancel context.CancelCauseFunc
	url    string
	header http.Header
	policy RetryPolicy

	// noResume says why the body cannot be resumed, nil when it can.
	noResume error
	// etag and lastModified are the validators of the first response.
	etag, lastModified string
	// total is the resource size, -1 unknown.
	total int64
	// next is the resource offset of the next byte to deliver; end is the
	// offset at which the body ends, -1 when unknown.
	next, end int64
	// resumes counts resume attempts, successful or not.
	resumes int
	// pending is an error returned by the response along with data, to be
	// handled on the next Read; err is the final outcome.
	pending, err error

	mu  sync.Mutex
	cur *attempt
}

// openBody opens a streaming body over rawURL. With ranged it asks for r
// (which must be valid); whole marks a GetBytes body, which may be
// transparently decompressed.
func (c *HttpClient) openBody(ctx context.Context, rawURL string, header http.Header, r Range, ranged, whole bool) (*Stream, error) {
	bctx, cancel := context.WithCancelCause(ctx)
	byteRange := ""
	if ranged {
		byteRange = r.String()
	}
	a, err := c.send(bctx, http.MethodGet, rawURL, header, byteRange, "", !whole)
	if err != nil {
		cancel(nil)
		return nil, err
	}
	if !success(a.resp.StatusCode) {
		he := a.httpError(rawURL)
		cancel(nil)
		return nil, he
	}
	meta, end, err := c.describe(a, r, ranged)
	if err != nil {
		a.close()
		cancel(nil)
		return nil, fmt.Errorf("GET %s: %w", rawURL, err)
	}
	b := &body{
		c:            c,
		ctx:          bctx,
		cancel:       cancel,
		url:          rawURL,
		header:       header,
		policy:       c.resume,
		etag:         meta.ETag,
		lastModified: meta.LastModified,
		total:        meta.Total,
		next:         meta.Offset,
		end:          end,
		cur:          a,
	}
	switch {
	case c.resume.MaxRetries <= 0:
		b.noResume = errors.New("resuming is disabled")
	case a.resp.Uncompressed:
		b.noResume = errors.New("the transport decompressed the body")
	case refusesRanges(a.resp.Header):
		b.noResume = fmt.Errorf("%w (Accept-Ranges: none)", ErrRangeNotSupported)
	}
	return &Stream{Meta: meta, Body: b}, nil
}

// describe checks the first response of a body against the request and
// returns its metadata and the resource offset where the body ends (-1 when
// unknown); it sets the bytes a declares.
func (c *HttpClient) describe(a *attempt, r Range, ranged bool) (m Meta, end int64, err error) {
	resp := a.resp
	m = metaOf(resp)
	declared := resp.ContentLength
	if resp.Uncompressed {
		declared = -1
	}
	cr := resp.Header.Get("Content-Range")
	switch {
	case resp.StatusCode == http.StatusPartialContent && ranged:
		got, err := parseContentRange(cr)
		if err != nil {
			return m, 0, err
		}
		if got.First != r.Start || (!r.open() && got.Last >= r.End) {
			return m, 0, fmt.Errorf("%w: asked %s, got Content-Range %q", ErrContentRange, r, cr)
		}
		if declared >= 0 && declared != got.Len() {
			return m, 0, fmt.Errorf("%w: Content-Length %d for Content-Range %q", ErrContentRange, declared, cr)
		}
		a.pos, a.end = got.First, got.Last+1
		m.Total = got.Total
	case resp.StatusCode == http.StatusPartialContent:
		return m, 0, fmt.Errorf("%w: 206 answer to a request without Range", ErrContentRange)
	case cr != "":
		return m, 0, fmt.Errorf("%w: status %d with Content-Range %q", ErrContentRange, resp.StatusCode, cr)
	default:
		// The whole resource: for a range request the server ignored Range,
		// and the body skips to r.Start.
		a.pos, a.end = 0, declared
		m.Total = declared
	}
	m.Offset = r.Start
	end = -1
	if !r.open() {
		end = r.End
	}
	switch {
	case m.Total >= 0:
		if end < 0 || end > m.Total {
			end = m.Total
		}
	case resp.StatusCode == http.StatusPartialContent:
		// Of a resource of unknown size, only the declared part is sure
		// to exist: asking for more could overrun it.
		end = a.end
	default:
		// An unsized whole resource: cut it at r.End if it gets there,
		// but promise no length.
		return m, end, nil
	}
	if r.Start > end {
		return m, 0, fmt.Errorf("%w: %s starts past the end of a %d-byte resource", ErrContentRange, r, m.Total)
	}
	m.ContentLength = end - r.Start
	return m, end, nil
}

// Read delivers the next bytes of the resource, resuming the transfer when
// the current response fails.
func (b *body) Read(p []byte) (int, error) {
	for {
		if b.err != nil {
			return 0, b.err
		}
		if b.end >= 0 && b.next >= b.end {
			b.finish(b.complete())
			continue
		}
		if len(p) == 0 {
			return 0, nil
		}
		if err := b.pending; err != nil {
			b.pending = nil
			b.settle(err)
			continue
		}
		n, err := b.readPart(p)
		if err != nil {
			b.pending = err
		}
		if n > 0 {
			return n, nil
		}
	}
}

// readPart reads from the current response into p, discarding the bytes
// before b.next that a response from offset 0 repeats, and never reading
// past b.end. It returns the number of bytes delivered.
func (b *body) readPart(p []byte) (int, error) {
	a := b.cur
	limit := int64(len(p))
	if skip := b.next - a.pos; skip > 0 {
		limit = min(limit, skip)
	}
	if b.end >= 0 {
		limit = min(limit, b.end-a.pos)
	}
	if a.end >= 0 {
		// One byte past the declared end reveals a longer body.
		limit = min(limit, max(a.end-a.pos, 1))
	}
	n, err := a.read(p[:limit])
	if a.end >= 0 && a.pos+int64(n) > a.end {
		return 0, fmt.Errorf("%w: more than the %d bytes declared", ErrLengthMismatch, a.end-a.pos)
	}
	a.pos += int64(n)
	if a.pos <= b.next {
		return 0, err
	}
	b.next += int64(n)
	return n, err
}

// complete returns the outcome of a body that delivered its last byte:
// io.EOF, unless the response goes on past the length it declared. Only a
// response that ends where the body ends is checked; one cut short on
// purpose (a range served from offset 0) is not.
func (b *body) complete() error {
	a := b.cur
	if b.pending != nil || a.end < 0 || a.pos != a.end {
		return io.EOF
	}
	var probe [1]byte
	if n, _ := a.read(probe[:]); n > 0 {
		return fmt.Errorf("GET %s: %w: more than the %d bytes declared", b.url, ErrLengthMismatch, a.end)
	}
	return io.EOF
}

// settle handles err, which ended reading from the current response: the
// body ends, or goes on in a new response, or fails.
func (b *body) settle(err error) {
	a := b.cur
	if err == io.EOF {
		switch {
		case a.end < 0 && (b.total < 0 || a.pos >= b.total):
			// A body without a declared length ends where it ends.
			b.finish(io.EOF)
			return
		case a.end >= 0 && a.pos >= a.end:
			if b.end < 0 || b.next >= b.end || b.total < 0 {
				b.finish(io.EOF)
				return
			}
			// The server sent all it declared, but less than asked for:
			// some servers cap the size of a part. Ask for the rest; each
			// part delivers at least one byte, so this ends.
			if err = b.reopen(); err == nil {
				return
			}
		default:
			err = io.ErrUnexpectedEOF
		}
	}
	b.resume(err)
}

// resume tries to continue the body after cut, as often as the policy
// allows, or fails the body.
func (b *body) resume(cut error) {
	for failure := cut; ; {
		if b.ctx.Err() != nil {
			b.fail(nil)
			return
		}
		if !IsRetryable(failure) {
			if failure == cut {
				b.fail(fmt.Errorf("GET %s: at byte %d: %w", b.url, b.next, cut))
			} else {
				b.fail(fmt.Errorf("GET %s: body cut at byte %d: %w; resuming failed: %w", b.url, b.next, cut, failure))
			}
			return
		}
		if b.noResume != nil {
			b.fail(fmt.Errorf("GET %s: body cut at byte %d: %w; cannot resume: %w", b.url, b.next, cut, b.noResume))
			return
		}
		d, ok := b.policy.next(b.resumes, failure)
		if !ok {
			b.fail(&RetryError{
				Attempts: b.resumes + 1,
				Err:      fmt.Errorf("GET %s: body cut at byte %d: %w", b.url, b.next, failure),
			})
			return
		}
		if err := b.policy.sleep(b.ctx, d); err != nil {
			b.fail(err)
			return
		}
		b.resumes++
		if failure = b.reopen(); failure == nil {
			return
		}
	}
}

// reopen replaces the current response with one from b.next on, asked for
// with If-Range so that a changed resource answers 200 rather than splicing
// bytes of another version.
func (b *body) reopen() error {
	b.cur.close()
	r := Range{Start: b.next}
	if b.end >= 0 {
		r.End = b.end
	}
	a, err := b.c.send(b.ctx, http.MethodGet, b.url, b.header, r.String(), b.validator(), true)
	if err != nil {
		return err
	}
	if !success(a.resp.StatusCode) {
		return a.httpError(b.url)
	}
	if err := b.check(a, r); err != nil {
		a.close()
		return err
	}
	b.mu.Lock()
	b.cur = a
	b.mu.Unlock()
	if b.ctx.Err() != nil {
		// Close ran before cur was swapped and released the old response.
		a.close()
	}
	return nil
}

// check verifies that a resumed response is the rest of the same resource.
func (b *body) check(a *attempt, r Range) error {
	resp := a.resp
	if b.changed(resp.Header) {
		return fmt.Errorf("%w: validators differ on resume (ETag %q, Last-Modified %q; now %q, %q)",
			ErrResourceChanged, b.etag, b.lastModified, resp.Header.Get("ETag"), resp.Header.Get("Last-Modified"))
	}
	if resp.StatusCode != http.StatusPartialContent {
		return fmt.Errorf("%w: status %d to %s", ErrRangeNotSupported, resp.StatusCode, r)
	}
	raw := resp.Header.Get("Content-Range")
	cr, err := parseContentRange(raw)
	if err != nil {
		return err
	}
	if cr.First != r.Start || (!r.open() && cr.Last >= r.End) {
		return fmt.Errorf("%w: asked %s, got Content-Range %q", ErrContentRange, r, raw)
	}
	if resp.ContentLength >= 0 && resp.ContentLength != cr.Len() {
		return fmt.Errorf("%w: Content-Length %d for Content-Range %q", ErrContentRange, resp.ContentLength, raw)
	}
	if b.total >= 0 && cr.Total >= 0 && cr.Total != b.total {
		return fmt.Errorf("%w: size was %d, now %d", ErrResourceChanged, b.total, cr.Total)
	}
	if b.total < 0 && cr.Total >= 0 {
		b.total = cr.Total
		if b.end < 0 {
			b.end = cr.Total
		}
	}
	a.pos, a.end = cr.First, cr.Last+1
	return nil
}

// validator returns the If-Range value: the ETag when it is strong (weak
// ones are not allowed there), else Last-Modified, else nothing, and then
// only the size can reveal a change.
func (b *body) validator() string {
	if b.etag != "" && !strings.HasPrefix(b.etag, "W/") {
		return b.etag
	}
	return b.lastModified
}

// changed reports validators of a resumed response that differ from the
// first response's.
func (b *body) changed(h http.Header) bool {
	etag, lm := h.Get("ETag"), h.Get("Last-Modified")
	return (b.etag != "" && etag != "" && etag != b.etag) ||
		(b.lastModified != "" && lm != "" && lm != b.lastModified)
}

// finish ends the body with err (io.EOF for success) and releases it.
func (b *body) finish(err error) {
	b.err = err
	b.cur.close()
	b.cancel(nil)
}

// fail ends the body with err, or with the reason its context is done.
func (b *body) fail(err error) {
	if b.ctx.Err() != nil {
		err = b.stopped()
	}
	b.finish(err)
}

// stopped returns the error of a body whose context is done: ErrBodyClosed
// after Close, else the caller's cancellation or deadline.
func (b *body) stopped() error {
	cause := context.Cause(b.ctx)
	if errors.Is(cause, ErrBodyClosed) {
		return ErrBodyClosed
	}
	return fmt.Errorf("GET %s: at byte %d: %w", b.url, b.next, cause)
}

// Close ends the body; a Read in progress on another goroutine returns
// ErrBodyClosed.
func (b *body) Close() error {
	b.cancel(ErrBodyClosed)
	b.mu.Lock()
	a := b.cur
	b.mu.Unlock()
	a.close()
	return nil
}

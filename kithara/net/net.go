package net

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// Net fetches resources over HTTP.
//
// Every method takes a context that cancels the call (and, for streams, the
// body) and optional extra request headers; header may be nil, and its Range
// and If-Range entries are ignored because ranges are the client's to manage. URLs must be
// absolute http or https URLs, otherwise the call fails with [ErrInvalidURL]
// before any request is made. A response outside 2xx is an [*HTTPError].
type Net interface {
	// GetBytes returns the whole body of url.
	GetBytes(ctx context.Context, url string, header http.Header) ([]byte, error)
	// GetStream opens the body of url for streaming. The caller must close
	// the returned stream's Body.
	GetStream(ctx context.Context, url string, header http.Header) (*Stream, error)
	// GetRange opens the bytes of url in r for streaming. The body holds
	// exactly the requested bytes (fewer only when the resource ends inside
	// r), whether the server answered 206 or ignored the range and sent the
	// whole resource with 200. The caller must close the returned stream's
	// Body.
	GetRange(ctx context.Context, url string, r Range, header http.Header) (*Stream, error)
	// Head probes url with a HEAD request and returns its metadata.
	Head(ctx context.Context, url string, header http.Header) (*Meta, error)
}

// Meta describes a response: where it came from and what its body holds.
type Meta struct {
	// URL is the final URL of the response, after redirects.
	URL string
	// Status is the HTTP status code: 200 or 206 for a success.
	Status int
	// Header holds the response headers.
	Header http.Header
	// ContentLength is the number of bytes the body delivers, or -1 when
	// unknown.
	ContentLength int64
	// Offset is the position in the resource of the body's first byte: the
	// start of the requested range, 0 for a whole resource.
	Offset int64
	// Total is the size of the whole resource, or -1 when unknown.
	Total int64
	// ContentType is the Content-Type header.
	ContentType string
	// AcceptRanges reports whether the server advertised byte ranges
	// (Accept-Ranges: bytes, or a 206 answer).
	AcceptRanges bool
	// ETag and LastModified are the resource's validators, empty when absent.
	ETag, LastModified string
}

// Stream is an open response body with its metadata.
type Stream struct {
	Meta
	// Body yields the response bytes. Reading past the end returns io.EOF
	// only when every byte the response declared was delivered; a body cut
	// short fails with an error wrapping io.ErrUnexpectedEOF. Body must be
	// closed, and Close may be called concurrently with Read to abort it.
	Body io.ReadCloser
}

// Range is the half-open byte interval [Start, End) of a resource. End == 0
// means "to the end of the resource", so Range{Start: n} is every byte from n.
type Range struct {
	Start, End int64
}

// validate reports a range that cannot be sent.
func (r Range) validate() error {
	if r.Start < 0 || r.End < 0 || (r.End != 0 && r.End <= r.Start) {
		return fmt.Errorf("%w: %s", ErrInvalidRange, r)
	}
	return nil
}

// open reports whether the range runs to the end of the resource.
func (r Range) open() bool { return r.End == 0 }

// String formats r as the value of a Range request header.
func (r Range) String() string {
	if r.open() {
		return fmt.Sprintf("bytes=%d-", r.Start)
	}
	return fmt.Sprintf("bytes=%d-%d", r.Start, r.End-1)
}

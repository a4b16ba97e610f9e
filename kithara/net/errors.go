package net

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"
)

// Sentinel errors callers can branch on with errors.Is.
var (
	// ErrInvalidURL reports a URL that is not an absolute http or https URL.
	ErrInvalidURL = errors.New("invalid URL")
	// ErrInvalidRange reports a Range that cannot be requested.
	ErrInvalidRange = errors.New("invalid byte range")
	// ErrTimeout reports that a request or a stalled body ran out of time.
	// It is retryable; a deadline of the caller's own context is not, and is
	// reported as context.DeadlineExceeded instead.
	ErrTimeout = errors.New("timeout")
	// ErrBodyTooLarge reports a body longer than Options.MaxBodySize.
	ErrBodyTooLarge = errors.New("body too large")
	// ErrContentRange reports a response whose Content-Range or status does
	// not answer the range that was asked for.
	ErrContentRange = errors.New("response does not match the requested range")
	// ErrLengthMismatch reports a body longer than the length its headers
	// declared. A body that ends early wraps io.ErrUnexpectedEOF instead.
	ErrLengthMismatch = errors.New("body longer than declared")
	// ErrRangeNotSupported reports that a body could not be resumed because
	// the server does not serve byte ranges.
	ErrRangeNotSupported = errors.New("server does not support byte ranges")
	// ErrResourceChanged reports that the resource changed (ETag,
	// Last-Modified or size) between the first response and a resumed one.
	ErrResourceChanged = errors.New("resource changed")
	// ErrBodyClosed is returned by Read on a stream body after Close.
	ErrBodyClosed = errors.New("read on closed body")
)

// maxErrorBody bounds how much of an error response is kept in HTTPError.
const maxErrorBody = 4 << 10

// HTTPError reports a response whose status is not 2xx.
type HTTPError struct {
	// Status is the HTTP status code.
	Status int
	// URL is the requested URL.
	URL string
	// Body is the start of the response body, at most 4 KiB.
	Body []byte
	// RetryAfter is the delay asked for by a Retry-After header, 0 when absent.
	RetryAfter time.Duration
}

// Error describes the status, the URL and, when it is short text, the body.
func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("%s: HTTP %d %s", e.URL, e.Status, http.StatusText(e.Status))
	if len(e.Body) > 0 && len(e.Body) <= 200 && printable(e.Body) {
		msg += fmt.Sprintf(": %q", e.Body)
	}
	return msg
}

// Retryable reports whether the status is worth another try: any 5xx, 408
// Request Timeout and 429 Too Many Requests.
func (e *HTTPError) Retryable() bool {
	return e.Status >= 500 || e.Status == http.StatusRequestTimeout || e.Status == http.StatusTooManyRequests
}

func printable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' || c >= 0x7f {
			return false
		}
	}
	return true
}

// RetryError reports a call that failed on every attempt [WithRetry] or a
// resuming body allowed. It unwraps to the last failure, so errors.As still
// finds an [*HTTPError]; it is not itself retryable, so stacked retry layers
// do not multiply attempts.
type RetryError struct {
	// Attempts counts the tries made, the first one included.
	Attempts int
	// Err is the last failure.
	Err error
}

// Error describes the number of attempts and the last failure.
func (e *RetryError) Error() string {
	return fmt.Sprintf("gave up after %d attempts: %v", e.Attempts, e.Err)
}

// Unwrap returns the last failure.
func (e *RetryError) Unwrap() error { return e.Err }

// IsRetryable reports whether err is a transient failure worth another try:
// a timeout (ErrTimeout or a network timeout), a connection refused, reset or
// cut, or an [*HTTPError] with a retryable status. Cancellation and the
// caller's own deadline, invalid input, invalid or changed responses, a
// server without range support and a [*RetryError] are not.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	var re *RetryError
	if errors.As(err, &re) {
		return false
	}
	for _, fatal := range []error{
		context.Canceled, context.DeadlineExceeded, ErrBodyClosed,
		ErrInvalidURL, ErrInvalidRange, ErrBodyTooLarge, ErrContentRange,
		ErrLengthMismatch, ErrRangeNotSupported, ErrResourceChanged,
	} {
		if errors.Is(err, fatal) {
			return false
		}
	}
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Retryable()
	}
	if errors.Is(err, ErrTimeout) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return true
	}
	for _, errno := range []error{syscall.ECONNRESET, syscall.ECONNREFUSED, syscall.ECONNABORTED, syscall.EPIPE} {
		if errors.Is(err, errno) {
			return true
		}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe)
}

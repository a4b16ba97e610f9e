package storage

import "errors"

// Errors returned by resources. They are wrapped with the path and offsets
// involved; test for them with errors.Is.
var (
	// ErrInvalidRange reports a negative offset, an inverted range or an
	// offset that overflows int64.
	ErrInvalidRange = errors.New("invalid byte range")
	// ErrFailed marks the error of a resource that was failed with Fail. That
	// error also wraps the cause given to Fail, and reads as the cause alone.
	ErrFailed = errors.New("resource failed")
	// ErrClosed reports use of a closed resource.
	ErrClosed = errors.New("resource closed")
	// ErrCommitted reports a write to a committed resource, or a second
	// Commit with another length.
	ErrCommitted = errors.New("resource already committed")
	// ErrIncomplete reports a Commit whose length covers bytes that were
	// never written, or that leaves written bytes past the end.
	ErrIncomplete = errors.New("resource incomplete")
	// ErrUnavailable is returned by ReadAt when the bytes asked for have not
	// been written yet; WaitRange first to avoid it.
	ErrUnavailable = errors.New("bytes not yet available")
)

package file

import "errors"

// Errors a caller may need to tell apart.
var (
	// ErrInvalidURL reports a URL that is not an absolute http or https URL.
	ErrInvalidURL = errors.New("file: invalid URL")
	// ErrLengthMismatch reports a body whose length differs from the one the
	// server declared (in HEAD or in the GET response).
	ErrLengthMismatch = errors.New("body length differs from the declared length")
	// ErrStopped is the cause a download is failed with when its Source is
	// closed before it finished.
	ErrStopped = errors.New("stopped before the end")
)

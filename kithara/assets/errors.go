package assets

import "errors"

// Errors returned by the store, wrapped with the name involved.
var (
	// ErrInvalidKey reports a resource key that is empty, absolute, has
	// empty, "." or ".." segments, a reserved leading dot, or bytes that are
	// unsafe in a file name.
	ErrInvalidKey = errors.New("invalid resource key")
	// ErrInvalidRoot reports an asset root that is not a single safe path
	// segment, or one reserved for the store.
	ErrInvalidRoot = errors.New("invalid asset root")
	// ErrInvalidURL reports a URL without a scheme or host.
	ErrInvalidURL = errors.New("invalid URL")
	// ErrClosed reports use of a closed store or lease.
	ErrClosed = errors.New("asset store closed")
)

package aac

import "errors"

// Errors callers branch on; the decoder wraps them with context. Test with
// errors.Is. Package decode maps them to its own sentinels.
var (
	// ErrUnsupported reports a valid stream this package does not decode:
	// an object type other than AAC-LC (HE-AAC's SBR/PS among them), more
	// than two channels, a 960-sample frame, a coupling channel.
	ErrUnsupported = errors.New("aac: unsupported stream")
	// ErrInvalid reports bytes that are not a valid AAC bitstream or header.
	ErrInvalid = errors.New("aac: invalid bitstream")
)

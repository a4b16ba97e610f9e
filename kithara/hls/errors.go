package hls

import (
	"errors"
	"fmt"
)

// Sentinel errors that callers branch on with errors.Is. Parse errors wrap
// one of them when it applies.
var (
	// ErrLive reports a media playlist without #EXT-X-ENDLIST: a live or
	// still-growing playlist, which this package does not play.
	ErrLive = errors.New("live playlists are not supported (VOD only)")
	// ErrUnsupported reports a playlist feature this package does not
	// implement, such as SAMPLE-AES encryption or byte-range segments.
	ErrUnsupported = errors.New("unsupported")
	// ErrNotMaster reports a media playlist given to ParseMaster.
	ErrNotMaster = errors.New("not a master playlist")
	// ErrNotMedia reports a master playlist given to ParseMedia.
	ErrNotMedia = errors.New("not a media playlist")
	// ErrKey reports an unusable AES-128 key: wrong length, or a key
	// processor that failed.
	ErrKey = errors.New("bad AES-128 key")
	// ErrDecrypt reports ciphertext that does not decrypt: a length that is
	// not a multiple of the block size, or bad PKCS#7 padding.
	ErrDecrypt = errors.New("AES-128 decrypt")
)

// ParseError is a playlist syntax or semantic error at a line.
type ParseError struct {
	// Name identifies the playlist, usually the last element of its URL.
	Name string
	// Line is the 1-based line number, or 0 for an error about the whole
	// playlist (such as a missing #EXT-X-ENDLIST).
	Line int
	// Msg describes the problem.
	Msg string
	// Err is the sentinel the error wraps (ErrLive, ErrUnsupported, ...), or nil.
	Err error
}

// Error formats the error as "name:line: msg", the way compilers do.
func (e *ParseError) Error() string {
	msg := e.Msg
	if e.Err != nil {
		msg = e.Msg + ": " + e.Err.Error()
	}
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.Name, msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.Name, e.Line, msg)
}

// Unwrap returns the wrapped sentinel.
func (e *ParseError) Unwrap() error { return e.Err }

// ErrClosed reports use of a closed HlsSource.
var ErrClosed = errors.New("hls: source closed")

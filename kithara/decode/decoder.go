package decode

import (
	"errors"
	"time"
)

// Decoder produces PCM from one compressed stream.
//
// A Decoder is not safe for concurrent use.
type Decoder interface {
	// Next decodes the next chunk. The caller owns the returned chunk. At the
	// end of the stream Next returns io.EOF; errors that leave the stream
	// undecodable from here (a truncated file, a failed read) are returned
	// with context and also end decoding until a Seek.
	Next() (Chunk, error)
	// Seek moves so that the next chunk starts at media time t, clamped to
	// the stream, and returns the time it landed on. Decoders land on the
	// exact frame when the stream is intact.
	Seek(t time.Duration) (time.Duration, error)
	// Format reports the format of the stream as its first frame declares
	// it. Chunks carry their own format, which may change mid-stream (an
	// HLS variant switch in a concatenated MP3 stream).
	Format() Format
	// Duration reports the media duration when the container declares it.
	Duration() (time.Duration, bool)
}

// Errors callers branch on. Decoders wrap them with context; test with
// errors.Is.
var (
	// ErrUnsupported reports a codec or container this package cannot decode
	// (HE-AAC and AAC other than mono or stereo AAC-LC among them).
	ErrUnsupported = errors.New("decode: unsupported format")
	// ErrTruncated reports a stream that ends before its container says it
	// should, or in the middle of a frame.
	ErrTruncated = errors.New("decode: stream truncated")
	// ErrNotAudio reports input that has no recognisable audio at all.
	ErrNotAudio = errors.New("decode: no audio stream found")
)

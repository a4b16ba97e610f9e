//go:build !hotpath

package decode

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// ErrEvicted reports a read of frames a bounded PCMBuffer no longer holds.
var ErrEvicted = errors.New("decode: frames evicted from the PCM buffer")

// PCMBuffer holds decoded PCM for random access by frame while it is being
// produced: one goroutine appends, others read any frame it holds and wait
// for frames still to come.
//
// Frame 0 is at media time Origin (the position of the last Reset, as after a
// seek). A buffer made with a frame limit keeps at least the newest limit
// frames and forgets older ones; without a limit it keeps everything.
//
// A PCMBuffer is safe for concurrent use.
type PCMBuffer struct {
	mu      sync.Mutex
	format  Format
	limit   int64
	origin  time.Duration
	start   int64     // frame number of data[0]
	data    []float32 // frames start .. start+len(data)/channels
	ended   bool
	err     error
	changed chan struct{} // closed, and replaced, on every change
}

// NewPCMBuffer returns an empty buffer for PCM of format f keeping at least
// the newest limit frames; limit <= 0 keeps all of them. A format without
// channels is taken as mono.
func NewPCMBuffer(f Format, limit int64) *PCMBuffer {
	f.Channels = max(f.Channels, 1)
	changed := make(chan struct{})
	return &PCMBuffer{format: f, limit: max(limit, 0), changed: changed}
}

// Format reports the format of the frames held.
func (b *PCMBuffer) Format() Format { return b.format }

// Append copies the frames of c to the end of the buffer. c must be in the
// buffer's format.
func (b *PCMBuffer) Append(c Chunk) error {
	if c.Format != b.format && c.Frames() > 0 {
		return fmt.Errorf("decode: append %v to a PCM buffer of %v", c.Format, b.format)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.data = append(b.data, c.Samples...)
	if b.limit > 0 {
		// Forget the oldest frames in batches, once twice the limit is
		// held, so that appending stays amortised O(1).
		ch := b.format.Channels
		if held := int64(len(b.data) / ch); held > 2*b.limit {
			drop := held - b.limit
			n := copy(b.data, b.data[int(drop)*ch:])
			b.data = b.data[:n]
			b.start += drop
		}
	}
	b.notify()
	return nil
}

// Finish marks the end of the frames: a nil err for the end of the stream,
// or the error that stopped decoding.
func (b *PCMBuffer) Finish(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.ended, b.err = true, err
	b.notify()
}

// Reset empties the buffer; frame 0 is then at media time origin.
func (b *PCMBuffer) Reset(origin time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.origin, b.start, b.data = origin, 0, b.data[:0]
	b.ended, b.err = false, nil
	b.notify()
}

// Origin reports the media time of frame 0.
func (b *PCMBuffer) Origin() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.origin
}

// Frames reports how many frames have been appended since the last Reset.
func (b *PCMBuffer) Frames() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.frames()
}

func (b *PCMBuffer) frames() int64 { return b.start + int64(len(b.data)/b.format.Channels) }

// Ended reports whether Finish was called, and with which error.
func (b *PCMBuffer) Ended() (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ended, b.err
}

// ReadFrames copies frames from frame off on into dst (whole frames, as many
// as dst holds and the buffer has) and returns how many it copied. It never
// waits: when off is not there yet it returns 0 and no error. At or past the
// end of a finished buffer it returns io.EOF, or the error Finish was given;
// before the oldest frame held it returns ErrEvicted.
func (b *PCMBuffer) ReadFrames(off int64, dst []float32) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ch := b.format.Channels
	switch {
	case off < b.start:
		return 0, fmt.Errorf("read frame %d, oldest held %d: %w", off, b.start, ErrEvicted)
	case off >= b.frames() && b.ended:
		if b.err != nil {
			return 0, b.err
		}
		return 0, io.EOF
	case off >= b.frames():
		return 0, nil
	}
	n := copy(dst[:len(dst)/ch*ch], b.data[int(off-b.start)*ch:])
	return n / ch, nil
}

// WaitFrames blocks until the buffer holds frames up to end (exclusive), is
// finished, or ctx is done (then it returns ctx.Err()).
func (b *PCMBuffer) WaitFrames(ctx context.Context, end int64) error {
	for {
		b.mu.Lock()
		ready := b.frames() >= end || b.ended
		changed := b.changed
		b.mu.Unlock()
		if ready {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// notify wakes the waiters; b.mu must be held.
func (b *PCMBuffer) notify() {
	close(b.changed)
	b.changed = make(chan struct{})
}

package hls

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/hotpath-go/hotpath/kithara/stream"
)

// StreamInfo describes the segment at an offset of an HlsSource's byte
// space, as a decoder of the elementary stream there needs it.
type StreamInfo struct {
	// Codec is what the segment's elementary stream holds.
	Codec AudioCodec
	// Priming is the encoder delay in samples an fMP4 edit list declares,
	// or -1 when the container declares none.
	Priming int64
	// Variant and Segment name the segment.
	Variant, Segment int
	// Start is the segment's start on the presentation timeline.
	Start time.Duration
}

// StreamAt waits until the bytes at off are published and describes the
// segment that holds them (the segment after it, when off is at an init
// section). It returns io.EOF when off is at or past the end of the
// presentation.
func (s *HlsSource) StreamAt(ctx context.Context, off int64) (StreamInfo, error) {
	return s.index.streamAt(ctx, off)
}

func (x *segmentIndex) streamAt(ctx context.Context, off int64) (StreamInfo, error) {
	for pos := off; ; {
		if err := x.WaitRange(ctx, pos, pos+1); err != nil {
			return StreamInfo{}, err
		}
		x.mu.Lock()
		var e entry
		i := -1
		if r := x.runAt(pos); r != nil {
			if i = r.entryAt(pos); i >= 0 {
				e = r.entries[i]
			}
		}
		x.mu.Unlock()
		switch {
		case i < 0:
			return StreamInfo{}, fmt.Errorf("hls: no segment at offset %d", pos)
		case e.segment >= 0:
			return StreamInfo{Codec: e.codec, Priming: e.priming, Variant: e.variant, Segment: e.segment, Start: e.t0}, nil
		}
		pos = e.end
	}
}

// CodecRun returns the byte space from off on as a stream.Source that ends
// where the codec of the elementary stream changes (a variant switch to
// another codec or container family) or where the presentation ends: the
// stretch one decoder reads. Its offset 0 is off. End reports where it
// ended, once it has.
func (s *HlsSource) CodecRun(off int64, codec AudioCodec) *CodecRun {
	return &CodecRun{x: s.index, off: off, codec: codec}
}

// CodecRun is a stretch of the byte space with one codec; see
// HlsSource.CodecRun.
type CodecRun struct {
	x     *segmentIndex
	off   int64
	codec AudioCodec
}

var _ stream.Source = (*CodecRun)(nil)

// End returns the offset in the byte space where the run ends, when that is
// known: the start of the first segment with another codec, or the end of
// the presentation.
func (c *CodecRun) End() (int64, bool) {
	c.x.mu.Lock()
	defer c.x.mu.Unlock()
	r := c.x.runAt(c.off)
	if r == nil {
		return 0, false
	}
	i := r.entryAt(c.off)
	if i < 0 {
		i = len(r.entries)
		if c.off < r.end {
			return 0, false
		}
	}
	for ; i < len(r.entries); i++ {
		e := &r.entries[i]
		if e.segment >= 0 && e.codec != c.codec {
			return r.startOf(i), true
		}
	}
	if r.finished || r != c.x.current() {
		return r.end, true
	}
	return 0, false
}

// WaitRange implements stream.Source: it waits as the byte space does and
// ends at the run's end.
func (c *CodecRun) WaitRange(ctx context.Context, start, end int64) error {
	a, b := c.off+start, c.off+end
	if e, ok := c.End(); ok {
		if a >= e {
			return io.EOF
		}
		b = min(b, e)
	}
	if err := c.x.WaitRange(ctx, a, b); err != nil {
		return err
	}
	if e, ok := c.End(); ok && a >= e {
		return io.EOF
	}
	return nil
}

// ReadAt implements stream.Source: it reads the byte space, up to the run's
// end.
func (c *CodecRun) ReadAt(p []byte, off int64) (int, error) {
	a := c.off + off
	if e, ok := c.End(); ok {
		if a >= e {
			return 0, io.EOF
		}
		if a+int64(len(p)) > e {
			n, err := c.x.ReadAt(p[:e-a], a)
			if err == nil {
				err = io.EOF
			}
			return n, err
		}
	}
	return c.x.ReadAt(p, a)
}

// Len implements stream.Source: the run's length once its end is known.
func (c *CodecRun) Len() (int64, bool) {
	e, ok := c.End()
	if !ok {
		return 0, false
	}
	return max(e-c.off, 0), true
}

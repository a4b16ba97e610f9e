package decode

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/mewkiz/flac"

	"github.com/hotpath-go/hotpath/kithara/bufpool"
)

// FLACDecoder decodes a native FLAC stream with github.com/mewkiz/flac, one
// FLAC frame per chunk.
//
// A stream that ends early (inside a frame, or before the sample count that
// STREAMINFO declares) is an error wrapping ErrTruncated, never a silent
// short read.
type FLACDecoder struct {
	s      *flac.Stream
	format Format
	total  int64 // samples per channel from STREAMINFO; 0 if unknown
	pos    int64 // sample number of the next frame
	skip   int   // samples to drop from the next frame (the rest of a seek)
	err    error // sticky; cleared by Seek
}

var _ Decoder = (*FLACDecoder)(nil)

// NewFLACDecoder parses the FLAC signature and metadata of r (from offset 0)
// and returns a decoder at the first frame.
func NewFLACDecoder(r io.ReadSeeker) (*FLACDecoder, error) {
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("flac: seek to start: %w", err)
	}
	s, err := flac.NewSeek(r)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("flac: read metadata: %w (%w)", ErrTruncated, err)
		}
		return nil, fmt.Errorf("flac: read metadata: %w", err)
	}
	info := s.Info
	if info.SampleRate == 0 || info.NChannels == 0 {
		return nil, fmt.Errorf("flac: STREAMINFO declares %d Hz, %d channels: %w", info.SampleRate, info.NChannels, ErrUnsupported)
	}
	return &FLACDecoder{
		s:      s,
		format: Format{SampleRate: int(info.SampleRate), Channels: int(info.NChannels)},
		total:  int64(info.NSamples),
	}, nil
}

// Format reports the format STREAMINFO declares.
func (d *FLACDecoder) Format() Format { return d.format }

// Duration reports the duration STREAMINFO declares, if it declares one.
func (d *FLACDecoder) Duration() (time.Duration, bool) {
	if d.total == 0 {
		return 0, false
	}
	return framesToDuration(d.total, d.format.SampleRate), true
}

// Next decodes the next frame.
func (d *FLACDecoder) Next() (Chunk, error) {
	if d.err != nil {
		return Chunk{}, d.err
	}
	for {
		f, err := d.s.ParseNext()
		switch {
		case errors.Is(err, io.EOF) && (d.total == 0 || d.pos >= d.total):
			return Chunk{}, io.EOF
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			d.err = fmt.Errorf("flac: frame at sample %d of %d: %w (%w)", d.pos, d.total, ErrTruncated, err)
			return Chunk{}, d.err
		case err != nil:
			d.err = fmt.Errorf("flac: frame at sample %d: %w", d.pos, err)
			return Chunk{}, d.err
		}
		n := int(f.BlockSize)
		ch := len(f.Subframes)
		if ch == 0 || n == 0 || f.SampleRate == 0 || f.BitsPerSample < 4 || f.BitsPerSample > 32 {
			d.err = fmt.Errorf("flac: frame at sample %d: %d channels, %d samples, %d Hz, %d bits: %w",
				d.pos, ch, n, f.SampleRate, f.BitsPerSample, ErrUnsupported)
			return Chunk{}, d.err
		}
		for _, sub := range f.Subframes {
			if len(sub.Samples) < n {
				d.err = fmt.Errorf("flac: frame at sample %d: a subframe of %d samples in a block of %d", d.pos, len(sub.Samples), n)
				return Chunk{}, d.err
			}
		}
		// Not f.SampleNumber(): mewkiz/flac multiplies the frame number by the
		// frame's own size, which is wrong for the last, shorter frame.
		start := d.pos
		d.pos = start + int64(n)
		lo := min(d.skip, n)
		d.skip = 0
		if d.total > 0 && d.pos > d.total { // never play past the declared end
			n = int(max(d.total-start, 0))
		}
		if lo >= n {
			continue
		}
		format := Format{SampleRate: int(f.SampleRate), Channels: ch}
		out := bufpool.Float32.Get((n - lo) * ch)
		scale := 1 / float32(int64(1)<<(f.BitsPerSample-1))
		for c, sub := range f.Subframes {
			for i, v := range sub.Samples[lo:n] {
				out[i*ch+c] = float32(v) * scale
			}
		}
		t := framesToDuration(start+int64(lo), format.SampleRate)
		return Chunk{Format: format, Samples: out, Time: t}, nil
	}
}

// Seek moves to media time t, clamped to the stream. mewkiz/flac seeks to the
// frame holding the target sample (building a seek table by decoding the
// stream the first time when the file has none); the samples before the
// target are dropped from that frame, so Seek is exact.
func (d *FLACDecoder) Seek(t time.Duration) (time.Duration, error) {
	rate := d.format.SampleRate
	sample := durationToFrames(max(t, 0), rate)
	end := d.total > 0 && sample >= d.total
	if end {
		// Park inside the last frame and drop all of it: mewkiz/flac
		// refuses to seek to the end itself.
		sample = d.total
	}
	target := sample
	if end {
		target = d.total - 1
	}
	start, err := d.seekFrame(target)
	if err != nil {
		d.err = fmt.Errorf("flac: seek to sample %d: %w", sample, err)
		return 0, d.err
	}
	d.pos, d.skip, d.err = start, int(sample-start), nil
	return framesToDuration(sample, rate), nil
}

// seekFrame positions the stream at the frame holding sample and returns
// that frame's first sample.
func (d *FLACDecoder) seekFrame(sample int64) (int64, error) {
	start, err := d.s.Seek(uint64(sample))
	if err == nil {
		return int64(start), nil
	}
	// mewkiz/flac misplaces the last frame of a fixed-block-size stream
	// (see Next) and runs off the end looking for it. Land on the frame
	// before it instead, and step over that one.
	bs := int64(d.s.Info.BlockSizeMax)
	if !errors.Is(err, io.EOF) || bs == 0 || sample < bs {
		return 0, err
	}
	prev, err := d.s.Seek(uint64(sample - bs))
	if err != nil {
		return 0, err
	}
	f, err := d.s.ParseNext()
	if err != nil {
		return 0, err
	}
	return int64(prev) + int64(f.BlockSize), nil
}

package player

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hotpath-go/hotpath/kithara/decode"
	"github.com/hotpath-go/hotpath/kithara/hls"
	"github.com/hotpath-go/hotpath/kithara/stream"
)

// hlsDecoder decodes an HLS byte space from an offset on, whatever codecs
// its variants use. The hls package takes every segment out of its
// container (MPEG-TS, fMP4, packed audio), so the byte space is an
// elementary stream: ADTS for AAC, frames for MP3. Consecutive segments
// with one codec are one stream for one decoder, so joins inside a variant,
// and switches between variants with the same codec, are sample-accurate.
// Where a variant switch changes the codec, the decoder of the old codec
// reaches the end of its stretch (hls.CodecRun), and a decoder of the new
// one is opened at the boundary, its chunks placed on the timeline right
// after the old decoder's last: no gap, and the pipeline's resampler takes
// the format change.
type hlsDecoder struct {
	ctx    context.Context
	cancel context.CancelFunc
	src    *hls.HlsSource

	origin time.Duration // presentation time of chunk time 0
	format Format

	cur    decode.Decoder
	run    *hls.CodecRun
	reader *stream.SyncReader
	shift  time.Duration // added to cur's chunk times
	end    time.Duration // where the last chunk returned ended
	// mp3Delay is the LAME encoder delay of the presentation's first MP3
	// segment, for MP3 decoders opened at later segments (whose own tags
	// do not carry it); 0 when unknown.
	mp3Delay int
}

// Format is decode.Format, named here for brevity.
type Format = decode.Format

var _ decode.Decoder = (*hlsDecoder)(nil)

// newHLSDecoder opens a decoder at offset off of src, where a segment (or
// the init section before one) starts. Chunk time 0 is that segment's
// start, which Origin reports. ctx bounds the background reads; Close ends
// them.
func newHLSDecoder(ctx context.Context, src *hls.HlsSource, off int64, mp3Delay int) (*hlsDecoder, error) {
	ctx, cancel := context.WithCancel(ctx)
	d := &hlsDecoder{ctx: ctx, cancel: cancel, src: src, mp3Delay: mp3Delay}
	info, err := src.StreamAt(ctx, off)
	if err != nil {
		cancel()
		return nil, err
	}
	d.origin = info.Start
	if err := d.open(off, info, 0); err != nil {
		cancel()
		return nil, err
	}
	d.format = d.cur.Format()
	return d, nil
}

// Origin reports the presentation time of chunk time 0.
func (d *hlsDecoder) Origin() time.Duration { return d.origin }

// open starts a decoder for the stretch of info's codec from off on, whose
// chunks start at time shift.
func (d *hlsDecoder) open(off int64, info hls.StreamInfo, shift time.Duration) error {
	run := d.src.CodecRun(off, info.Codec)
	r := stream.NewSyncReader(d.ctx, run)
	var (
		dec decode.Decoder
		err error
	)
	switch info.Codec {
	case hls.AudioAAC:
		// The priming is dropped wherever the decoder starts: at segment 0
		// it is the encoder delay; at a later segment it puts the first
		// sample kept at the segment's start on the timeline the
		// continuous decode has (its first access unit's output lies
		// priming samples before it), and it drops the one access unit
		// decoded without the overlap of the one before.
		var opts decode.AACOptions
		if info.Priming >= 0 {
			opts.Priming, opts.PrimingKnown = int(info.Priming), true
		}
		dec, err = decode.NewADTSDecoder(r, opts)
	case hls.AudioMP3:
		// Segments may each carry a Xing/LAME frame (ffmpeg's segment
		// muxer writes one per segment).
		o := decode.MP3Options{Segmented: true}
		if info.Segment > 0 {
			o.EncoderDelay = d.mp3Delay
		}
		dec, err = decode.NewMP3DecoderWith(r, o)
	default:
		dec, err = decode.NewDecoder(r)
	}
	if err != nil {
		_ = r.Close()
		return fmt.Errorf("segment %d of variant %d (%v): %w", info.Segment, info.Variant, info.Codec, err)
	}
	if d.reader != nil {
		_ = d.reader.Close()
	}
	d.cur, d.run, d.reader, d.shift = dec, run, r, shift
	return nil
}

// Next decodes the next chunk, moving to a decoder of another codec where
// the stream changes codec.
func (d *hlsDecoder) Next() (decode.Chunk, error) {
	for {
		c, err := d.cur.Next()
		if err == nil {
			c.Time += d.shift
			d.end = c.Time + c.Duration()
			return c, nil
		}
		if !errors.Is(err, io.EOF) {
			return c, err
		}
		end, ok := d.run.End()
		if !ok {
			return decode.Chunk{}, fmt.Errorf("hls decoder: the %v stream ended before its stretch did", d.cur.Format())
		}
		info, err := d.src.StreamAt(d.ctx, end)
		if err != nil {
			return decode.Chunk{}, err // io.EOF at the end of the presentation
		}
		// The new decoder's audio follows the old one's without a gap
		// or an overlap: its first sample is the one after the old
		// decoder's last.
		if err := d.open(end, info, d.end); err != nil {
			return decode.Chunk{}, err
		}
	}
}

// Seek seeks inside the current codec's stretch (the player opens a new
// hlsDecoder for seeks further away).
func (d *hlsDecoder) Seek(t time.Duration) (time.Duration, error) {
	got, err := d.cur.Seek(max(t-d.shift, 0))
	return got + d.shift, err
}

// Format reports the format of the first stream.
func (d *hlsDecoder) Format() Format { return d.format }

// Duration is unknown: the player takes it from the playlist.
func (d *hlsDecoder) Duration() (time.Duration, bool) { return 0, false }

// Abort unblocks a read in progress and fails later ones; call it before
// closing the pipeline that runs the decoder.
func (d *hlsDecoder) Abort() { d.cancel() }

// Close aborts and closes the reader.
func (d *hlsDecoder) Close() error {
	d.cancel()
	if d.reader != nil {
		return d.reader.Close()
	}
	return nil
}

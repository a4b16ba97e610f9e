package decode

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hotpath-go/hotpath/kithara/decode/aac"
)

// DefaultAACPriming is the encoder delay assumed for an AAC stream whose
// container does not declare one: 2112 samples, Apple's and Nero's
// convention (1024 of encoder delay plus 1088 of filter bank), which is
// what most AAC in HLS carries. FFmpeg's own AAC encoder primes 1024.
const DefaultAACPriming = 2112

// AACOptions tells an AAC decoder about the gapless information its
// container carries, which an ADTS stream cannot.
type AACOptions struct {
	// Priming is the encoder delay in samples per channel: the number of
	// leading decoded samples to drop. It is used when PrimingKnown is set
	// (from an MP4 edit list, or an iTunSMPB tag); otherwise the decoder
	// drops DefaultAACPriming. Set PrimingKnown with Priming 0 to keep every
	// decoded sample.
	Priming      int
	PrimingKnown bool
	// Frames is the number of samples per channel the stream holds after
	// the priming (the edit list's duration, iTunSMPB's length); the
	// decoder drops the padding after them. 0 means unknown: everything
	// decoded is played.
	Frames int64
}

// priming returns the number of leading samples to drop.
func (o AACOptions) priming() int64 {
	if o.PrimingKnown {
		return int64(max(o.Priming, 0))
	}
	return DefaultAACPriming
}

// AccessUnits is a stream of raw AAC access units (MP4/fMP4 samples, one
// raw_data_block each), for [NewAACDecoder]. Next returns io.EOF at the end.
// The decoder is done with the returned slice when Next is called again.
type AccessUnits interface {
	Next() ([]byte, error)
}

// AccessUnitSeeker is an [AccessUnits] that can reposition: after
// SeekAccessUnit(i), Next returns access unit i (from 0). An AACDecoder
// over one can Seek; over a plain AccessUnits, Seek fails.
type AccessUnitSeeker interface {
	AccessUnits
	SeekAccessUnit(i int64) error
}

// AACDecoder decodes AAC-LC, mono or stereo, with package
// [github.com/hotpath-go/hotpath/kithara/decode/aac]: from an ADTS byte
// stream ([NewADTSDecoder]: HLS packed audio, the payload of MPEG-TS) or from
// an AudioSpecificConfig and raw access units ([NewAACDecoder]: MP4, fMP4).
// Each chunk is one access unit, 1024 frames, less what gapless trimming
// drops.
//
// Priming is trimmed as [AACOptions] says (DefaultAACPriming when the
// container says nothing), and media time 0 is the first sample after it.
// Over ADTS, Seek is sample-accurate: it scans frame headers to the access
// unit before the target, decodes it for the overlap, and drops samples up
// to the target.
type AACDecoder struct {
	format Format
	cfg    aac.Config
	opts   AACOptions
	dec    *aac.Decoder

	// ADTS input: r is nil for access-unit input.
	r       *seekReader
	offsets []int64 // byte offset of ADTS frames 0..n-1, as far as known
	// Access-unit input.
	aus AccessUnits

	auNo int64 // index of the next access unit
	err  error // sticky; cleared by Seek
}

var _ Decoder = (*AACDecoder)(nil)

// NewADTSDecoder reads the first ADTS header of r (from offset 0, after any
// ID3v2 tag, as HLS packed audio starts with one) and returns a decoder
// positioned at the first frame. It fails with ErrNotAudio when r holds no
// ADTS frame and with ErrUnsupported (wrapping aac.ErrUnsupported) for AAC
// other than mono or stereo AAC-LC.
func NewADTSDecoder(r io.ReadSeeker, opts AACOptions) (*AACDecoder, error) {
	return nil, fmt.Errorf("aac: ADTS decoder not written yet: %w", ErrUnsupported)
}

// NewAACDecoder returns a decoder for the raw access units of aus, described
// by the AudioSpecificConfig asc (an MP4 esds box's DecoderSpecificInfo).
// Duration is known when opts.Frames is given; Seek works when aus is an
// [AccessUnitSeeker]. An fMP4 demuxer can instead rebuild an ADTS stream
// with [aac.Config.AppendADTSHeader] and use [NewADTSDecoder].
func NewAACDecoder(asc []byte, aus AccessUnits, opts AACOptions) (*AACDecoder, error) {
	return nil, errors.New("aac: access-unit decoder not written yet")
}

// Format reports the stream's sample rate and channel count.
func (d *AACDecoder) Format() Format { return d.format }

// Config reports the AAC configuration of the stream.
func (d *AACDecoder) Config() aac.Config { return d.cfg }

// Duration reports the duration after trimming when it is known: from
// AACOptions.Frames, or, for an ADTS stream over a reader whose length is
// known, from a scan of its frame headers.
func (d *AACDecoder) Duration() (time.Duration, bool) {
	return 0, false
}

// Next decodes the next access unit.
func (d *AACDecoder) Next() (Chunk, error) {
	return Chunk{}, io.EOF
}

// Seek moves so that the next chunk starts at media time t (clamped to the
// stream) and returns the time it landed on.
func (d *AACDecoder) Seek(t time.Duration) (time.Duration, error) {
	return 0, errors.New("aac: seek not written yet")
}

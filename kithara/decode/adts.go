package decode

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hotpath-go/hotpath/kithara/bufpool"
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
// Seek is sample-accurate: it finds the access unit before the target (over
// ADTS by scanning frame headers), decodes it for the overlap, and drops the
// samples before the target.
//
// Damage is contained as in [MP3Decoder]: bytes between ADTS frames that are
// not a frame (junk, ID3v2 tags of concatenated HLS segments) are skipped,
// and an access unit that fails to decode comes out as silence, so the
// timeline stays intact; [AACDecoder.Stats] counts both.
type AACDecoder struct {
	format Format
	cfg    aac.Config
	dec    *aac.Decoder

	skip  int64 // leading decoder samples to drop (priming)
	total int64 // samples to keep after skip; -1 if unknown

	src auSource

	auNo  int64 // index of the next access unit src returns
	drop  int64 // decoder sample before which output is dropped (seek target)
	stats AACStats
	err   error // sticky; cleared by Seek
}

// AACStats counts the damage an AACDecoder stepped over.
type AACStats struct {
	// JunkBytes counts bytes of an ADTS stream skipped because they were
	// not part of a frame (ID3v2 tags excluded).
	JunkBytes int64
	// SilencedFrames counts access units that failed to decode and were
	// replaced by silence.
	SilencedFrames int
}

// auSource yields access units in order.
type auSource interface {
	// next returns the next access unit; io.EOF at the end.
	next() ([]byte, error)
	// seek positions so that next returns access unit i, or reports
	// that it cannot. Past the end, next returns io.EOF.
	seek(i int64) error
	// count returns the number of access units, scanning if it must;
	// ok is false when it cannot be known.
	count() (n int64, ok bool, err error)
}

var _ Decoder = (*AACDecoder)(nil)

// NewADTSDecoder reads the first ADTS header of r (from offset 0, after any
// ID3v2 tag, as HLS packed audio starts with one) and returns a decoder
// positioned at the first frame. It fails with ErrNotAudio when r holds no
// ADTS frame and with ErrUnsupported (wrapping aac.ErrUnsupported) for AAC
// other than mono or stereo AAC-LC.
func NewADTSDecoder(r io.ReadSeeker, opts AACOptions) (*AACDecoder, error) {
	src := &adtsSource{r: newSeekReader(r)}
	if err := src.r.seek(0); err != nil {
		return nil, fmt.Errorf("aac: %w", err)
	}
	h, err := src.findFrame(true)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("aac: no ADTS frame found: %w", ErrNotAudio)
		}
		return nil, fmt.Errorf("aac: find first ADTS frame: %w", err)
	}
	src.cfg = h.Config
	src.offsets = append(src.offsets, src.r.pos)
	src.junk = 0 // leading bytes before the first frame are not damage
	src.synced = true
	return newAACDecoder(h.Config, src, opts)
}

// NewAACDecoder returns a decoder for the raw access units of aus, described
// by the AudioSpecificConfig asc (an MP4 esds box's DecoderSpecificInfo).
// Duration is known when opts.Frames is given; Seek works when aus is an
// [AccessUnitSeeker]. An fMP4 demuxer can instead rebuild an ADTS stream
// with [aac.Config.AppendADTSHeader] and use [NewADTSDecoder].
func NewAACDecoder(asc []byte, aus AccessUnits, opts AACOptions) (*AACDecoder, error) {
	cfg, err := aac.ParseASC(asc)
	if err != nil {
		return nil, fmt.Errorf("aac: AudioSpecificConfig: %w", mapAACError(err))
	}
	return newAACDecoder(cfg, &auListSource{aus: aus}, opts)
}

func newAACDecoder(cfg aac.Config, src auSource, opts AACOptions) (*AACDecoder, error) {
	dec, err := aac.NewDecoder(cfg)
	if err != nil {
		return nil, fmt.Errorf("aac: %w", mapAACError(err))
	}
	d := &AACDecoder{
		format: Format{SampleRate: cfg.SampleRate, Channels: cfg.Channels},
		cfg:    cfg,
		dec:    dec,
		skip:   opts.priming(),
		total:  -1,
		src:    src,
	}
	if opts.Frames > 0 {
		d.total = opts.Frames
	}
	return d, nil
}

// mapAACError wraps the decode package's sentinel matching an aac error.
func mapAACError(err error) error {
	switch {
	case errors.Is(err, aac.ErrUnsupported):
		return fmt.Errorf("%w (%w)", ErrUnsupported, err)
	case errors.Is(err, aac.ErrInvalid):
		return fmt.Errorf("%w (%w)", ErrNotAudio, err)
	}
	return err
}

// Format reports the stream's sample rate and channel count.
func (d *AACDecoder) Format() Format { return d.format }

// Config reports the AAC configuration of the stream.
func (d *AACDecoder) Config() aac.Config { return d.cfg }

// Stats reports the damage skipped so far.
func (d *AACDecoder) Stats() AACStats {
	st := d.stats
	if s, ok := d.src.(*adtsSource); ok {
		st.JunkBytes = s.junk
	}
	return st
}

// Duration reports the duration after trimming when it is known: from
// AACOptions.Frames, or, for an ADTS stream, from a scan of its frame
// headers (made on the first call, through the reader's Seek; the read
// position is restored).
func (d *AACDecoder) Duration() (time.Duration, bool) {
	if d.total >= 0 {
		return framesToDuration(d.total, d.format.SampleRate), true
	}
	n, ok, err := d.src.count()
	if err != nil || !ok {
		return 0, false
	}
	return framesToDuration(max(n*1024-d.skip, 0), d.format.SampleRate), true
}

// Next decodes access units until one yields audio to return.
func (d *AACDecoder) Next() (Chunk, error) {
	if d.err != nil {
		return Chunk{}, d.err
	}
	nch := d.format.Channels
	for {
		start := d.auNo * 1024 // decoder sample of the unit's first frame
		if d.total >= 0 && start >= d.skip+d.total {
			return Chunk{}, io.EOF
		}
		au, err := d.src.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return Chunk{}, io.EOF
			}
			d.err = fmt.Errorf("aac: access unit %d: %w", d.auNo, err)
			return Chunk{}, d.err
		}
		d.auNo++
		lo := max(d.skip, d.drop) - start
		hi := int64(1024)
		if d.total >= 0 {
			hi = min(hi, d.skip+d.total-start)
		}
		buf := bufpool.Float32.Get(1024 * nch)[:0]
		buf, err = d.dec.Decode(au, buf)
		if err != nil {
			// Keep the timeline: a damaged unit plays as silence, and the
			// next starts without the overlap it would have had.
			d.stats.SilencedFrames++
			d.dec.Reset()
			buf = append(buf[:0], make([]float32, 1024*nch)...)
		}
		if lo >= hi {
			bufpool.Float32.Put(buf)
			continue
		}
		lo = max(lo, 0)
		samples := buf[lo*int64(nch) : hi*int64(nch)]
		if lo > 0 {
			samples = append(buf[:0], samples...)
		}
		return Chunk{
			Format:  d.format,
			Samples: samples,
			Time:    framesToDuration(start+lo-d.skip, d.format.SampleRate),
		}, nil
	}
}

// Seek moves so that the next chunk starts at media time t (clamped to the
// stream) and returns the time it landed on.
func (d *AACDecoder) Seek(t time.Duration) (time.Duration, error) {
	rate := d.format.SampleRate
	t = max(t, 0)
	if dur, ok := d.Duration(); ok && t > dur {
		t = dur
	}
	n := durationToFrames(t, rate)
	t = framesToDuration(n, rate)
	target := n + d.skip // decoder sample
	k := target / 1024
	// One unit of preroll: its second half overlaps the target's unit.
	j := max(k-1, 0)
	if err := d.src.seek(j); err != nil {
		d.err = fmt.Errorf("aac: seek to %v: %w", t, err)
		return 0, d.err
	}
	d.dec.Reset()
	d.auNo = j
	d.drop = target
	d.err = nil
	return t, nil
}

// adtsSource reads the frames of an ADTS stream, indexing their offsets as
// it goes.
type adtsSource struct {
	r       *seekReader
	cfg     aac.Config
	offsets []int64 // byte offsets of frames 0..len-1, in order
	frameNo int64   // index of the frame at r's position
	junk    int64
	scanned bool // offsets holds every frame of the stream
	atEnd   bool // a seek went past the last frame
	synced  bool // r is right after a frame, or at a known frame offset
	frame   []byte
}

// maxADTSJunk bounds the search for a frame: a stream with no ADTS frame in
// 1 MiB of bytes (ID3 tags aside) is not an ADTS stream.
const maxADTSJunk = 1 << 20

// findFrame moves r to the next ADTS frame header, skipping ID3v2 tags and
// junk, and returns the header. Right after a frame (synced), a header of
// the same stream is taken as it is; after junk, a header is accepted only
// when the bytes after its frame are another header of the same stream, an
// ID3v2 tag, or the end of the stream.
func (s *adtsSource) findFrame(first bool) (aac.ADTSHeader, error) {
	var junk int64
	for {
		b, err := s.r.peek(10)
		if len(b) < aac.ADTSHeaderLen {
			if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				s.junk += junk + int64(len(b))
				return aac.ADTSHeader{}, io.EOF
			}
			return aac.ADTSHeader{}, err
		}
		if n := id3v2Size(b); n > 0 {
			if _, err := s.r.discard(int(n)); err != nil {
				s.junk += junk
				if errors.Is(err, io.EOF) {
					return aac.ADTSHeader{}, io.EOF
				}
				return aac.ADTSHeader{}, err
			}
			continue
		}
		if h, err := aac.ParseADTSHeader(b); err == nil && (first || s.sameStream(h)) && (s.synced || s.confirmed(h)) {
			s.junk += junk
			return h, nil
		}
		s.synced = false
		if junk++; junk > maxADTSJunk {
			return aac.ADTSHeader{}, fmt.Errorf("no ADTS frame in %d bytes at byte %d: %w", junk, s.r.pos, ErrNotAudio)
		}
		if _, err := s.r.discard(1); err != nil {
			s.junk += junk
			return aac.ADTSHeader{}, io.EOF
		}
	}
}

func (s *adtsSource) sameStream(h aac.ADTSHeader) bool {
	return h.SampleRate == s.cfg.SampleRate && h.Channels == s.cfg.Channels && h.ObjectType == s.cfg.ObjectType
}

// confirmed checks what follows the frame of the header h at r's position.
func (s *adtsSource) confirmed(h aac.ADTSHeader) bool {
	b, err := s.r.peek(h.FrameLen + 10)
	if len(b) < h.FrameLen {
		return false
	}
	rest := b[h.FrameLen:]
	if len(rest) == 0 || len(rest) < aac.ADTSHeaderLen && err != nil {
		return true // the last frame, or a stub after it
	}
	if len(rest) >= 10 && id3v2Size(rest) > 0 {
		return true // a tag: the next segment of packed audio
	}
	nh, err := aac.ParseADTSHeader(rest)
	return err == nil && nh.SampleRate == h.SampleRate && nh.Channels == h.Channels && nh.ObjectType == h.ObjectType
}

func (s *adtsSource) next() ([]byte, error) {
	if s.atEnd {
		return nil, io.EOF
	}
	h, err := s.findFrame(false)
	if err != nil {
		return nil, err
	}
	if h.RawBlocks != 1 {
		return nil, fmt.Errorf("ADTS frame at byte %d holds %d raw data blocks: %w", s.r.pos, h.RawBlocks, ErrUnsupported)
	}
	s.record(s.r.pos)
	b, err := s.r.peek(h.FrameLen)
	if len(b) < h.FrameLen {
		if err == nil || errors.Is(err, io.EOF) {
			err = ErrTruncated
		}
		return nil, fmt.Errorf("ADTS frame of %d bytes at byte %d: %w", h.FrameLen, s.r.pos, err)
	}
	s.frame = append(s.frame[:0], b[h.HeaderLen:h.FrameLen]...)
	if _, err := s.r.discard(h.FrameLen); err != nil {
		return nil, err
	}
	s.frameNo++
	s.synced = true
	return s.frame, nil
}

// record notes the offset of frame s.frameNo, found at off.
func (s *adtsSource) record(off int64) {
	if s.frameNo == int64(len(s.offsets)) {
		s.offsets = append(s.offsets, off)
	}
}

func (s *adtsSource) seek(i int64) error {
	if i >= int64(len(s.offsets)) && !s.scanned {
		if err := s.scanFrom(int64(len(s.offsets)) - 1); err != nil {
			return err
		}
	}
	if s.atEnd = i >= int64(len(s.offsets)); s.atEnd {
		s.frameNo = int64(len(s.offsets))
		return nil
	}
	if err := s.r.seek(s.offsets[i]); err != nil {
		return err
	}
	s.frameNo = i
	s.synced = true
	return nil
}

// scanFrom indexes the frames after frame i (whose offset is known) to the
// end of the stream, reading headers only, and leaves r wherever the scan
// ends; callers seek afterwards.
func (s *adtsSource) scanFrom(i int64) error {
	if err := s.r.seek(s.offsets[i]); err != nil {
		return err
	}
	s.frameNo = i
	s.synced = true
	junk := s.junk
	for {
		h, err := s.findFrame(false)
		if err != nil {
			s.junk = junk // counted when the frames are read for real
			if errors.Is(err, io.EOF) {
				s.scanned = true
				return nil
			}
			return err
		}
		s.record(s.r.pos)
		if n, err := s.r.discard(h.FrameLen); err != nil || n < h.FrameLen {
			s.junk = junk
			s.scanned = true
			if n < h.FrameLen && len(s.offsets) > 0 && s.frameNo == int64(len(s.offsets))-1 {
				s.offsets = s.offsets[:len(s.offsets)-1] // a truncated last frame plays as nothing
			}
			return nil
		}
		s.frameNo++
		s.synced = true
	}
}

func (s *adtsSource) count() (int64, bool, error) {
	if !s.scanned {
		pos, no := s.r.pos, s.frameNo
		if err := s.scanFrom(int64(len(s.offsets)) - 1); err != nil {
			return 0, false, err
		}
		if err := s.r.seek(pos); err != nil {
			return 0, false, err
		}
		s.frameNo = no
	}
	return int64(len(s.offsets)), true, nil
}

// auListSource reads access units from an AccessUnits.
type auListSource struct {
	aus AccessUnits
}

func (s *auListSource) next() ([]byte, error) { return s.aus.Next() }

func (s *auListSource) seek(i int64) error {
	sk, ok := s.aus.(AccessUnitSeeker)
	if !ok {
		return fmt.Errorf("the access units cannot seek: %w", ErrUnsupported)
	}
	return sk.SeekAccessUnit(i)
}

func (s *auListSource) count() (int64, bool, error) { return 0, false, nil }

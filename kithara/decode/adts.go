package decode

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
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

// AACOptionsFromITunSMPB reads Apple's iTunSMPB gapless tag (the value of
// an MP4 "----:com.apple.iTunes:iTunSMPB" item or an ID3 COMM frame of that
// description): space-separated hexadecimal fields, the second the encoder
// delay, the third the padding, the fourth the number of valid samples.
func AACOptionsFromITunSMPB(value string) (AACOptions, error) {
	f := strings.Fields(value)
	if len(f) < 4 {
		return AACOptions{}, fmt.Errorf("iTunSMPB %q: %d fields, want at least 4", value, len(f))
	}
	var n [3]int64
	for i := range n {
		v, err := strconv.ParseInt(f[i+1], 16, 64)
		if err != nil || v < 0 {
			return AACOptions{}, fmt.Errorf("iTunSMPB %q: field %d is not a hexadecimal count", value, i+2)
		}
		n[i] = v
	}
	if n[0] > 1<<20 {
		return AACOptions{}, fmt.Errorf("iTunSMPB %q: encoder delay %d is implausible", value, n[0])
	}
	return AACOptions{Priming: int(n[0]), PrimingKnown: true, Frames: n[2]}, nil
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
// An ADTS stream may change its sample rate or channel count between frames
// (concatenated HLS segments of variants at different rates): the decoder
// follows, chunks carry the new format, and media time runs on. Priming and
// AACOptions.Frames count samples at the first frame's rate.
//
// Damage is contained as in [MP3Decoder]: bytes between ADTS frames that are
// not a frame (junk, ID3v2 tags of concatenated HLS segments) are skipped,
// and an access unit that fails to decode comes out as silence, so the
// timeline stays intact; [AACDecoder.Stats] counts both.
type AACDecoder struct {
	format Format     // of the first frame
	cfg    aac.Config // of the access units dec decodes
	dec    *aac.Decoder

	skip  int64 // leading samples of run 0 to drop (priming)
	total int64 // samples of run 0 to keep after skip; -1 if unknown

	src auSource

	auNo int64 // index of the next access unit src returns
	// The seek target: output before sample dropSample of run dropRun is
	// dropped.
	dropRun    int
	dropSample int64
	stats      AACStats
	err        error // sticky; cleared by Seek
}

// aacRun is a stretch of access units with one configuration.
type aacRun struct {
	au  int64 // first access unit of the run
	cfg aac.Config
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
	// runs returns the runs of access units known so far, in order: at
	// least the first, and every run up to the last unit next returned or
	// count or seek scanned.
	runs() []aacRun
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
	h, err := src.findFrame()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("aac: no ADTS frame found: %w", ErrNotAudio)
		}
		return nil, fmt.Errorf("aac: find first ADTS frame: %w", err)
	}
	src.cfg = h.Config
	src.record(src.r.pos)
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
	return newAACDecoder(cfg, &auListSource{aus: aus, run: []aacRun{{cfg: cfg}}}, opts)
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

// Config reports the AAC configuration of the access units being decoded:
// the first frame's until the stream changes it.
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
// position is restored). ADTS has no length field, so that scan reads the
// whole stream: over a reader that downloads, the first call waits for the
// download.
func (d *AACDecoder) Duration() (time.Duration, bool) {
	if d.total >= 0 {
		return framesToDuration(d.total, d.format.SampleRate), true
	}
	n, ok, err := d.src.count()
	if err != nil || !ok {
		return 0, false
	}
	runs := d.src.runs()
	last := len(runs) - 1
	if last == 0 {
		return framesToDuration(max(n*1024-d.skip, 0), d.format.SampleRate), true
	}
	return max(d.runStart(runs, last)+framesToDuration((n-runs[last].au)*1024, runs[last].cfg.SampleRate), 0), true
}

// runStart returns the media time of the first sample of run i (i > 0).
func (d *AACDecoder) runStart(runs []aacRun, i int) time.Duration {
	t := framesToDuration(runs[1].au*1024-d.skip, runs[0].cfg.SampleRate)
	for j := 1; j < i; j++ {
		t += framesToDuration((runs[j+1].au-runs[j].au)*1024, runs[j].cfg.SampleRate)
	}
	return t
}

// runOf returns the index of the run holding access unit k.
func runOf(runs []aacRun, k int64) int {
	i := len(runs) - 1
	for i > 0 && runs[i].au > k {
		i--
	}
	return i
}

// Next decodes access units until one yields audio to return.
func (d *AACDecoder) Next() (Chunk, error) {
	if d.err != nil {
		return Chunk{}, d.err
	}
	for {
		k := d.auNo
		if d.total >= 0 && k*1024 >= d.skip+d.total && runOf(d.src.runs(), k) == 0 {
			return Chunk{}, io.EOF
		}
		au, err := d.src.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return Chunk{}, io.EOF
			}
			d.err = fmt.Errorf("aac: access unit %d: %w", k, err)
			return Chunk{}, d.err
		}
		d.auNo++
		runs := d.src.runs()
		ri := runOf(runs, k)
		run := runs[ri]
		if run.cfg != d.cfg {
			dec, err := aac.NewDecoder(run.cfg)
			if err != nil {
				d.err = fmt.Errorf("aac: access unit %d: %w", k, mapAACError(err))
				return Chunk{}, d.err
			}
			d.dec, d.cfg = dec, run.cfg
		}
		nch := run.cfg.Channels
		// The unit's samples, as offsets in its run, and the stretch of
		// them to keep.
		base := (k - run.au) * 1024
		lo, hi := int64(0), int64(1024)
		if ri == 0 {
			lo = d.skip - base
			if d.total >= 0 {
				hi = min(hi, d.skip+d.total-base)
			}
		}
		switch {
		case ri < d.dropRun:
			lo = hi
		case ri == d.dropRun:
			lo = max(lo, d.dropSample-base)
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
		rate := run.cfg.SampleRate
		var at time.Duration
		if ri == 0 {
			at = framesToDuration(base+lo-d.skip, rate)
		} else {
			at = d.runStart(runs, ri) + framesToDuration(base+lo, rate)
		}
		return Chunk{
			Format:  Format{SampleRate: rate, Channels: nch},
			Samples: samples,
			Time:    at,
		}, nil
	}
}

// Seek moves so that the next chunk starts at media time t (clamped to the
// stream) and returns the time it landed on.
func (d *AACDecoder) Seek(t time.Duration) (time.Duration, error) {
	t = max(t, 0)
	if dur, ok := d.Duration(); ok && t > dur {
		t = dur
	}
	// Runs are all known once Duration has scanned; otherwise (access
	// units with a declared length) there is one.
	runs := d.src.runs()
	ri := len(runs) - 1
	for ri > 0 && d.runStart(runs, ri) > t {
		ri--
	}
	run := runs[ri]
	rate := run.cfg.SampleRate
	var target int64 // sample of the run
	if ri == 0 {
		n := durationToFrames(t, rate)
		t = framesToDuration(n, rate)
		target = n + d.skip
	} else {
		start := d.runStart(runs, ri)
		n := durationToFrames(t-start, rate)
		t = start + framesToDuration(n, rate)
		target = n
	}
	k := run.au + target/1024
	// One unit of preroll, in the same run: its second half overlaps the
	// target's unit.
	j := max(k-1, run.au)
	if err := d.src.seek(j); err != nil {
		d.err = fmt.Errorf("aac: seek to %v: %w", t, err)
		return 0, d.err
	}
	d.dec.Reset()
	d.auNo = j
	d.dropRun, d.dropSample = ri, target
	d.err = nil
	return t, nil
}

// adtsSource reads the frames of an ADTS stream, indexing their offsets as
// it goes.
type adtsSource struct {
	r       *seekReader
	cfg     aac.Config
	offsets []int64 // byte offsets of frames 0..len-1, in order
	runList []aacRun
	frameNo int64 // index of the frame at r's position
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
// the same stream is taken as it is; a header after junk, or one that
// changes the stream's configuration, is accepted only when the bytes after
// its frame are another header like it, an ID3v2 tag, or the end of the
// stream.
func (s *adtsSource) findFrame() (aac.ADTSHeader, error) {
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
		if h, err := aac.ParseADTSHeader(b); err == nil && (s.synced && s.sameStream(h) || s.confirmed(h)) {
			s.junk += junk
			s.cfg = h.Config
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
	h, err := s.findFrame()
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

// record notes the offset of frame s.frameNo, found at off with the
// configuration s.cfg.
func (s *adtsSource) record(off int64) {
	if s.frameNo != int64(len(s.offsets)) {
		return
	}
	s.offsets = append(s.offsets, off)
	if n := len(s.runList); n == 0 || s.runList[n-1].cfg != s.cfg {
		s.runList = append(s.runList, aacRun{au: s.frameNo, cfg: s.cfg})
	}
}

func (s *adtsSource) runs() []aacRun { return s.runList }

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
	s.cfg = s.runList[runOf(s.runList, i)].cfg
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
	s.cfg = s.runList[runOf(s.runList, i)].cfg
	junk := s.junk
	for {
		h, err := s.findFrame()
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
				if last := len(s.runList) - 1; last > 0 && s.runList[last].au == int64(len(s.offsets)) {
					s.runList = s.runList[:last]
				}
			}
			return nil
		}
		s.frameNo++
		s.synced = true
	}
}

func (s *adtsSource) count() (int64, bool, error) {
	if !s.scanned {
		pos, no, cfg, synced := s.r.pos, s.frameNo, s.cfg, s.synced
		if err := s.scanFrom(int64(len(s.offsets)) - 1); err != nil {
			return 0, false, err
		}
		if err := s.r.seek(pos); err != nil {
			return 0, false, err
		}
		s.frameNo, s.cfg, s.synced = no, cfg, synced
	}
	return int64(len(s.offsets)), true, nil
}

// auListSource reads access units from an AccessUnits.
type auListSource struct {
	aus AccessUnits
	run []aacRun // the one run
}

func (s *auListSource) runs() []aacRun { return s.run }

func (s *auListSource) next() ([]byte, error) { return s.aus.Next() }

func (s *auListSource) seek(i int64) error {
	sk, ok := s.aus.(AccessUnitSeeker)
	if !ok {
		return fmt.Errorf("the access units cannot seek: %w", ErrUnsupported)
	}
	return sk.SeekAccessUnit(i)
}

func (s *auListSource) count() (int64, bool, error) { return 0, false, nil }

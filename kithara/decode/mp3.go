package decode

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/hotpath-go/hotpath/kithara/bufpool"
	"github.com/hotpath-go/hotpath/kithara/decode/mpa"
)

// MP3Decoder decodes a Layer III elementary stream of any MPEG version:
// MPEG-1 (32, 44.1 and 48 kHz), MPEG-2 (16, 22.05 and 24 kHz) and MPEG-2.5
// (8, 11.025 and 12 kHz), with the decoder of package
// [github.com/hotpath-go/hotpath/kithara/decode/mpa].
//
// MP3Decoder does the framing and hands mpa one whole frame at a time, which
// buys these:
//
//   - Damage is contained. Bytes that are not part of a frame are skipped
//     (ID3v2 tags anywhere, junk between frames); a frame whose side
//     information is impossible comes out as one frame of silence, and one
//     whose bit reservoir lies in frames not read (after junk) as silence
//     where its data is missing, so the timeline stays intact.
//     [MP3Decoder.Stats] counts both.
//   - Streams are read front to back with no upfront scan, so decoding starts
//     before a download ends. Seeking uses an index of frame offsets built
//     while reading (and extended by scanning headers when seeking ahead).
//   - A Xing/Info frame is not played as silence, and when it carries a LAME
//     tag the encoder delay and padding are trimmed (gapless playback).
//   - A segmented stream (HLS: segments cut from one encode, each file
//     starting with its own ID3 tag and Xing/LAME frame) plays whole and
//     gapless; see [MP3Options.Segmented].
//
// Channel count and sample rate come from each frame header.
type MP3Decoder struct {
	r      *seekReader
	format Format // of the first audio frame
	spf    int    // samples per frame of the first audio frame

	// Gapless trimming, in decoder samples at the first frame's rate.
	skip  int64 // leading samples to drop (encoder + decoder delay)
	total int64 // samples to keep after skip; -1 if unknown
	// xingFrames is the audio frame count the Xing header declares, or 0.
	xingFrames int64

	// segmented: the stream is a concatenation of segments whose Xing/LAME
	// frames describe each segment (MP3Options.Segmented, or a Xing frame
	// met after the first audio frame). segs lists those frames in order.
	segmented bool
	segs      []mp3Segment
	started   bool // the first audio frame is found: Xing frames from here on are skipped

	offsets []int64  // byte offset of audio frames 0..n-1, in stream order
	runs    []mp3Run // stretches of frames at one sample rate, in order
	frameNo int      // index of the next audio frame to be read
	synced  bool     // the read position is right after an accepted frame
	gap     bool     // junk was skipped since the last frame: the reservoir broke
	scratch []byte   // the current frame's bytes

	// The target of a seek, reached after a few frames of preroll: output
	// starts at sample dropSample of frame dropFrame.
	dropFrame, dropSample int

	dec *mpa.Decoder
	pcm []float32 // one frame of decoded audio, interleaved

	stats MP3Stats
	err   error // sticky read error; cleared by Seek
}

// MP3Stats counts the damage an MP3Decoder stepped over.
type MP3Stats struct {
	// JunkBytes counts bytes skipped because they were not part of a frame.
	JunkBytes int64
	// SilencedFrames counts frames replaced by silence: undecodable, or
	// decodable only with a bit reservoir that was missing.
	SilencedFrames int
}

// mp3Run is a stretch of consecutive frames at one sample rate. Frame times
// are counted in samples from the start of their run, so they do not drift
// by rounding frame after frame.
type mp3Run struct {
	frame int           // first frame of the run
	start time.Duration // decoder time of that frame
	rate  int
	spf   int // samples per frame
}

// at returns the decoder time of sample i of frame k, a frame of the run.
func (r mp3Run) at(k, i int) time.Duration {
	return r.start + framesToDuration(int64(k-r.frame)*int64(r.spf)+int64(i), r.rate)
}

// maxLeadingJunk bounds the search for the first frame: a stream with no
// MP3 frame in its first MiB (after any ID3 tag) is not an MP3 stream.
const maxLeadingJunk = 1 << 20

// mp3DecoderDelay is the delay of the Layer III synthesis filter bank, which
// LAME's encoder-delay field does not include.
const mp3DecoderDelay = 529

var _ Decoder = (*MP3Decoder)(nil)

// MP3Options configures an MP3Decoder.
type MP3Options struct {
	// Segmented says the stream is a concatenation of segments cut from one
	// encode, as an HLS source delivers them, each of which may start with an
	// ID3 tag and a Xing/Info frame of its own (ffmpeg's segment muxer writes
	// both). Such a frame describes its segment, not the stream: it is
	// skipped as a frame (it carries no audio, and the next segment's first
	// frame takes its bit reservoir from the previous segment's frames), and
	// its frame count does not bound the stream. The LAME encoder delay is
	// trimmed once, at the start, from the first segment's tag; the LAME end
	// padding only at the very end, from the tag of the segment the stream
	// ends with (the decoder looks ahead to the end of the stream when it
	// reaches a segment's declared padding). Duration reports nothing.
	//
	// Without it a stream is taken as one file, whose first Xing frame
	// describes all of it; a Xing frame met later turns segmented mode on
	// from there (a concatenation of files).
	Segmented bool
	// EncoderDelay, when positive, is the stream's LAME encoder delay in
	// samples, for a segmented stream read from a later segment: that
	// segment's tag does not carry the delay of the stream's start (ffmpeg
	// writes 0), so without it the output starts that many samples before
	// the segment's start. It replaces the delay of the first tag. Read it
	// from the stream's first bytes with [MP3EncoderDelay].
	EncoderDelay int
}

// MP3EncoderDelay reads the LAME encoder delay from the Xing/LAME frame at
// the start of b (after any ID3v2 tag), the first bytes of an MP3 stream.
// ok is false when b does not start so or the delay is not believable.
func MP3EncoderDelay(b []byte) (delay int, ok bool) {
	for {
		n := id3v2Size(b)
		if n == 0 {
			break
		}
		if n > int64(len(b)) {
			return 0, false
		}
		b = b[n:]
	}
	h, ok := parseMPEGHeader(b)
	if !ok || len(b) < h.frameSize() {
		return 0, false
	}
	x, ok := parseXing(h, b[:h.frameSize()])
	if !ok || x.delay < 0 || x.delay > maxSegmentDelay {
		return 0, false
	}
	return x.delay, true
}

// NewMP3Decoder reads the start of the stream in r (from offset 0) and
// returns a decoder positioned at its first audio frame. It fails with
// ErrNotAudio when no Layer III frame can be found.
func NewMP3Decoder(r io.ReadSeeker) (*MP3Decoder, error) {
	return NewMP3DecoderWith(r, MP3Options{})
}

// NewMP3DecoderWith is NewMP3Decoder with options.
func NewMP3DecoderWith(r io.ReadSeeker, o MP3Options) (*MP3Decoder, error) {
	d := &MP3Decoder{r: newSeekReader(r), total: -1, dropFrame: -1, segmented: o.Segmented, dec: mpa.NewDecoder()}
	if o.Segmented && o.EncoderDelay > 0 {
		d.skip = int64(o.EncoderDelay) + mp3DecoderDelay
	}
	if err := d.r.seek(0); err != nil {
		return nil, fmt.Errorf("mp3: %w", err)
	}
	h, frame, off, err := d.nextFrame()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("mp3: no frame found: %w", ErrNotAudio)
		}
		return nil, fmt.Errorf("mp3: find first frame: %w", err)
	}
	if x, ok := parseXing(h, frame); ok {
		d.xingFrames = x.frames
		spf := int64(h.samplesPerFrame())
		d.segs = append(d.segs, mp3Segment{first: 0, frames: x.frames, padding: x.padding})
		switch {
		case d.segmented:
			// The first segment's tag: its delay is the stream's (unless
			// the caller knows better), its frame count and padding are
			// the segment's.
			if o.EncoderDelay <= 0 && x.delay >= 0 && x.delay <= maxSegmentDelay {
				d.skip = int64(x.delay) + mp3DecoderDelay
			}
		case x.delay >= 0 && x.frames > 0:
			d.skip = int64(x.delay) + mp3DecoderDelay
			if t := x.frames*spf - int64(x.delay) - int64(x.padding); t > 0 {
				d.total = t
			}
		}
		// Another Xing frame before any audio starts another segment: an
		// empty one came first.
		d.started = true
		if h, _, off, err = d.nextFrame(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("mp3: no audio frame after the Xing header: %w", ErrNotAudio)
			}
			return nil, fmt.Errorf("mp3: find first audio frame: %w", err)
		}
	}
	d.format = Format{SampleRate: h.sampleRate, Channels: h.channels}
	d.spf = h.samplesPerFrame()
	d.accept(h, off)
	d.frameNo = 0 // Next reads the first audio frame again
	if err := d.r.seek(off); err != nil {
		return nil, fmt.Errorf("mp3: %w", err)
	}
	d.synced = true
	d.started = true
	return d, nil
}

// Format reports the format of the first audio frame.
func (d *MP3Decoder) Format() Format { return d.format }

// Duration reports the duration declared by a Xing header, net of encoder
// delay and padding when a LAME tag gives them. A segmented stream has none.
func (d *MP3Decoder) Duration() (time.Duration, bool) {
	switch {
	case d.segmented:
		return 0, false
	case d.total >= 0:
		return framesToDuration(d.total, d.format.SampleRate), true
	case d.xingFrames > 0:
		return framesToDuration(d.xingFrames*int64(d.spf), d.format.SampleRate), true
	}
	return 0, false
}

// Stats reports the damage skipped so far.
func (d *MP3Decoder) Stats() MP3Stats { return d.stats }

// Next decodes frames until one yields audio to return.
func (d *MP3Decoder) Next() (Chunk, error) {
	if d.err != nil {
		return Chunk{}, d.err
	}
	for {
		h, frame, off, err := d.nextFrame()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				d.err = fmt.Errorf("mp3: read frame at byte %d: %w", d.r.pos, err)
				return Chunk{}, d.err
			}
			return Chunk{}, io.EOF
		}
		k, run := d.accept(h, off)
		if d.gap {
			// Frames were lost with the junk: the reservoir the decoder
			// holds is not what the next frames refer to.
			d.gap = false
			d.dec.Reset()
		}
		lo, hi := d.keep(k, run)
		// Frames whose audio is dropped are decoded all the same: they prime
		// the reservoir and filter state for the frames that follow.
		decoded, whole := d.decodeFrame(frame)
		if hi <= lo {
			continue
		}
		if !whole {
			d.stats.SilencedFrames++
		}
		return d.chunk(h, decoded, lo, hi, d.chunkTime(k, run, lo)), nil
	}
}

// keep returns the range [lo, hi) of frame k's samples to output: gapless
// trimming (in the first run, which is where a Xing header applies; at the
// end of the last segment of a segmented stream) and the target of a seek cut
// it. The read position must be right after frame k.
func (d *MP3Decoder) keep(k int, run mp3Run) (lo, hi int) {
	spf := run.spf
	lo, hi = 0, spf
	if run.frame == 0 {
		first := int64(k) * int64(spf)
		if rel := d.skip - first; rel > 0 {
			lo = int(min(rel, int64(spf)))
		}
		if d.total >= 0 {
			if end := d.skip + d.total - first; end < int64(hi) {
				hi = int(max(end, 0))
			}
		}
	}
	if d.segmented {
		if cut, ok := d.segmentTail(k, spf); ok {
			hi = min(hi, cut)
		}
	}
	switch {
	case k < d.dropFrame:
		lo = spf
	case k == d.dropFrame:
		lo = max(lo, d.dropSample)
	}
	return lo, hi
}

// segmentTail returns how many samples of frame k to keep when the end
// padding declared by the tag of k's segment reaches into frame k and that
// segment is the last of the stream. The padding of any other segment is
// not trimmed: the segments were cut from one encode, so only the stream's
// end is padded.
func (d *MP3Decoder) segmentTail(k, spf int) (int, bool) {
	i := segmentAt(d.segs, k)
	if i < 0 {
		return 0, false
	}
	s := &d.segs[i]
	cut, ok := s.tailCut(k, spf)
	if !ok {
		return 0, false
	}
	if s.last == 0 {
		end := int64(s.first) + s.frames
		last, known := d.endsAfter(int(end - 1 - int64(k)))
		if !known {
			return 0, false
		}
		s.last = -1
		if last {
			s.last = 1
		}
	}
	return cut, s.last == 1
}

// endsAfter reports whether the stream ends (an ID3v1 tag aside) right after
// the next n frames from the read position; known is false when a read
// failed. It looks ahead without moving.
func (d *MP3Decoder) endsAfter(n int) (last, known bool) {
	off := 0
	for range n {
		b, err := d.r.peek(off + 4)
		if len(b) < off+4 {
			return false, err == nil || errors.Is(err, io.EOF)
		}
		h, ok := parseMPEGHeader(b[off:])
		if !ok {
			return false, true // not the frames the tag counts
		}
		off += h.frameSize()
	}
	b, err := d.r.peek(off + 129)
	if err != nil && !errors.Is(err, io.EOF) {
		return false, false
	}
	switch rest := b[min(off, len(b)):]; {
	case len(b) < off:
		return false, true // the stream ends inside the counted frames
	case len(rest) == 0:
		return true, true
	case len(rest) == 128 && string(rest[:3]) == "TAG":
		return true, true
	}
	return false, true
}

// chunkTime is the media time of sample lo of frame k.
func (d *MP3Decoder) chunkTime(k int, run mp3Run, lo int) time.Duration {
	if run.frame == 0 {
		// Counted in samples from the stream start: exact.
		return framesToDuration(int64(k)*int64(run.spf)+int64(lo)-d.skip, run.rate)
	}
	return run.at(k, lo) - framesToDuration(d.skip, d.format.SampleRate)
}

// chunk copies samples [lo, hi) of the decoded frame, or silence, into a
// pooled buffer.
func (d *MP3Decoder) chunk(h mpegHeader, decoded bool, lo, hi int, t time.Duration) Chunk {
	ch := h.channels
	out := bufpool.Float32.Get((hi - lo) * ch)
	if decoded {
		copy(out, d.pcm[lo*ch:hi*ch])
	} else {
		clear(out)
	}
	return Chunk{Format: Format{SampleRate: h.sampleRate, Channels: ch}, Samples: out, Time: t}
}

// accept records audio frame number d.frameNo at off and returns its number
// and run.
func (d *MP3Decoder) accept(h mpegHeader, off int64) (int, mp3Run) {
	k := d.frameNo
	d.frameNo++
	if k == len(d.offsets) {
		d.offsets = append(d.offsets, off)
		if n := len(d.runs); n == 0 || d.runs[n-1].rate != h.sampleRate || d.runs[n-1].spf != h.samplesPerFrame() {
			var start time.Duration
			if n > 0 {
				start = d.runs[n-1].at(k, 0)
			}
			d.runs = append(d.runs, mp3Run{frame: k, start: start, rate: h.sampleRate, spf: h.samplesPerFrame()})
		}
	}
	return k, d.runOf(k)
}

// runOf returns the run frame k belongs to.
func (d *MP3Decoder) runOf(k int) mp3Run {
	i := sort.Search(len(d.runs), func(i int) bool { return d.runs[i].frame > k }) - 1
	return d.runs[max(i, 0)]
}

// frameTime is the decoder time of indexed frame k.
func (d *MP3Decoder) frameTime(k int) time.Duration { return d.runOf(k).at(k, 0) }

// decodeFrame decodes one frame into d.pcm. decoded reports whether d.pcm
// holds the frame's samples (false: the frame was rejected, play silence);
// whole whether all of them are its audio (false also when part of its bit
// reservoir was missing and decodes as silence).
func (d *MP3Decoder) decodeFrame(frame []byte) (decoded, whole bool) {
	pcm, err := d.dec.DecodeFrame(frame, d.pcm[:0])
	d.pcm = pcm
	switch {
	case err == nil:
		return true, true
	case errors.Is(err, mpa.ErrReservoir):
		return true, false
	}
	return false, false
}

// nextFrame finds the next audio frame at or after the read position,
// consumes it and returns its header, its bytes (valid until the next call)
// and its offset. It skips ID3 tags and junk, and returns io.EOF at the end.
func (d *MP3Decoder) nextFrame() (mpegHeader, []byte, int64, error) {
	for {
		b, err := d.r.peek(10)
		if len(b) < 4 {
			if err == nil || errors.Is(err, io.EOF) {
				d.stats.JunkBytes += int64(len(b))
				_, _ = d.r.discard(len(b))
				return mpegHeader{}, nil, 0, io.EOF
			}
			return mpegHeader{}, nil, 0, err
		}
		if n := id3v2Size(b); n > 0 {
			if _, err := d.r.discard(int(n)); err != nil && !errors.Is(err, io.EOF) {
				return mpegHeader{}, nil, 0, err
			}
			continue
		}
		if b[0] == 'T' && b[1] == 'A' && b[2] == 'G' {
			// An ID3v1 tag: 128 bytes at the end of a file.
			if _, err := d.r.discard(128); err != nil && !errors.Is(err, io.EOF) {
				return mpegHeader{}, nil, 0, err
			}
			continue
		}
		if h, ok := parseMPEGHeader(b); ok {
			size := h.frameSize()
			frame, err := d.r.peek(size + 4)
			switch {
			case len(frame) >= size && d.confirm(h, frame, size, err):
				if d.started && d.segmentHeader(h, frame[:size]) {
					// A Xing/Info frame after the first audio frame starts
					// a segment and carries no audio. Skipping it keeps the
					// sync and the bit reservoir of the frames around it.
					_, _ = d.r.discard(size)
					d.synced = true
					continue
				}
				off := d.r.pos
				d.scratch = append(d.scratch[:0], frame[:size]...)
				_, _ = d.r.discard(size)
				d.synced = true
				return h, d.scratch, off, nil
			case len(frame) < size && err != nil && !errors.Is(err, io.EOF):
				return mpegHeader{}, nil, 0, err
			}
		}
		_, _ = d.r.discard(1)
		d.stats.JunkBytes++
		d.synced, d.gap = false, true
		if len(d.offsets) == 0 && d.stats.JunkBytes > maxLeadingJunk {
			return mpegHeader{}, nil, 0, fmt.Errorf("no frame in the first %d bytes: %w", maxLeadingJunk, ErrNotAudio)
		}
	}
}

// segmentHeader reports whether frame is a Xing/Info frame and, if so, records
// the segment it starts at the next audio frame (once: frames are read again
// after a seek; a segment with no audio frame is replaced by the next) and
// turns segmented mode on.
func (d *MP3Decoder) segmentHeader(h mpegHeader, frame []byte) bool {
	x, ok := parseXing(h, frame)
	if !ok || !h.sideInfoZero(frame) {
		return false
	}
	if !d.segmented {
		// A second Xing frame: the first one described only the start.
		d.segmented, d.total = true, -1
	}
	s := mp3Segment{first: d.frameNo, frames: x.frames, padding: x.padding}
	switch n := len(d.segs); {
	case n == 0 || d.segs[n-1].first < s.first:
		d.segs = append(d.segs, s)
	case d.segs[n-1].first == s.first:
		d.segs[n-1] = s // the segment before held no audio frame
	}
	return true
}

// confirm decides whether a valid-looking header really starts a frame. Right
// after an accepted frame it does; otherwise the bytes after the frame must
// start another frame of the same stream, a tag, or the end of the stream.
func (d *MP3Decoder) confirm(h mpegHeader, frame []byte, size int, peekErr error) bool {
	if d.synced {
		return true
	}
	if len(frame) < size+4 {
		return errors.Is(peekErr, io.EOF)
	}
	next := frame[size : size+4]
	if nh, ok := parseMPEGHeader(next); ok {
		return nh.sameStream(h)
	}
	return string(next[:3]) == "ID3" || string(next[:3]) == "TAG"
}

// Seek moves to media time t. It lands on the exact sample: the decoder
// restarts a few frames early so that the bit reservoir and the synthesis
// filter are primed, and drops the audio before t.
func (d *MP3Decoder) Seek(t time.Duration) (time.Duration, error) {
	rate := d.format.SampleRate
	t = max(t, 0)
	if dur, ok := d.Duration(); ok && t > dur {
		t = dur
	}
	n := durationToFrames(t, rate)
	t = framesToDuration(n, rate)
	target := t + framesToDuration(d.skip, rate) // in decoder time
	if err := d.indexUpTo(target); err != nil {
		d.err = fmt.Errorf("mp3: seek to %v: %w", t, err)
		return 0, d.err
	}
	// The frame and sample to land on, counted within the run holding the
	// target (in samples from the stream start for the first run).
	ri := sort.Search(len(d.runs), func(i int) bool { return d.runs[i].start > target }) - 1
	run := d.runs[max(ri, 0)]
	s := n + d.skip
	if run.frame > 0 {
		s = durationToFrames(target-run.start, run.rate)
	}
	k := run.frame + int(s/int64(run.spf))
	drop := int(s % int64(run.spf))
	if last := len(d.offsets) - 1; k > last {
		k, drop = last, run.spf // past the end: decode nothing
	}
	j := d.prerollStart(k)
	if err := d.r.seek(d.offsets[j]); err != nil {
		d.err = fmt.Errorf("mp3: seek to %v: %w", t, err)
		return 0, d.err
	}
	d.frameNo = j
	d.dropFrame, d.dropSample = k, drop
	d.dec.Reset()
	d.synced, d.gap = true, false
	d.err = nil
	return t, nil
}

// prerollStart returns the frame to restart decoding from so that frame k
// decodes cleanly: at least two frames early (the first restarts the IMDCT
// overlap and the synthesis filterbank, the second flushes them) and enough
// frames to cover the largest bit reservoir a frame can reference twice over.
func (d *MP3Decoder) prerollStart(k int) int {
	const reservoir = 2 * 511
	j, acc := k, 0
	for j > 0 && (k-j < 2 || acc < reservoir) {
		j--
		acc += int(d.offsets[j+1]-d.offsets[j]) - 36 // header and side info
	}
	return j
}

// indexUpTo extends the frame index by scanning headers until it holds a
// frame starting after decoder time target, or the stream ends.
func (d *MP3Decoder) indexUpTo(target time.Duration) error {
	last := len(d.offsets) - 1
	if d.frameTime(last) > target {
		return nil
	}
	if err := d.r.seek(d.offsets[last]); err != nil {
		return err
	}
	d.frameNo = last
	d.synced = true
	for d.frameTime(len(d.offsets)-1) <= target {
		h, _, off, err := d.nextFrame()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		d.accept(h, off)
	}
	return nil
}

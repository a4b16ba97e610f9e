package decode

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/go-audio/audio"
	"github.com/go-audio/wav"

	"github.com/hotpath-go/hotpath/kithara/bufpool"
)

// WAVDecoder decodes RIFF/WAVE files holding integer PCM (8, 16, 24 or 32
// bits) or 32-bit IEEE float, with github.com/go-audio/wav.
type WAVDecoder struct {
	r         io.ReadSeeker // the fullReader go-audio/wav reads through
	d         *wav.Decoder
	format    Format
	float     bool
	bits      int
	dataStart int64 // offset of the first sample
	dataSize  int64 // bytes of samples, whole frames only
	pos       int64 // next frame
	buf       audio.IntBuffer
}

// wavChunkFrames is how many frames one chunk carries (about 93 ms at
// 44.1 kHz).
const wavChunkFrames = 4096

// WAVE format tags.
const (
	wavFormatPCM        = 1
	wavFormatFloat      = 3
	wavFormatExtensible = 0xfffe
)

var _ Decoder = (*WAVDecoder)(nil)

// NewWAVDecoder parses the RIFF header of r (from offset 0) up to the data
// chunk and returns a decoder at the first sample.
func NewWAVDecoder(r io.ReadSeeker) (*WAVDecoder, error) {
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("wav: seek to start: %w", err)
	}
	if err := checkRIFF(r); err != nil {
		return nil, err
	}
	fr := &fullReader{r}
	d := wav.NewDecoder(fr)
	if err := d.FwdToPCM(); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("wav: find data chunk: %w (%w)", ErrTruncated, err)
		}
		return nil, fmt.Errorf("wav: find data chunk: %w", err)
	}
	if d.PCMChunk == nil || d.NumChans == 0 || d.SampleRate == 0 {
		return nil, fmt.Errorf("wav: no fmt or data chunk: %w", ErrNotAudio)
	}
	w := &WAVDecoder{
		r:      fr,
		d:      d,
		format: Format{SampleRate: int(d.SampleRate), Channels: int(d.NumChans)},
		bits:   int(d.BitDepth),
	}
	switch {
	case d.WavAudioFormat == wavFormatFloat && d.BitDepth == 32:
		w.float = true
	case d.WavAudioFormat == wavFormatPCM || d.WavAudioFormat == wavFormatExtensible:
		switch d.BitDepth {
		case 8, 16, 24, 32:
		default:
			return nil, fmt.Errorf("wav: %d-bit PCM: %w", d.BitDepth, ErrUnsupported)
		}
	default:
		return nil, fmt.Errorf("wav: format tag %#x, %d bits: %w", d.WavAudioFormat, d.BitDepth, ErrUnsupported)
	}
	start, err := fr.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, fmt.Errorf("wav: locate data chunk: %w", err)
	}
	frame := int64(w.format.Channels * w.bits / 8)
	w.dataStart = start
	w.dataSize = int64(d.PCMSize) / frame * frame
	w.buf.Data = make([]int, wavChunkFrames*w.format.Channels)
	return w, nil
}

// Format reports the format of the fmt chunk.
func (w *WAVDecoder) Format() Format { return w.format }

// Duration reports the length of the data chunk.
func (w *WAVDecoder) Duration() (time.Duration, bool) {
	return framesToDuration(w.frames(), w.format.SampleRate), true
}

func (w *WAVDecoder) frames() int64 {
	return w.dataSize / int64(w.format.Channels*w.bits/8)
}

// Next decodes up to wavChunkFrames frames. A data chunk that ends before its
// declared size is an error wrapping ErrTruncated.
func (w *WAVDecoder) Next() (Chunk, error) {
	ch := w.format.Channels
	want := int(min(int64(wavChunkFrames), w.frames()-w.pos))
	if want <= 0 {
		return Chunk{}, io.EOF
	}
	w.buf.Data = w.buf.Data[:want*ch]
	n, err := w.d.PCMBuffer(&w.buf)
	if err != nil {
		return Chunk{}, fmt.Errorf("wav: read frame %d: %w", w.pos, err)
	}
	frames := n / ch
	if frames == 0 {
		return Chunk{}, fmt.Errorf("wav: data ends at frame %d of %d: %w", w.pos, w.frames(), ErrTruncated)
	}
	out := bufpool.Float32.Get(frames * ch)
	src := w.buf.Data[:frames*ch]
	switch {
	case w.float:
		for i, v := range src {
			out[i] = math.Float32frombits(uint32(v))
		}
	case w.bits == 8: // unsigned, centred on 128
		for i, v := range src {
			out[i] = float32(v-128) / 128
		}
	default:
		scale := 1 / float32(int64(1)<<(w.bits-1))
		for i, v := range src {
			out[i] = float32(v) * scale
		}
	}
	t := framesToDuration(w.pos, w.format.SampleRate)
	w.pos += int64(frames)
	return Chunk{Format: w.format, Samples: out, Time: t}, nil
}

// Seek moves to the frame nearest media time t, clamped to the stream.
func (w *WAVDecoder) Seek(t time.Duration) (time.Duration, error) {
	frame := min(durationToFrames(max(t, 0), w.format.SampleRate), w.frames())
	off := frame * int64(w.format.Channels*w.bits/8)
	if _, err := w.r.Seek(w.dataStart+off, io.SeekStart); err != nil {
		return 0, fmt.Errorf("wav: seek to frame %d: %w", frame, err)
	}
	// go-audio/wav reads samples through the data chunk's LimitReader, which
	// counts what is left; give it one that matches the new position.
	w.d.PCMChunk.R = io.LimitReader(w.r, int64(w.d.PCMSize)-off)
	w.pos = frame
	return framesToDuration(frame, w.format.SampleRate), nil
}

// Limits on the header chunks go-audio/wav reads into memory whole, at the
// size the file declares: without them a corrupt size field makes it
// allocate up to 4 GiB.
const (
	maxFmtChunk  = 1 << 10
	maxMetaChunk = 1 << 20
	maxRIFFWalk  = 1 << 10 // chunks before the data chunk
)

// checkRIFF walks the chunk headers of a RIFF/WAVE stream up to the data
// chunk and rejects declared sizes that go-audio/wav would trust with an
// allocation. It leaves r at offset 0.
func checkRIFF(r io.ReadSeeker) error {
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return fmt.Errorf("wav: read RIFF header: %w (%w)", ErrTruncated, err)
	}
	if string(hdr[:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return fmt.Errorf("wav: not a RIFF/WAVE stream: %w", ErrNotAudio)
	}
	for range maxRIFFWalk {
		if _, err := io.ReadFull(r, hdr[:8]); err != nil {
			return fmt.Errorf("wav: read chunk header: %w (%w)", ErrTruncated, err)
		}
		id, size := string(hdr[:4]), int64(binary.LittleEndian.Uint32(hdr[4:8]))
		switch {
		case id == "data":
			if _, err := r.Seek(0, io.SeekStart); err != nil {
				return fmt.Errorf("wav: seek back to start: %w", err)
			}
			return nil
		case id == "fmt " && (size < 16 || size > maxFmtChunk):
			return fmt.Errorf("wav: fmt chunk of %d bytes: %w", size, ErrUnsupported)
		case (id == "LIST" || id == "smpl" || id == "cue ") && size > maxMetaChunk:
			return fmt.Errorf("wav: %q chunk of %d bytes before the data: %w", id, size, ErrUnsupported)
		}
		if _, err := io.CopyN(io.Discard, r, size+size&1); err != nil {
			return fmt.Errorf("wav: skip %q chunk: %w (%w)", id, ErrTruncated, err)
		}
	}
	return fmt.Errorf("wav: no data chunk in the first %d chunks: %w", maxRIFFWalk, ErrUnsupported)
}

// fullReader makes every Read fill its buffer unless the stream ends.
// go-audio/wav decodes whatever one Read returns and drops a partial sample at
// the end of it, so a short read in mid-stream (a streaming reader returns
// what one network chunk holds) would corrupt the samples after it.
type fullReader struct{ io.ReadSeeker }

func (f *fullReader) Read(p []byte) (int, error) {
	n, err := io.ReadFull(f.ReadSeeker, p)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = nil // the next Read reports io.EOF
	}
	return n, err
}

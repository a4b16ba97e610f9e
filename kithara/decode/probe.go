package decode

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/hotpath-go/hotpath/kithara/decode/aac"
)

// Codec names a stream format this package knows about.
type Codec int

// Codecs. CodecUnknown is the zero value.
const (
	CodecUnknown Codec = iota
	CodecMP3
	CodecFLAC
	CodecWAV
	// CodecAAC is AAC in an ADTS stream (NewDecoderFor opens it with
	// NewADTSDecoder and the default priming).
	CodecAAC
)

// String returns the codec's short name.
func (c Codec) String() string {
	switch c {
	case CodecMP3:
		return "mp3"
	case CodecFLAC:
		return "flac"
	case CodecWAV:
		return "wav"
	case CodecAAC:
		return "aac"
	}
	return "unknown"
}

// probeSize is how much of a stream Probe reads: enough for an ID3v2 header
// and, after the tag, a frame header and the header after it.
const probeSize = 4096

// ProbeBytes identifies the codec from the first bytes of a stream. It skips
// an ID3v2 tag when the tag and what follows it are inside b; when they are
// not, a tag alone is taken to mean MP3, as it almost always does.
//
// An ADTS stream is CodecAAC when it is mono or stereo AAC-LC.
//
// It returns ErrUnsupported (wrapped, naming the format) for audio it
// recognises but cannot decode — other AAC profiles and channel counts in
// ADTS, MPEG Layer I/II, MPEG-2.5, MP4/M4A, Ogg, non-PCM WAVE — and
// ErrNotAudio for anything else.
func ProbeBytes(b []byte) (Codec, error) {
	if n := id3v2Size(b); n > 0 {
		if int64(len(b)) < n+4 {
			return CodecMP3, nil
		}
		b = b[n:]
	}
	switch {
	case len(b) >= 4 && string(b[:4]) == "fLaC":
		return CodecFLAC, nil
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WAVE":
		return CodecWAV, nil
	case len(b) >= 12 && string(b[:4]) == "RIFF":
		return CodecUnknown, fmt.Errorf("RIFF form %q: %w", b[8:12], ErrUnsupported)
	case len(b) >= 8 && string(b[4:8]) == "ftyp":
		return CodecUnknown, fmt.Errorf("MP4/M4A container: %w", ErrUnsupported)
	case len(b) >= 4 && string(b[:4]) == "OggS":
		return CodecUnknown, fmt.Errorf("ogg container: %w", ErrUnsupported)
	}
	if i, ok := findMPEG(b); ok {
		if h, ok := parseMPEGHeader(b[i:]); ok {
			if h.playable() {
				return CodecMP3, nil
			}
			return CodecUnknown, fmt.Errorf("MPEG-2 Layer III at %d Hz (go-mp3 decodes it wrongly): %w", h.sampleRate, ErrUnsupported)
		}
		if adtsSync(b[i:]) {
			h, err := aac.ParseADTSHeader(b[i:])
			if err == nil {
				err = h.Validate()
			}
			if err != nil {
				return CodecUnknown, fmt.Errorf("ADTS: %w", mapAACError(err))
			}
			return CodecAAC, nil
		}
		return CodecUnknown, fmt.Errorf("MPEG audio other than MPEG-1 Layer III: %w", ErrUnsupported)
	}
	return CodecUnknown, ErrNotAudio
}

// findMPEG looks for the first sync word in b that a second header confirms
// one frame later (or that ends b exactly), so that a stray 0xFFE in junk is
// not taken for audio. A lone header that fills all of b short of its frame is
// accepted: probe buffers are short.
func findMPEG(b []byte) (int, bool) {
	for i := 0; i+4 <= len(b); i++ {
		if b[i] != 0xff {
			continue
		}
		if adtsSync(b[i:]) {
			if i == 0 || adtsConfirmed(b[i:]) {
				return i, true
			}
			continue
		}
		if !mpegSync(b[i:]) {
			continue
		}
		h, ok := parseMPEGHeader(b[i:])
		if !ok {
			// Recognisable MPEG audio we cannot play; report it as such
			// only if it starts the stream, else keep looking.
			if i == 0 {
				return i, true
			}
			continue
		}
		end := i + h.frameSize()
		switch {
		case end+4 <= len(b):
			if nh, ok := parseMPEGHeader(b[end:]); ok && nh.sameStream(h) {
				return i, true
			}
		case i == 0:
			return i, true
		}
	}
	return 0, false
}

// adtsConfirmed reports whether the ADTS frame at the start of b is followed
// by another ADTS header where its length field says.
func adtsConfirmed(b []byte) bool {
	if len(b) < 7 {
		return false
	}
	n := int(b[3]&3)<<11 | int(b[4])<<3 | int(b[5])>>5
	return n >= 7 && n+2 <= len(b) && adtsSync(b[n:])
}

// Probe identifies the codec of the stream in r from its first bytes and
// leaves r at offset 0. See ProbeBytes for the errors.
func Probe(r io.ReadSeeker) (Codec, error) {
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return CodecUnknown, fmt.Errorf("probe: seek to start: %w", err)
	}
	buf := make([]byte, probeSize)
	n, err := io.ReadFull(r, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return CodecUnknown, fmt.Errorf("probe: read: %w", err)
	}
	buf = buf[:n]
	// A large ID3v2 tag (cover art) hides the audio: read past it.
	if tag := id3v2Size(buf); tag > 0 && tag+8 > int64(n) {
		if _, err := r.Seek(tag, io.SeekStart); err != nil {
			return CodecUnknown, fmt.Errorf("probe: skip %d-byte ID3v2 tag: %w", tag, err)
		}
		m, err := io.ReadFull(r, buf[:cap(buf)])
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
			return CodecUnknown, fmt.Errorf("probe: read after ID3v2 tag: %w", err)
		}
		buf = buf[:m]
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return CodecUnknown, fmt.Errorf("probe: seek back to start: %w", err)
	}
	c, err := ProbeBytes(buf)
	if err != nil {
		return c, fmt.Errorf("probe: %w", err)
	}
	return c, nil
}

// ProbeCodecs maps an HLS CODECS attribute (RFC 6381 codec strings, comma
// separated) to the audio codec it names. Video codecs in the list are
// ignored. MP3 is "mp4a.40.34", "mp4a.6B", "mp4a.69" or "mp3"; FLAC is
// "fLaC" or "flac"; AAC-LC is "mp4a.40.2" (MPEG-4) or "mp4a.67" (MPEG-2).
// HE-AAC ("mp4a.40.5", "mp4a.40.29"), other AAC object types, AC-3,
// E-AC-3, Opus and ALAC are reported as ErrUnsupported; an attribute that
// names no audio codec at all returns CodecUnknown and ErrNotAudio.
//
// CodecAAC names the codec, not the container: AAC in fMP4 segments is
// decoded with NewAACDecoder, AAC in ADTS (packed audio, MPEG-TS payloads)
// with NewADTSDecoder.
func ProbeCodecs(codecs string) (Codec, error) {
	var unsupported []string
	for _, raw := range strings.Split(codecs, ",") {
		c := strings.TrimSpace(strings.Trim(strings.TrimSpace(raw), `"`))
		lc := strings.ToLower(c)
		switch {
		case lc == "":
		case lc == "mp4a.40.34", lc == "mp4a.6b", lc == "mp4a.69", lc == "mp3", lc == ".mp3":
			return CodecMP3, nil
		case lc == "flac":
			return CodecFLAC, nil
		case lc == "mp4a.40.2", lc == "mp4a.40.02", lc == "mp4a.67":
			return CodecAAC, nil
		case lc == "mp4a.40.5", lc == "mp4a.40.05", lc == "mp4a.40.29":
			unsupported = append(unsupported, c+" (HE-AAC)")
		case strings.HasPrefix(lc, "mp4a"), lc == "aac", lc == "ac-3", lc == "ec-3", lc == "opus", lc == "alac", lc == "vorbis":
			unsupported = append(unsupported, c)
		}
	}
	if len(unsupported) > 0 {
		return CodecUnknown, fmt.Errorf("codecs %s: %w", strings.Join(unsupported, ","), ErrUnsupported)
	}
	return CodecUnknown, fmt.Errorf("codecs %q: %w", codecs, ErrNotAudio)
}

// NewDecoder probes r and opens the matching decoder.
func NewDecoder(r io.ReadSeeker) (Decoder, error) {
	c, err := Probe(r)
	if err != nil {
		return nil, err
	}
	return NewDecoderFor(c, r)
}

// NewDecoderFor opens a decoder for codec c over r, for callers that know the
// codec already (from an HLS CODECS attribute, say).
func NewDecoderFor(c Codec, r io.ReadSeeker) (Decoder, error) {
	switch c {
	case CodecMP3:
		return NewMP3Decoder(r)
	case CodecFLAC:
		return NewFLACDecoder(r)
	case CodecWAV:
		return NewWAVDecoder(r)
	case CodecAAC:
		return NewADTSDecoder(r, AACOptions{})
	}
	return nil, fmt.Errorf("decoder for codec %v: %w", c, ErrUnsupported)
}

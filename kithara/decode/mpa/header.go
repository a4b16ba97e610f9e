package mpa

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Version is the MPEG audio version of a frame.
type Version int

// The three versions of Layer III: MPEG-1 (32, 44.1, 48 kHz), MPEG-2 LSF
// (16, 22.05, 24 kHz) and the unofficial but common MPEG-2.5 (8, 11.025,
// 12 kHz).
const (
	MPEG1  Version = 1
	MPEG2  Version = 2
	MPEG25 Version = 25
)

func (v Version) String() string {
	switch v {
	case MPEG1:
		return "MPEG-1"
	case MPEG2:
		return "MPEG-2"
	case MPEG25:
		return "MPEG-2.5"
	}
	return fmt.Sprintf("MPEG version %d", int(v))
}

// Channel modes of the frame header.
const (
	ModeStereo      = 0
	ModeJointStereo = 1
	ModeDualChannel = 2
	ModeMono        = 3
)

// HeaderSize is the size of a frame header in bytes.
const HeaderSize = 4

// ErrHeader reports bytes that are not a Layer III frame header this package
// decodes.
var ErrHeader = errors.New("mpa: not a Layer III frame header")

// The ways a header fails, made once: framers try ParseHeader at every byte
// of junk.
var (
	errShort      = fmt.Errorf("%w: fewer than 4 bytes", ErrHeader)
	errSync       = fmt.Errorf("%w: no sync word", ErrHeader)
	errVersion    = fmt.Errorf("%w: reserved version", ErrHeader)
	errLayer      = fmt.Errorf("%w: layer I or II", ErrHeader)
	errLayer4     = fmt.Errorf("%w: reserved layer", ErrHeader)
	errFreeFormat = fmt.Errorf("%w: free-format bit rate is not supported", ErrHeader)
	errBitrate    = fmt.Errorf("%w: bad bit rate index", ErrHeader)
	errRate       = fmt.Errorf("%w: reserved sample rate", ErrHeader)
)

// Header is a parsed Layer III frame header.
type Header struct {
	Version    Version
	CRC        bool // a 16-bit CRC follows the header
	Bitrate    int  // bits per second
	SampleRate int  // Hz
	Padding    bool
	Mode       int // ModeStereo .. ModeMono
	ModeExt    int // joint stereo: bit 1 is M/S, bit 0 intensity stereo
	Channels   int

	rateIndex int // 0..8 over the nine sample rates, for the band tables
}

var (
	bitratesV1 = [15]int{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320}
	bitratesV2 = [15]int{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160}
	// sampleRates by rateIndex: MPEG-1, MPEG-2, MPEG-2.5.
	sampleRates = [9]int{44100, 48000, 32000, 22050, 24000, 16000, 11025, 12000, 8000}
)

// ParseHeader parses the first 4 bytes of b as a Layer III frame header.
// Free-format streams (bit rate index 0) are not supported.
func ParseHeader(b []byte) (Header, error) {
	var h Header
	if len(b) < HeaderSize {
		return h, errShort
	}
	w := binary.BigEndian.Uint32(b)
	if w>>21 != 0x7ff {
		return h, errSync
	}
	switch (w >> 19) & 3 {
	case 3:
		h.Version = MPEG1
	case 2:
		h.Version = MPEG2
	case 0:
		h.Version = MPEG25
	default:
		return h, errVersion
	}
	switch (w >> 17) & 3 {
	case 0:
		return h, errLayer4
	case 2, 3:
		return h, errLayer
	}
	h.CRC = (w>>16)&1 == 0
	bi := (w >> 12) & 0xf
	switch bi {
	case 0:
		return h, errFreeFormat
	case 15:
		return h, errBitrate
	}
	si := int((w >> 10) & 3)
	if si == 3 {
		return h, errRate
	}
	switch h.Version {
	case MPEG1:
		h.Bitrate = bitratesV1[bi] * 1000
		h.rateIndex = si
	case MPEG2:
		h.Bitrate = bitratesV2[bi] * 1000
		h.rateIndex = 3 + si
	default:
		h.Bitrate = bitratesV2[bi] * 1000
		h.rateIndex = 6 + si
	}
	h.SampleRate = sampleRates[h.rateIndex]
	h.Padding = (w>>9)&1 == 1
	h.Mode = int(w>>6) & 3
	h.ModeExt = int(w>>4) & 3
	h.Channels = 2
	if h.Mode == ModeMono {
		h.Channels = 1
	}
	return h, nil
}

// lsf reports whether the frame uses the low-sampling-frequency syntax of
// MPEG-2 (and MPEG-2.5): one granule per frame, other scalefactor coding.
func (h Header) lsf() bool { return h.Version != MPEG1 }

// granules reports the granules (of 576 samples per channel) in a frame.
func (h Header) granules() int {
	if h.lsf() {
		return 1
	}
	return 2
}

// SamplesPerFrame reports the PCM frames (samples per channel) one frame
// decodes to: 1152 for MPEG-1, 576 otherwise.
func (h Header) SamplesPerFrame() int { return 576 * h.granules() }

// FrameSize reports the size of the whole frame in bytes, header included.
func (h Header) FrameSize() int {
	n := 144 * h.Bitrate / h.SampleRate
	if h.lsf() {
		n = 72 * h.Bitrate / h.SampleRate
	}
	if h.Padding {
		n++
	}
	return n
}

// SideInfoSize reports the size of the side information in bytes.
func (h Header) SideInfoSize() int {
	switch {
	case !h.lsf() && h.Channels == 1:
		return 17
	case !h.lsf():
		return 32
	case h.Channels == 1:
		return 9
	default:
		return 17
	}
}

// sideInfoOffset is where the side information starts in a frame.
func (h Header) sideInfoOffset() int {
	if h.CRC {
		return HeaderSize + 2
	}
	return HeaderSize
}

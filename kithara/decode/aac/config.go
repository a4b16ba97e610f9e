package aac

import "fmt"

// Object types of MPEG-4 Audio (ISO/IEC 14496-3 1.5.1.1) this package names.
const (
	ObjectTypeMain = 1
	ObjectTypeLC   = 2
	ObjectTypeSSR  = 3
	ObjectTypeLTP  = 4
	ObjectTypeSBR  = 5  // HE-AAC
	ObjectTypePS   = 29 // HE-AAC v2
)

// Config describes an AAC stream: what an AudioSpecificConfig or an ADTS
// header says about it.
type Config struct {
	// ObjectType is the MPEG-4 audio object type (2 for AAC-LC).
	ObjectType int
	// SampleRate is the sampling frequency in Hz.
	SampleRate int
	// Channels is the channel count of the channel configuration (1 or 2
	// for the streams this package decodes); 0 when the configuration is 0
	// (channels described by a program_config_element).
	Channels int
	// FrameLength is the number of samples per channel in one access unit:
	// 1024 (or 960, which this package refuses).
	FrameLength int
}

// sampleRates maps sampling_frequency_index to Hz (ISO/IEC 14496-3 1.6.3.4).
var sampleRates = [...]int{96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350}

// rateIndex returns the sampling_frequency_index of rate, or the index of
// the nearest table rate for a rate given explicitly (1.6.5.1, Table 4.82's
// ranges), which selects the scalefactor band tables.
func rateIndex(rate int) int {
	switch {
	case rate >= 92017:
		return 0
	case rate >= 75132:
		return 1
	case rate >= 55426:
		return 2
	case rate >= 46009:
		return 3
	case rate >= 37566:
		return 4
	case rate >= 27713:
		return 5
	case rate >= 23004:
		return 6
	case rate >= 18783:
		return 7
	case rate >= 13856:
		return 8
	case rate >= 11502:
		return 9
	case rate >= 9391:
		return 10
	}
	return 11
}

// Validate reports whether this package can decode a stream with
// configuration c, and why not: an error wrapping ErrUnsupported.
func (c Config) Validate() error {
	switch {
	case c.ObjectType == ObjectTypeSBR || c.ObjectType == ObjectTypePS:
		return fmt.Errorf("HE-AAC (object type %d, SBR/PS): %w", c.ObjectType, ErrUnsupported)
	case c.ObjectType != ObjectTypeLC:
		return fmt.Errorf("object type %d (only AAC-LC, 2, is decoded): %w", c.ObjectType, ErrUnsupported)
	case c.SampleRate < 7350 || c.SampleRate > 96000:
		return fmt.Errorf("sample rate %d Hz: %w", c.SampleRate, ErrUnsupported)
	case c.Channels != 1 && c.Channels != 2:
		return fmt.Errorf("%d channels (only mono and stereo are decoded): %w", c.Channels, ErrUnsupported)
	case c.FrameLength != 1024:
		return fmt.Errorf("frame length %d (only 1024 is decoded): %w", c.FrameLength, ErrUnsupported)
	}
	return nil
}

// ParseASC parses an AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1), the
// decoder-specific info of an MP4 esds box. Explicitly signalled SBR/PS
// (object types 5 and 29) is reported in ObjectType as such; call
// [Config.Validate] (NewDecoder does) to learn whether it can be decoded.
func ParseASC(b []byte) (Config, error) {
	return parseASC(b)
}

// ADTSHeader is a parsed ADTS frame header (ISO/IEC 14496-3 1.A.2.2).
type ADTSHeader struct {
	Config
	// FrameLen is the length of the whole ADTS frame, header included.
	FrameLen int
	// HeaderLen is 7, or 9 with a CRC.
	HeaderLen int
	// RawBlocks is the number of raw_data_blocks in the frame (1 to 4).
	RawBlocks int
	// CRC reports whether the header carries a CRC (protection_absent == 0).
	CRC bool
}

// ADTSHeaderLen is the length of an ADTS header without CRC: what
// ParseADTSHeader needs at least.
const ADTSHeaderLen = 7

// ParseADTSHeader parses the ADTS header at the start of b, which must hold
// at least ADTSHeaderLen bytes. It checks the sync word, layer and lengths,
// not the payload; Config.ObjectType is the profile field plus one.
func ParseADTSHeader(b []byte) (ADTSHeader, error) {
	return parseADTSHeader(b)
}

// AppendADTSHeader appends a 7-byte ADTS header (no CRC, one raw data
// block) for an access unit of payloadLen bytes in a stream with
// configuration c to dst: the way to carry raw access units (from MP4) as
// an ADTS stream. It fails when c cannot be expressed in ADTS (an object
// type above 4, a rate outside the table, more than 7 channels) or the frame
// would exceed the 13-bit length field.
func (c Config) AppendADTSHeader(dst []byte, payloadLen int) ([]byte, error) {
	return appendADTSHeader(dst, c, payloadLen)
}

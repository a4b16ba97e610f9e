package aac

import "fmt"

// parseASC reads AudioSpecificConfig (1.6.2.1) far enough to know the
// object type, rate, channel configuration and frame length; it also
// recognises the explicit backward-compatible SBR signalling that follows
// GASpecificConfig.
func parseASC(b []byte) (Config, error) {
	if len(b) < 2 {
		return Config{}, fmt.Errorf("AudioSpecificConfig of %d bytes: %w", len(b), ErrInvalid)
	}
	r := newBitReader(b)
	aot := readObjectType(&r)
	rate, err := readRate(&r)
	if err != nil {
		return Config{}, err
	}
	chanCfg := int(r.read(4))
	cfg := Config{ObjectType: aot, SampleRate: rate, Channels: channelsOf(chanCfg), FrameLength: 1024}
	if aot == ObjectTypeSBR || aot == ObjectTypePS {
		// Explicit hierarchical signalling: the extension rate, then the
		// core's object type. Reported as HE-AAC.
		if _, err := readRate(&r); err != nil {
			return Config{}, err
		}
		readObjectType(&r)
		if r.overrun {
			return Config{}, fmt.Errorf("AudioSpecificConfig truncated: %w", ErrInvalid)
		}
		return cfg, nil
	}
	switch aot {
	case 1, 2, 3, 4, 6, 7, 17, 19, 20, 21, 22, 23:
		// GASpecificConfig (4.4.1).
		if r.bit() {
			cfg.FrameLength = 960
		}
		if r.bit() { // dependsOnCoreCoder
			r.skip(14)
		}
		ext := r.bit()
		if chanCfg == 0 {
			// A program_config_element describes the channels; the
			// decoder needs a channel configuration of 1 or 2.
			cfg.Channels = 0
		}
		if aot == 6 || aot == 20 {
			r.skip(3)
		}
		if ext && aot >= 17 {
			r.skip(1)
		}
	}
	if r.overrun {
		return Config{}, fmt.Errorf("AudioSpecificConfig truncated: %w", ErrInvalid)
	}
	// Backward-compatible explicit SBR signalling (1.6.5.2): a sync
	// extension 0x2b7 after the core config, then object type 5.
	if r.left() >= 16 && r.read(11) == 0x2b7 {
		if readObjectType(&r) == ObjectTypeSBR && r.bit() && !r.overrun {
			cfg.ObjectType = ObjectTypeSBR
		}
	}
	return cfg, nil
}

func readObjectType(r *bitReader) int {
	aot := int(r.read(5))
	if aot == 31 {
		aot = 32 + int(r.read(6))
	}
	return aot
}

func readRate(r *bitReader) (int, error) {
	i := int(r.read(4))
	switch {
	case i == 15:
		rate := int(r.read(24))
		if rate == 0 {
			return 0, fmt.Errorf("explicit sampling frequency 0: %w", ErrInvalid)
		}
		return rate, nil
	case i >= len(sampleRates):
		return 0, fmt.Errorf("sampling frequency index %d: %w", i, ErrInvalid)
	}
	return sampleRates[i], nil
}

// channelsOf maps a channel configuration to its channel count.
func channelsOf(chanCfg int) int {
	switch {
	case chanCfg <= 6:
		return chanCfg
	case chanCfg == 7:
		return 8
	}
	return 0
}

func parseADTSHeader(b []byte) (ADTSHeader, error) {
	if len(b) < ADTSHeaderLen {
		return ADTSHeader{}, fmt.Errorf("ADTS header of %d bytes: %w", len(b), ErrInvalid)
	}
	if b[0] != 0xff || b[1]&0xf0 != 0xf0 {
		return ADTSHeader{}, fmt.Errorf("no ADTS sync word: %w", ErrInvalid)
	}
	if b[1]&0x06 != 0 {
		return ADTSHeader{}, fmt.Errorf("ADTS layer %d (must be 0): %w", b[1]>>1&3, ErrInvalid)
	}
	var h ADTSHeader
	h.CRC = b[1]&1 == 0
	h.HeaderLen = 7
	if h.CRC {
		h.HeaderLen = 9
	}
	h.ObjectType = int(b[2]>>6) + 1
	ri := int(b[2] >> 2 & 0xf)
	if ri >= len(sampleRates) {
		return ADTSHeader{}, fmt.Errorf("ADTS sampling frequency index %d: %w", ri, ErrInvalid)
	}
	h.SampleRate = sampleRates[ri]
	chanCfg := int(b[2]&1)<<2 | int(b[3]>>6)
	h.Channels = channelsOf(chanCfg)
	h.FrameLength = 1024
	h.FrameLen = int(b[3]&3)<<11 | int(b[4])<<3 | int(b[5])>>5
	h.RawBlocks = int(b[6]&3) + 1
	if h.FrameLen < h.HeaderLen {
		return ADTSHeader{}, fmt.Errorf("ADTS frame length %d shorter than its %d-byte header: %w", h.FrameLen, h.HeaderLen, ErrInvalid)
	}
	return h, nil
}

func appendADTSHeader(dst []byte, c Config, payloadLen int) ([]byte, error) {
	if c.ObjectType < 1 || c.ObjectType > 4 {
		return dst, fmt.Errorf("ADTS cannot carry object type %d: %w", c.ObjectType, ErrUnsupported)
	}
	ri := -1
	for i, r := range sampleRates {
		if r == c.SampleRate {
			ri = i
		}
	}
	if ri < 0 {
		return dst, fmt.Errorf("ADTS cannot carry sample rate %d Hz: %w", c.SampleRate, ErrUnsupported)
	}
	chanCfg := c.Channels
	if chanCfg == 8 {
		chanCfg = 7
	}
	if chanCfg < 1 || chanCfg > 7 {
		return dst, fmt.Errorf("ADTS cannot carry %d channels: %w", c.Channels, ErrUnsupported)
	}
	n := payloadLen + ADTSHeaderLen
	if payloadLen < 0 || n >= 1<<13 {
		return dst, fmt.Errorf("ADTS frame of %d bytes (at most 8191): %w", n, ErrUnsupported)
	}
	const fullness = 0x7ff // variable bit rate
	return append(dst,
		0xff, 0xf1,
		byte(c.ObjectType-1)<<6|byte(ri)<<2|byte(chanCfg>>2),
		byte(chanCfg&3)<<6|byte(n>>11),
		byte(n>>3),
		byte(n&7)<<5|fullness>>6,
		byte(fullness&0x3f)<<2, // one raw data block
	), nil
}

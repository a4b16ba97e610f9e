package aac

// Decoder decodes the access units of one AAC-LC stream. It is not safe for
// concurrent use.
type Decoder struct {
	cfg Config
	st  *state
}

// NewDecoder returns a decoder for a stream with configuration cfg, or an
// error wrapping ErrUnsupported when cfg is not a mono or stereo AAC-LC
// stream with 1024-sample frames.
func NewDecoder(cfg Config) (*Decoder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Decoder{cfg: cfg, st: newState(cfg)}, nil
}

// Config returns the configuration the decoder was made with.
func (d *Decoder) Config() Config { return d.cfg }

// Decode decodes one access unit (one raw_data_block: an ADTS frame's
// payload after its header and CRC, or an MP4 sample) and appends
// FrameLength*Channels interleaved float32 samples to dst, nominally in
// [-1, 1]. On error dst is returned unchanged, the error wraps ErrInvalid or
// ErrUnsupported, and the decoder stays usable: the next access unit decodes
// (its overlap with the failed one is lost).
func (d *Decoder) Decode(au []byte, dst []float32) ([]float32, error) {
	return d.st.decode(au, dst)
}

// Reset forgets the overlap and prediction state, as before the first access
// unit: for a seek or a discontinuity.
func (d *Decoder) Reset() { d.st.reset() }

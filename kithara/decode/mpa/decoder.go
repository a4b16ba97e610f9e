package mpa

import (
	"errors"
	"fmt"
	"slices"
)

// ErrReservoir reports a frame whose main data begins in earlier frames
// that the decoder has not seen (the first frames after Reset, or after a
// lost frame). The granules without data decode as silence; the frame's
// output is still complete and belongs in the timeline.
var ErrReservoir = errors.New("mpa: frame needs bit-reservoir data from frames not seen")

// ErrFrame reports a frame that is too short for its header.
var ErrFrame = errors.New("mpa: truncated frame")

// maxReservoir is the most main data a frame can refer back to: 511 bytes
// (a 9-bit main_data_begin) in MPEG-1, 255 in MPEG-2.
const maxReservoir = 511

// Decoder decodes a Layer III elementary stream frame by frame. It keeps
// the state that links frames: the bit reservoir, the IMDCT overlap and the
// synthesis filterbank. A Decoder is not safe for concurrent use.
type Decoder struct {
	res []byte // main data of earlier frames, the last maxReservoir bytes at most
	buf []byte // scratch: reservoir tail + this frame's main data + padding

	si     sideInfo
	sf     [2][40]uint8
	sfBits [2][40]uint8 // MPEG-2: bits each scalefactor was coded with
	iv     [576]int32
	xr     [2][576]float32
	nz     [2]int // per channel, xr is zero from here on
	tmp    [576]float32
	sub    [18][32]float32
	// overlap is the second half of the previous granule's IMDCT output.
	overlap [2][32][18]float32
	synth   [2]synth
}

// NewDecoder returns a decoder at the start of a stream.
func NewDecoder() *Decoder { return &Decoder{} }

// Reset forgets the reservoir, overlap and filterbank state, as at the start
// of a stream; call it after a seek.
func (d *Decoder) Reset() {
	d.res = d.res[:0]
	d.overlap = [2][32][18]float32{}
	d.synth[0].reset()
	d.synth[1].reset()
}

// DecodeFrame decodes one whole frame (header, optional CRC, side
// information and main data; bytes past the frame's size are ignored) and
// appends its PCM to dst: SamplesPerFrame samples per channel, interleaved
// when stereo, nominally within [-1, 1]. On ErrReservoir the samples are
// appended all the same. On any other error dst is returned unchanged; a
// frame rejected for its side information (ErrSideInfo) still passes its
// main data to the reservoir, where the next frames may look for theirs.
func (d *Decoder) DecodeFrame(frame []byte, dst []float32) ([]float32, error) {
	h, err := ParseHeader(frame)
	if err != nil {
		return dst, err
	}
	size := h.FrameSize()
	if len(frame) < size {
		return dst, fmt.Errorf("%w: %d of %d bytes", ErrFrame, len(frame), size)
	}
	off := h.sideInfoOffset()
	mainStart := off + h.SideInfoSize()
	if mainStart > size {
		return dst, fmt.Errorf("%w: %d bytes cannot hold the side information", ErrFrame, size)
	}
	main := frame[mainStart:size]
	err = readSideInfo(&h, frame[off:mainStart], &d.si)
	if err == nil {
		// The granules' data must end within this frame.
		bits := 0
		for gr := range h.granules() {
			for ch := range h.Channels {
				bits += d.si.gr[gr][ch].part23
			}
		}
		if avail := 8 * (d.si.mainDataBegin + len(main)); bits > avail {
			err = fmt.Errorf("%w: %d bits of granule data, %d available", ErrSideInfo, bits, avail)
		}
	}
	if err != nil {
		// Frames after this one may take their main data from it.
		d.keepMainData(main)
		return dst, err
	}

	// The main data starts main_data_begin bytes before this frame's.
	begin := d.si.mainDataBegin
	have := min(begin, len(d.res))
	d.buf = append(d.buf[:0], d.res[len(d.res)-have:]...)
	d.buf = append(d.buf, main...)
	d.buf = append(d.buf, make([]byte, 8)...)
	// Reads past the data see the zero padding.
	r := bitReader{b: d.buf, pos: 8 * (have - begin)}

	nch := h.Channels
	n := h.SamplesPerFrame() * nch
	at := len(dst)
	dst = slices.Grow(dst, n)[:at+n]
	out := dst[at:]
	var missing bool
	for gr := range h.granules() {
		// Granules whose data lies before the reservoir decode as silence.
		skip := r.pos < 0
		if skip {
			missing = true
		}
		for ch := range nch {
			g := &d.si.gr[gr][ch]
			start := r.pos
			end := start + g.part23
			if skip {
				d.xr[ch] = [576]float32{}
				d.nz[ch] = 0
				r.pos = end
				continue
			}
			if h.lsf() {
				d.readScalefactorsLSF(&h, &r, g, ch)
			} else {
				d.readScalefactorsV1(&r, g, gr, ch)
			}
			nz := huffman(&r, g, end, &d.iv)
			d.requantize(&h, g, ch, &d.iv, nz)
			d.nz[ch] = nz
			r.pos = end
		}
		if !skip && h.Mode == ModeJointStereo && nch == 2 {
			d.stereo(&h, &d.si.gr[gr][1])
		}
		for ch := range nch {
			g := &d.si.gr[gr][ch]
			if !skip {
				d.reorder(&h, g, ch)
				d.antialias(g, ch)
			}
			d.hybrid(g, ch)
			pcm := out[gr*576*nch+ch:]
			for t := range 18 {
				d.synth[ch].run(&d.sub[t], pcm[t*32*nch:], nch)
			}
		}
	}

	d.keepMainData(main)
	if missing {
		return dst, ErrReservoir
	}
	return dst, nil
}

// keepMainData appends a frame's main data to the reservoir, which keeps
// the last maxReservoir bytes (trimmed now and then, not at every frame).
func (d *Decoder) keepMainData(main []byte) {
	d.res = append(d.res, main...)
	if len(d.res) > 4*maxReservoir {
		d.res = append(d.res[:0], d.res[len(d.res)-maxReservoir:]...)
	}
}

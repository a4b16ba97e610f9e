package decode

import (
	"encoding/binary"
	"sort"

	"github.com/hotpath-go/hotpath/kithara/decode/mpa"
)

// mpegHeader is a parsed MPEG audio frame header, limited to what framing,
// probing and gapless trimming need.
type mpegHeader struct {
	version    int // 1 for MPEG-1, 2 for MPEG-2, 25 for MPEG-2.5 (as mpa.Version)
	layer      int // 1, 2 or 3
	crc        bool
	bitrate    int // bits per second
	sampleRate int
	padding    bool
	channels   int
}

// parseMPEGHeader parses the 4 bytes of b as a Layer III frame header of
// any MPEG version (1, 2 or 2.5) with a bit rate from the table (free format
// is not supported). Other valid MPEG audio headers (Layers I and II) are
// reported through ok=false; mpegSync tells them apart for probing.
func parseMPEGHeader(b []byte) (h mpegHeader, ok bool) {
	x, err := mpa.ParseHeader(b)
	if err != nil || b[3]&3 == 2 { // reserved emphasis
		return h, false
	}
	return mpegHeader{
		version:    int(x.Version),
		layer:      3,
		crc:        x.CRC,
		bitrate:    x.Bitrate,
		sampleRate: x.SampleRate,
		padding:    x.Padding,
		channels:   x.Channels,
	}, true
}

// mpegSync reports whether b starts with an MPEG audio sync word followed by
// a plausible header of any version and layer, including ADTS AAC (layer
// bits 00), so the probe can name what it cannot play.
func mpegSync(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	w := binary.BigEndian.Uint32(b)
	return w>>21 == 0x7ff && (w>>12)&0xf != 0xf && (w>>10)&3 != 3
}

// adtsSync reports whether b starts with an ADTS (AAC) header: a 12-bit sync
// word and layer 00.
func adtsSync(b []byte) bool {
	return len(b) >= 2 && b[0] == 0xff && b[1]&0xf6 == 0xf0
}

// samplesPerFrame reports the PCM frames one MPEG frame decodes to.
func (h mpegHeader) samplesPerFrame() int {
	if h.version == 1 {
		return 1152
	}
	return 576
}

// frameSize reports the size of the whole frame in bytes, header included.
func (h mpegHeader) frameSize() int {
	coef := 144
	if h.version != 1 {
		coef = 72
	}
	n := coef * h.bitrate / h.sampleRate
	if h.padding {
		n++
	}
	return n
}

// sideInfoSize reports the size of the Layer III side information.
func (h mpegHeader) sideInfoSize() int {
	switch {
	case h.version == 1 && h.channels == 1:
		return 17
	case h.version == 1:
		return 32
	case h.channels == 1:
		return 9
	default:
		return 17
	}
}

// sideInfoOffset is where the side information starts in the frame.
func (h mpegHeader) sideInfoOffset() int {
	if h.crc {
		return 6
	}
	return 4
}

// sameStream reports whether two headers can belong to one elementary
// stream; resynchronisation uses it to reject a false sync word. The sample
// rate may change (an HLS variant switch), the MPEG version may not.
func (h mpegHeader) sameStream(o mpegHeader) bool {
	return h.version == o.version && h.layer == o.layer
}

// xingInfo is what a Xing/Info frame and its LAME extension declare.
type xingInfo struct {
	frames  int64 // audio frames after the Xing frame; 0 if not declared
	delay   int   // encoder delay in samples; -1 if no LAME tag
	padding int   // padding at the end in samples; -1 if no LAME tag
}

// parseXing inspects the first frame of a stream for a Xing or Info header.
// It reports ok=false when the frame is an ordinary audio frame.
func parseXing(h mpegHeader, frame []byte) (x xingInfo, ok bool) {
	o := h.sideInfoOffset() + h.sideInfoSize()
	if len(frame) < o+8 {
		return x, false
	}
	tag := string(frame[o : o+4])
	if tag != "Xing" && tag != "Info" {
		return x, false
	}
	x.delay, x.padding = -1, -1
	flags := binary.BigEndian.Uint32(frame[o+4:])
	p := o + 8
	if flags&1 != 0 {
		if len(frame) < p+4 {
			return x, true
		}
		x.frames = int64(binary.BigEndian.Uint32(frame[p:]))
		p += 4
	}
	if flags&2 != 0 {
		p += 4 // stream bytes
	}
	if flags&4 != 0 {
		p += 100 // seek TOC
	}
	if flags&8 != 0 {
		p += 4 // quality
	}
	// The LAME extension: a 9-byte encoder string, then at offset 21 the
	// encoder delay and padding as two 12-bit numbers.
	if len(frame) >= p+24 {
		d := frame[p+21 : p+24]
		x.delay = int(d[0])<<4 | int(d[1])>>4
		x.padding = int(d[1]&0xf)<<8 | int(d[2])
	}
	return x, true
}

// id3v2Size reports the total size of an ID3v2 tag at the start of b, header
// and footer included, or 0 if b does not start with one. It needs 10 bytes.
func id3v2Size(b []byte) int64 {
	if len(b) < 10 || b[0] != 'I' || b[1] != 'D' || b[2] != '3' || b[3] == 0xff || b[4] == 0xff {
		return 0
	}
	for _, c := range b[6:10] {
		if c&0x80 != 0 { // sizes are syncsafe: 7 bits per byte
			return 0
		}
	}
	n := int64(b[6])<<21 | int64(b[7])<<14 | int64(b[8])<<7 | int64(b[9])
	n += 10
	if b[5]&0x10 != 0 { // footer present
		n += 10
	}
	return n
}

// sideInfoZero reports whether the side information of a whole frame is all
// zeros, as in a Xing/Info frame: no granule holds audio.
func (h mpegHeader) sideInfoZero(frame []byte) bool {
	o := h.sideInfoOffset()
	if len(frame) < o+h.sideInfoSize() {
		return false
	}
	for _, c := range frame[o : o+h.sideInfoSize()] {
		if c != 0 {
			return false
		}
	}
	return true
}

// maxSegmentDelay bounds the LAME encoder delay a segment's tag may declare
// to be believed in a segmented stream. LAME itself writes 576; ffmpeg's
// segment muxer writes 0 in the middle segments and, in the last one, a delay
// field that does not describe the audio (3567 for a one-frame segment).
const maxSegmentDelay = 2 * 1152

// mp3Segment is what the Xing/LAME frame at the start of one segment of a
// segmented stream (HLS) declares. It describes that segment, not the stream.
type mp3Segment struct {
	first   int   // index of the segment's first audio frame
	frames  int64 // audio frames in the segment; 0 if not declared
	padding int   // LAME end padding in samples; -1 if there is no LAME tag
	// last caches whether the stream ends with this segment: 0 not known
	// yet, 1 it does, -1 it does not.
	last int8
}

// tailCut returns how many samples of frame k, of spf samples, come before
// the segment's end padding (as the decoder outputs them, delayed by the
// synthesis filter), when that padding reaches into frame k. ok is false when
// the segment declares no padding that falls in frame k.
func (s mp3Segment) tailCut(k, spf int) (cut int, ok bool) {
	if s.frames <= 0 || s.padding <= mp3DecoderDelay {
		return 0, false
	}
	end := int64(s.first) + s.frames // index of the frame after the segment
	if int64(k) >= end {
		return 0, false // more frames than the tag declares: trust neither
	}
	c := (end-int64(k))*int64(spf) - int64(s.padding-mp3DecoderDelay)
	if c >= int64(spf) {
		return 0, false
	}
	return int(max(c, 0)), true
}

// segmentAt returns the index in segs of the segment holding audio frame k,
// or -1.
func segmentAt(segs []mp3Segment, k int) int {
	return sort.Search(len(segs), func(i int) bool { return segs[i].first > k }) - 1
}

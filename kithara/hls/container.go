//go:build !hotpath

package hls

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/Eyevinn/mp4ff/bits"
	"github.com/Eyevinn/mp4ff/mp4"
	"github.com/asticode/go-astits"
)

// Container is the format of a variant's segments, as the segment bytes
// show it (not the playlist, which rarely says).
type Container int

// Segment containers.
const (
	// ContainerRaw is an elementary stream as it is: MP3 frames, ADTS or
	// anything a decoder probes. It is served from the cache unchanged.
	ContainerRaw Container = iota
	// ContainerPacked is packed audio (RFC 8216, section 3.4): ADTS or MP3
	// frames led by an ID3 tag that carries the segment's timestamp. The
	// tag is dropped.
	ContainerPacked
	// ContainerTS is MPEG-2 transport stream: the audio PES payloads are
	// joined (ADTS for AAC, frames for MPEG audio).
	ContainerTS
	// ContainerFMP4 is fragmented MP4 (CMAF) after an EXT-X-MAP init
	// section: each AAC access unit gets an ADTS header built from the init
	// section's AudioSpecificConfig.
	ContainerFMP4
)

// String names the container.
func (c Container) String() string {
	switch c {
	case ContainerRaw:
		return "raw"
	case ContainerPacked:
		return "packed"
	case ContainerTS:
		return "mpegts"
	case ContainerFMP4:
		return "fmp4"
	}
	return fmt.Sprintf("Container(%d)", int(c))
}

// AudioCodec is what the elementary stream of a segment holds once its
// container is taken off.
type AudioCodec int

// Elementary stream codecs.
const (
	// AudioUnknown is a stream the sniffer does not know (FLAC, say); the
	// decoder probes it.
	AudioUnknown AudioCodec = iota
	// AudioAAC is AAC in ADTS frames.
	AudioAAC
	// AudioMP3 is MPEG audio frames (Layer III of MPEG-1, 2 or 2.5).
	AudioMP3
)

// String names the codec.
func (c AudioCodec) String() string {
	switch c {
	case AudioAAC:
		return "aac"
	case AudioMP3:
		return "mp3"
	}
	return "unknown"
}

// ErrContainer reports a segment or init section whose container is
// broken or holds no audio this package can extract.
var ErrContainer = errors.New("hls: bad segment container")

// sniffContainer tells a segment's container from its first bytes.
func sniffContainer(b []byte) Container {
	switch {
	case len(b) >= 1 && b[0] == 0x47 && (len(b) < 189 || b[188] == 0x47):
		return ContainerTS
	case len(b) >= 3 && string(b[:3]) == "ID3":
		return ContainerPacked
	case len(b) >= 8 && isBoxType(string(b[4:8])):
		return ContainerFMP4
	}
	return ContainerRaw
}

// isBoxType reports the top-level MP4 boxes a fragmented MP4 segment or
// init section starts with.
func isBoxType(t string) bool {
	switch t {
	case "ftyp", "styp", "moov", "moof", "sidx", "emsg", "prft", "free", "skip":
		return true
	}
	return false
}

// sniffCodec tells the codec of an elementary stream from its first sync
// word: ADTS has layer 0 in its header, MPEG audio Layer III layer 1.
func sniffCodec(b []byte) AudioCodec {
	for i := 0; i+1 < len(b) && i < 4096; i++ {
		if b[i] != 0xff || b[i+1]&0xe0 != 0xe0 {
			continue
		}
		switch b[i+1] >> 1 & 3 {
		case 0:
			if b[i+1]&0x10 != 0 { // ADTS has the 12-bit sync
				return AudioAAC
			}
		case 1:
			return AudioMP3
		}
	}
	return AudioUnknown
}

// demuxer turns the segments of a run into one elementary stream. It
// remembers the fMP4 init section in effect, which is not published: its
// AudioSpecificConfig goes into the ADTS header of every frame instead.
type demuxer struct {
	init *mp4Init
}

// initSection takes a fetched init section. For fMP4 it keeps what the
// segments need and reports keep false: nothing goes into the byte space.
// Any other init section is published as it is, for the decoder.
func (x *demuxer) initSection(r fetched) (keep bool, err error) {
	head, err := readHead(r, 8)
	if err != nil {
		return false, err
	}
	if sniffContainer(head) != ContainerFMP4 {
		x.init = nil
		return true, nil
	}
	data, err := readWhole(r)
	if err != nil {
		return false, err
	}
	in, err := parseInit(data)
	if err != nil {
		return false, err
	}
	x.init = in
	return false, nil
}

// segment takes a fetched media segment off its container: r comes back
// with data set to the elementary stream (for TS, fMP4 and packed audio)
// and with the container and codec found.
//
//hotpath:measure
func (x *demuxer) segment(r fetched) (fetched, error) {
	r.priming, r.pts = -1, -1
	head, err := readHead(r, 4096)
	if err != nil {
		return r, err
	}
	r.container = sniffContainer(head)
	if r.container == ContainerRaw {
		r.codec = sniffCodec(head)
		return r, nil
	}
	data, err := readWhole(r)
	if err != nil {
		return r, err
	}
	var es []byte
	switch r.container {
	case ContainerTS:
		es, err = demuxTS(make([]byte, 0, len(data)), data)
	case ContainerFMP4:
		es, err = demuxFMP4(make([]byte, 0, len(data)), data, x.init)
		if err == nil && x.init != nil {
			r.priming = x.init.priming
		}
	case ContainerPacked:
		var n int
		if n, r.pts, err = splitID3(data); err == nil {
			es = data[n:]
		}
	}
	if err != nil {
		return r, err
	}
	r.data, r.size, r.codec = es, int64(len(es)), sniffCodec(es)
	return r, nil
}

// readHead returns up to n bytes from the start of a fetched resource.
func readHead(r fetched, n int) ([]byte, error) {
	buf := make([]byte, min(int64(n), r.size))
	m, err := r.res.ReadAt(buf, 0)
	if m == len(buf) {
		return buf, nil
	}
	return nil, fmt.Errorf("hls: read the cached segment: %w", err)
}

// readWhole returns the whole of a fetched resource.
func readWhole(r fetched) ([]byte, error) {
	return readHead(r, int(r.size))
}

// mp4Init is what the segments of an fMP4 variant need from its init
// section: the audio track and how to frame its samples as ADTS.
type mp4Init struct {
	trackID uint32
	trex    *mp4.TrexBox
	// adts is the fixed part of every ADTS header (the first 7 bytes with
	// the frame length left 0).
	adts [7]byte
	// priming is the number of samples the edit list skips at the start
	// (encoder delay), or -1 when the init section has no edit list.
	priming int64
}

// parseInit reads an fMP4 init section. It accepts AAC-LC (and any AAC
// object type an ADTS header can carry, 1 to 4) only.
func parseInit(data []byte) (in *mp4Init, err error) {
	defer recoverMP4(&err)
	f, err := mp4.DecodeFileSR(bits.NewFixedSliceReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: init section: %v", ErrContainer, err)
	}
	if f.Init == nil || f.Init.Moov == nil {
		return nil, fmt.Errorf("%w: init section without a moov box", ErrContainer)
	}
	moov := f.Init.Moov
	for _, trak := range moov.Traks {
		if trak.Mdia == nil || trak.Mdia.Hdlr == nil || trak.Mdia.Hdlr.HandlerType != "soun" {
			continue
		}
		if trak.Tkhd == nil || trak.Mdia.Minf == nil || trak.Mdia.Minf.Stbl == nil || trak.Mdia.Mdhd == nil {
			return nil, fmt.Errorf("%w: the audio track lacks tkhd, mdhd or stbl", ErrContainer)
		}
		in := &mp4Init{trackID: trak.Tkhd.TrackID, priming: -1}
		stsd := trak.Mdia.Minf.Stbl.Stsd
		if stsd == nil || stsd.Mp4a == nil || stsd.Mp4a.Esds == nil ||
			stsd.Mp4a.Esds.DecConfigDescriptor == nil || stsd.Mp4a.Esds.DecConfigDescriptor.DecSpecificInfo == nil {
			return nil, fmt.Errorf("%w: the audio track is not MPEG-4 audio with an AudioSpecificConfig", ErrContainer)
		}
		asc := stsd.Mp4a.Esds.DecConfigDescriptor.DecSpecificInfo.DecConfig
		if in.adts, err = adtsTemplate(asc); err != nil {
			return nil, err
		}
		if trak.Edts != nil && len(trak.Edts.Elst) > 0 && len(trak.Edts.Elst[0].Entries) > 0 {
			e := trak.Edts.Elst[0].Entries[0]
			if e.MediaTime >= 0 {
				in.priming = e.MediaTime * int64(adtsRate(in.adts)) / int64(max(trak.Mdia.Mdhd.Timescale, 1))
			}
		}
		if moov.Mvex != nil {
			for _, t := range moov.Mvex.Trexs {
				if t.TrackID == in.trackID {
					in.trex = t
				}
			}
		}
		return in, nil
	}
	return nil, fmt.Errorf("%w: init section has no audio track", ErrContainer)
}

// adtsRates are the sampling frequencies by index (ISO/IEC 14496-3,
// table 1.18).
var adtsRates = [...]int{96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350}

func adtsRate(h [7]byte) int { return adtsRates[h[2]>>2&0xf] }

// adtsTemplate builds the fixed ADTS header fields from an
// AudioSpecificConfig: object type, sampling frequency index, channels.
func adtsTemplate(asc []byte) ([7]byte, error) {
	var h [7]byte
	if len(asc) < 2 {
		return h, fmt.Errorf("%w: AudioSpecificConfig of %d bytes", ErrContainer, len(asc))
	}
	aot := int(asc[0] >> 3)
	freq := int(asc[0]&7)<<1 | int(asc[1]>>7)
	ch := int(asc[1] >> 3 & 0xf)
	switch {
	case aot == 5 || aot == 29:
		return h, fmt.Errorf("%w: HE-AAC (object type %d) is not supported", ErrContainer, aot)
	case aot < 1 || aot > 4:
		return h, fmt.Errorf("%w: audio object type %d has no ADTS form", ErrContainer, aot)
	case freq >= len(adtsRates):
		return h, fmt.Errorf("%w: sampling frequency index %d", ErrContainer, freq)
	case ch == 0 || ch > 7:
		return h, fmt.Errorf("%w: channel configuration %d", ErrContainer, ch)
	}
	h[0] = 0xff
	h[1] = 0xf1 // MPEG-4, layer 0, no CRC
	h[2] = byte((aot-1)<<6 | freq<<2 | ch>>2)
	h[3] = byte((ch & 3) << 6)
	h[6] = 0xfc // buffer fullness 0x7ff (VBR), one raw data block
	h[5] = 0x1f
	return h, nil
}

// appendADTS appends one access unit with its ADTS header to dst.
func appendADTS(dst []byte, tmpl [7]byte, au []byte) []byte {
	n := len(au) + 7
	h := tmpl
	h[3] |= byte(n >> 11 & 3)
	h[4] = byte(n >> 3)
	h[5] |= byte(n&7) << 5
	dst = append(dst, h[:]...)
	return append(dst, au...)
}

// recoverMP4 turns a panic of the MP4 parser on malformed input (it
// trusts sizes it reads) into ErrContainer.
func recoverMP4(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: malformed MP4: %v", ErrContainer, r)
	}
}

// maxADTSFrame is the largest frame an ADTS header can describe.
const maxADTSFrame = 1<<13 - 1

// demuxFMP4 appends the audio samples of an fMP4 media segment to dst as
// ADTS frames.
func demuxFMP4(dst, data []byte, in *mp4Init) (_ []byte, err error) {
	defer recoverMP4(&err)
	if in == nil {
		return dst, fmt.Errorf("%w: fMP4 segment without an EXT-X-MAP init section", ErrContainer)
	}
	f, err := mp4.DecodeFileSR(bits.NewFixedSliceReader(data))
	if err != nil {
		return dst, fmt.Errorf("%w: fMP4 segment: %v", ErrContainer, err)
	}
	found := false
	for _, seg := range f.Segments {
		for _, frag := range seg.Fragments {
			if frag.Moof == nil || frag.Moof.Traf == nil || frag.Moof.Traf.Tfhd == nil ||
				frag.Moof.Traf.Tfhd.TrackID != in.trackID {
				continue
			}
			// A sample count beyond what the segment could hold is a
			// broken trun: refuse it before anything is allocated for it.
			for _, trun := range frag.Moof.Traf.Truns {
				if int64(trun.SampleCount()) > int64(len(data)) {
					return dst, fmt.Errorf("%w: trun of %d samples in a %d-byte segment", ErrContainer, trun.SampleCount(), len(data))
				}
			}
			samples, err := frag.GetFullSamples(in.trex)
			if err != nil {
				return dst, fmt.Errorf("%w: fMP4 fragment: %v", ErrContainer, err)
			}
			for _, s := range samples {
				if len(s.Data)+7 > maxADTSFrame {
					return dst, fmt.Errorf("%w: access unit of %d bytes", ErrContainer, len(s.Data))
				}
				dst = appendADTS(dst, in.adts, s.Data)
				found = true
			}
		}
	}
	if !found {
		return dst, fmt.Errorf("%w: fMP4 segment without samples of track %d", ErrContainer, in.trackID)
	}
	return dst, nil
}

// demuxTS appends the payload of the first audio stream of an MPEG-TS
// segment to dst: ADTS frames for AAC, frames for MPEG audio.
func demuxTS(dst, data []byte) ([]byte, error) {
	if len(data)%188 != 0 {
		return dst, fmt.Errorf("%w: MPEG-TS segment of %d bytes, not whole 188-byte packets", ErrContainer, len(data))
	}
	dmx := astits.NewDemuxer(context.Background(), bytes.NewReader(data), astits.DemuxerOptPacketSize(188))
	audioPID := -1
	for {
		d, err := dmx.NextData()
		if errors.Is(err, astits.ErrNoMorePackets) {
			break
		}
		if err != nil {
			return dst, fmt.Errorf("%w: MPEG-TS: %v", ErrContainer, err)
		}
		switch {
		case d.PMT != nil && audioPID < 0:
			for _, es := range d.PMT.ElementaryStreams {
				switch es.StreamType {
				case astits.StreamTypeADTS, astits.StreamTypeMPEG1Audio, astits.StreamTypeMPEG2Audio:
					audioPID = int(es.ElementaryPID)
				case astits.StreamTypeAACLATMAudio:
					return dst, fmt.Errorf("%w: MPEG-TS with AAC in LATM is not supported", ErrContainer)
				}
				if audioPID >= 0 {
					break
				}
			}
		case d.PES != nil && int(d.PID) == audioPID:
			dst = append(dst, d.PES.Data...)
		}
	}
	if audioPID < 0 {
		return dst, fmt.Errorf("%w: MPEG-TS segment without a PMT naming an audio stream", ErrContainer)
	}
	return dst, nil
}

// id3Timestamp is the owner of the PRIV frame of packed audio's timestamp.
const id3Timestamp = "com.apple.streaming.transportStreamTimestamp"

// splitID3 returns the size of the ID3v2 tag at the start of b and the
// 90 kHz timestamp of its PRIV frame (-1 when it has none).
func splitID3(b []byte) (size int, pts int64, err error) {
	if len(b) < 10 || string(b[:3]) != "ID3" {
		return 0, -1, nil
	}
	n := syncsafe(b[6:10])
	if n < 0 {
		return 0, -1, fmt.Errorf("%w: ID3 tag size is not syncsafe", ErrContainer)
	}
	size = 10 + n
	if b[5]&0x10 != 0 { // footer
		size += 10
	}
	if size > len(b) {
		return 0, -1, fmt.Errorf("%w: ID3 tag of %d bytes in a segment of %d", ErrContainer, size, len(b))
	}
	pts = -1
	for p := b[10 : 10+n]; len(p) >= 10 && p[0] != 0; {
		fsize := int(binary.BigEndian.Uint32(p[4:8]))
		if b[3] >= 4 {
			fsize = syncsafe(p[4:8])
		}
		if fsize < 0 || 10+fsize > len(p) {
			break
		}
		body := p[10 : 10+fsize]
		if string(p[:4]) == "PRIV" && len(body) == len(id3Timestamp)+1+8 && string(body[:len(id3Timestamp)]) == id3Timestamp {
			pts = int64(binary.BigEndian.Uint64(body[len(id3Timestamp)+1:]) & (1<<33 - 1))
		}
		p = p[10+fsize:]
	}
	return size, pts, nil
}

// syncsafe reads a 28-bit ID3 syncsafe integer, -1 when a byte has its top
// bit set.
func syncsafe(b []byte) int {
	n := 0
	for _, c := range b[:4] {
		if c&0x80 != 0 {
			return -1
		}
		n = n<<7 | int(c)
	}
	return n
}

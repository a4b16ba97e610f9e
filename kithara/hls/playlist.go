package hls

import (
	"net/url"
	"strconv"
	"time"
)

// MasterPlaylist is a parsed multivariant ("master") playlist.
type MasterPlaylist struct {
	// URL is the address the playlist was read from; variant URIs are
	// resolved against it. It is nil when the playlist was parsed without one.
	URL *url.URL
	// Variants lists the variant streams in playlist order; Variant.Index is
	// the position in this slice.
	Variants []Variant
}

// Bandwidths returns the BANDWIDTH of every variant, in variant order, in the
// shape the ABR controller takes.
func (m *MasterPlaylist) Bandwidths() []uint64 {
	bws := make([]uint64, len(m.Variants))
	for i, v := range m.Variants {
		bws[i] = v.Bandwidth
	}
	return bws
}

// Variant is one #EXT-X-STREAM-INF entry of a master playlist.
type Variant struct {
	// Index is the variant's position in the master playlist.
	Index int
	// URI is the media playlist address, resolved against the master URL.
	URI *url.URL
	// Bandwidth is the peak bit rate in bits per second (BANDWIDTH).
	Bandwidth uint64
	// AverageBandwidth is AVERAGE-BANDWIDTH in bits per second, or 0.
	AverageBandwidth uint64
	// Codecs is the raw CODECS attribute ("mp4a.40.2,avc1.4d401e"), or "".
	Codecs string
	// Resolution is the RESOLUTION attribute; zero when absent.
	Resolution Resolution
}

// Resolution is a video resolution in pixels.
type Resolution struct {
	Width, Height int
}

// MediaPlaylist is a parsed media playlist: the segments of one variant.
type MediaPlaylist struct {
	// URL is the address the playlist was read from; segment, key and map
	// URIs are resolved against it.
	URL *url.URL
	// Version is EXT-X-VERSION, or 1 when absent.
	Version int
	// TargetDuration is EXT-X-TARGETDURATION.
	TargetDuration time.Duration
	// MediaSequence is EXT-X-MEDIA-SEQUENCE: the sequence number of the first
	// segment.
	MediaSequence uint64
	// PlaylistType is EXT-X-PLAYLIST-TYPE ("VOD", "EVENT") or "".
	PlaylistType string
	// Segments lists the media segments in playback order.
	Segments []Segment
}

// Duration is the sum of the segment durations.
func (p *MediaPlaylist) Duration() time.Duration {
	var d time.Duration
	for _, s := range p.Segments {
		d += s.Duration
	}
	return d
}

// SegmentAt returns the index of the segment that plays at t from the start
// of the presentation, clamped to the first and last segment.
func (p *MediaPlaylist) SegmentAt(t time.Duration) int {
	var start time.Duration
	for i, s := range p.Segments {
		if t < start+s.Duration {
			return i
		}
		start += s.Duration
	}
	return max(len(p.Segments)-1, 0)
}

// StartOf returns the presentation time at which segment i starts.
func (p *MediaPlaylist) StartOf(i int) time.Duration {
	var start time.Duration
	for _, s := range p.Segments[:min(i, len(p.Segments))] {
		start += s.Duration
	}
	return start
}

// Segment is one media segment of a media playlist.
type Segment struct {
	// Sequence is the media sequence number (EXT-X-MEDIA-SEQUENCE + index).
	Sequence uint64
	// Duration is the EXTINF duration.
	Duration time.Duration
	// Title is the optional EXTINF title.
	Title string
	// URI is the segment address, resolved against the playlist URL.
	URI *url.URL
	// Key is the encryption in effect for the segment, or nil when the
	// segment is in the clear.
	Key *Key
	// Map is the media initialization section (EXT-X-MAP) in effect for the
	// segment, or nil.
	Map *InitSection
	// Discontinuity reports an #EXT-X-DISCONTINUITY before the segment: the
	// encoding parameters may change here.
	Discontinuity bool
	// Range is the EXT-X-BYTERANGE of the segment inside URI, or nil when
	// the segment is the whole resource.
	Range *ByteRange
}

// ByteRange is a sub-range of a resource: Length bytes from Offset. A
// segment or init section with one is fetched with a ranged request.
type ByteRange struct {
	Offset, Length int64
}

// End returns the offset just past the range.
func (r ByteRange) End() int64 { return r.Offset + r.Length }

// Method is an EXT-X-KEY encryption method.
type Method int

// Encryption methods. SAMPLE-AES and other methods are rejected by the
// parser with ErrUnsupported, so they never appear in a parsed playlist.
const (
	MethodNone Method = iota
	MethodAES128
)

// String returns the method as spelled in a playlist.
func (m Method) String() string {
	switch m {
	case MethodNone:
		return "NONE"
	case MethodAES128:
		return "AES-128"
	default:
		return "Method(" + strconv.Itoa(int(m)) + ")"
	}
}

// Key is an EXT-X-KEY: how the segments that follow it are encrypted.
type Key struct {
	// Method is the encryption method; a parsed Key is always MethodAES128
	// (METHOD=NONE is represented by a nil *Key).
	Method Method
	// URI is the key address, resolved against the playlist URL.
	URI *url.URL
	// IV is the explicit initialization vector; valid only when HasIV.
	IV [16]byte
	// HasIV reports an explicit IV attribute. Without one, the IV is the
	// segment's media sequence number (see SegmentIV).
	HasIV bool
	// KeyFormat is KEYFORMAT, or "" for the default "identity" format.
	KeyFormat string
}

// SegmentIV returns the IV that decrypts the segment with sequence number
// seq: the explicit IV when there is one, otherwise seq as a big-endian
// integer in the last eight bytes (RFC 8216, section 5.2).
func (k *Key) SegmentIV(seq uint64) [16]byte {
	if k.HasIV {
		return k.IV
	}
	var iv [16]byte
	for i := range 8 {
		iv[15-i] = byte(seq >> (8 * i))
	}
	return iv
}

// InitSection is an EXT-X-MAP: a media initialization section that must be
// fed to the decoder before the segments it applies to.
type InitSection struct {
	// URI is the init section address, resolved against the playlist URL.
	URI *url.URL
	// Key is the encryption in effect for the init section, or nil. An
	// encrypted init section always has an explicit IV.
	Key *Key
	// Range is the BYTERANGE attribute, or nil for the whole resource.
	Range *ByteRange
}

package hls

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestParseMaster(t *testing.T) {
	const src = `#EXTM3U
#EXT-X-VERSION:3
# a comment
#EXT-X-STREAM-INF:BANDWIDTH=64000,CODECS="mp3"
low/index.m3u8

#EXT-X-STREAM-INF:BANDWIDTH=128000,AVERAGE-BANDWIDTH=120000,CODECS="mp4a.40.2,avc1.4d401e",RESOLUTION=1280x720
https://cdn.example/mid.m3u8
#EXT-X-STREAM-INF:CODECS="mp3",BANDWIDTH=256000
/abs/high.m3u8
`
	base := mustURL(t, "http://h.test/vod/master.m3u8")
	m, err := ParseMaster("master.m3u8", base, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Index      int
		URI        string
		BW, AvgBW  uint64
		Codecs     string
		Resolution Resolution
	}
	var got []row
	for _, v := range m.Variants {
		got = append(got, row{v.Index, v.URI.String(), v.Bandwidth, v.AverageBandwidth, v.Codecs, v.Resolution})
	}
	want := []row{
		{0, "http://h.test/vod/low/index.m3u8", 64000, 0, "mp3", Resolution{}},
		{1, "https://cdn.example/mid.m3u8", 128000, 120000, "mp4a.40.2,avc1.4d401e", Resolution{1280, 720}},
		{2, "http://h.test/abs/high.m3u8", 256000, 0, "mp3", Resolution{}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("variants (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]uint64{64000, 128000, 256000}, m.Bandwidths()); d != "" {
		t.Errorf("Bandwidths (-want +got):\n%s", d)
	}
	if !IsMaster([]byte(src)) {
		t.Error("IsMaster(master) = false")
	}
}

func TestParseMedia(t *testing.T) {
	const src = "\xef\xbb\xbf#EXTM3U\r\n" + `#EXT-X-VERSION:4
#EXT-X-TARGETDURATION:4
#EXT-X-MEDIA-SEQUENCE:7
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-MAP:URI="init.mp4"
#EXTINF:3.9,first, with comma
seg7.ts
#EXT-X-KEY:METHOD=AES-128,URI="../keys/k1.bin"
#EXTINF:4,
seg8.ts
#EXT-X-KEY:METHOD=AES-128,URI="k2.bin",IV=0x0102,KEYFORMAT="identity"
#EXT-X-DISCONTINUITY
#EXTINF:0.000000001
seg9.ts
#EXT-X-KEY:METHOD=NONE
#EXTINF:2.5,
seg10.ts?token=a
#EXT-X-ENDLIST
`
	base := mustURL(t, "http://h.test/vod/v0/index.m3u8")
	pl, err := ParseMedia("index.m3u8", base, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if pl.TargetDuration != 4*time.Second || pl.MediaSequence != 7 || pl.Version != 4 || pl.PlaylistType != "VOD" {
		t.Errorf("header = %v %d v%d %q", pl.TargetDuration, pl.MediaSequence, pl.Version, pl.PlaylistType)
	}
	type row struct {
		Seq      uint64
		Dur      time.Duration
		Title    string
		URI      string
		KeyURI   string
		IV       [16]byte
		HasIV    bool
		Map      string
		Disconti bool
	}
	var got []row
	for _, s := range pl.Segments {
		r := row{Seq: s.Sequence, Dur: s.Duration, Title: s.Title, URI: s.URI.String(), Disconti: s.Discontinuity}
		if s.Key != nil {
			r.KeyURI, r.IV, r.HasIV = s.Key.URI.String(), s.Key.IV, s.Key.HasIV
		}
		if s.Map != nil {
			r.Map = s.Map.URI.String()
		}
		got = append(got, r)
	}
	init := "http://h.test/vod/v0/init.mp4"
	want := []row{
		{Seq: 7, Dur: 3900 * time.Millisecond, Title: "first, with comma", URI: "http://h.test/vod/v0/seg7.ts", Map: init},
		{Seq: 8, Dur: 4 * time.Second, URI: "http://h.test/vod/v0/seg8.ts", KeyURI: "http://h.test/vod/keys/k1.bin", Map: init},
		{Seq: 9, Dur: 1, URI: "http://h.test/vod/v0/seg9.ts", KeyURI: "http://h.test/vod/v0/k2.bin",
			IV: [16]byte{14: 1, 15: 2}, HasIV: true, Map: init, Disconti: true},
		{Seq: 10, Dur: 2500 * time.Millisecond, URI: "http://h.test/vod/v0/seg10.ts?token=a", Map: init},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("segments (-want +got):\n%s", d)
	}
	if k := pl.Segments[2].Key; k.KeyFormat != "" {
		t.Errorf("KEYFORMAT identity kept as %q, want the default \"\"", k.KeyFormat)
	}
	if got, want := pl.Duration(), 3900*time.Millisecond+4*time.Second+1+2500*time.Millisecond; got != want {
		t.Errorf("Duration = %v, want %v", got, want)
	}
	if IsMaster([]byte(src)) {
		t.Error("IsMaster(media) = true")
	}
}

func TestSegmentAtAndStartOf(t *testing.T) {
	pl := &MediaPlaylist{Segments: []Segment{{Duration: 2 * time.Second}, {Duration: 3 * time.Second}, {Duration: time.Second}}}
	for _, tc := range []struct {
		t    time.Duration
		want int
	}{{0, 0}, {1999 * time.Millisecond, 0}, {2 * time.Second, 1}, {5 * time.Second, 2}, {time.Hour, 2}, {-time.Second, 0}} {
		if got := pl.SegmentAt(tc.t); got != tc.want {
			t.Errorf("SegmentAt(%v) = %d, want %d", tc.t, got, tc.want)
		}
	}
	if got := pl.StartOf(2); got != 5*time.Second {
		t.Errorf("StartOf(2) = %v, want 5s", got)
	}
}

func TestParseByteRanges(t *testing.T) {
	src := "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n" +
		"#EXT-X-MAP:URI=\"audio.mp4\",BYTERANGE=\"765@0\"\n" +
		"#EXTINF:2,\n#EXT-X-BYTERANGE:100@765\naudio.mp4\n" +
		"#EXTINF:2,\n#EXT-X-BYTERANGE:200\naudio.mp4\n" +
		"#EXT-X-BYTERANGE:50@2000\n#EXTINF:1,\naudio.mp4\n" +
		"#EXTINF:1,\nwhole.mp4\n#EXT-X-ENDLIST\n"
	base, _ := url.Parse("http://h/a/p.m3u8")
	pl, err := ParseMedia("p.m3u8", base, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []*ByteRange{{765, 100}, {865, 200}, {2000, 50}, nil}
	if len(pl.Segments) != len(want) {
		t.Fatalf("%d segments, want %d", len(pl.Segments), len(want))
	}
	for i, w := range want {
		got := pl.Segments[i].Range
		if (got == nil) != (w == nil) || (got != nil && *got != *w) {
			t.Errorf("segment %d: range %v, want %v", i, got, w)
		}
	}
	m := pl.Segments[0].Map
	if m == nil || m.Range == nil || *m.Range != (ByteRange{0, 765}) || m.URI.String() != "http://h/a/audio.mp4" {
		t.Fatalf("map = %+v, want audio.mp4 765@0", m)
	}
	if got := pl.Segments[1].Range.End(); got != 1065 {
		t.Errorf("End() = %d, want 1065", got)
	}
}

func TestSegmentIV(t *testing.T) {
	k := &Key{Method: MethodAES128}
	want := [16]byte{8: 0x01, 9: 0x02, 10: 0x03, 11: 0x04, 12: 0x05, 13: 0x06, 14: 0x07, 15: 0x08}
	if got := k.SegmentIV(0x0102030405060708); got != want {
		t.Errorf("SegmentIV from sequence = %x, want %x", got, want)
	}
	k.IV, k.HasIV = [16]byte{0: 0xff}, true
	if got := k.SegmentIV(5); got != k.IV {
		t.Errorf("explicit IV ignored: got %x", got)
	}
}

func TestParseErrors(t *testing.T) {
	const head = "#EXTM3U\n#EXT-X-TARGETDURATION:4\n"
	for _, tc := range []struct {
		name     string
		master   bool
		src      string
		line     int
		sentinel error
		msg      string
	}{
		{"no header", false, "#EXT-X-VERSION:3\n", 1, nil, "missing #EXTM3U header"},
		{"empty", true, "", 1, nil, "missing #EXTM3U header"},
		{"uri without extinf", false, head + "seg.ts\n#EXT-X-ENDLIST\n", 3, nil, `URI "seg.ts" without #EXTINF`},
		{"extinf without uri", false, head + "#EXTINF:4,\n#EXTINF:4,\ns.ts\n#EXT-X-ENDLIST\n", 3, nil, "#EXTINF without a URI line"},
		{"trailing extinf", false, head + "#EXT-X-ENDLIST\n#EXTINF:4,\n", 4, nil, "#EXTINF without a URI line"},
		{"bad duration", false, head + "#EXTINF:4.x,\ns.ts\n#EXT-X-ENDLIST\n", 3, nil, "not a decimal number of seconds"},
		{"negative duration", false, head + "#EXTINF:-1,\ns.ts\n#EXT-X-ENDLIST\n", 3, nil, "not a decimal number"},
		{"huge duration", false, head + "#EXTINF:99999999999999,\ns.ts\n#EXT-X-ENDLIST\n", 3, nil, "out of range"},
		{"live", false, head + "#EXTINF:4,\ns.ts\n", 0, ErrLive, "missing #EXT-X-ENDLIST"},
		{"no target", false, "#EXTM3U\n#EXTINF:4,\ns.ts\n#EXT-X-ENDLIST\n", 0, nil, "missing #EXT-X-TARGETDURATION"},
		{"no segments", false, head + "#EXT-X-ENDLIST\n", 0, nil, "no segments"},
		{"sample-aes", false, head + "#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"k\"\n#EXTINF:4,\ns.ts\n#EXT-X-ENDLIST\n", 3, ErrUnsupported, "METHOD=SAMPLE-AES"},
		{"unknown method", false, head + "#EXT-X-KEY:METHOD=ROT13\n", 3, nil, `unknown METHOD "ROT13"`},
		{"key without uri", false, head + "#EXT-X-KEY:METHOD=AES-128\n", 3, nil, "without URI"},
		{"key uri unquoted", false, head + "#EXT-X-KEY:METHOD=AES-128,URI=k.bin\n", 3, nil, "URI must be a quoted string"},
		{"bad iv", false, head + "#EXT-X-KEY:METHOD=AES-128,URI=\"k\",IV=0xZZ\n", 3, nil, "IV"},
		{"long iv", false, head + "#EXT-X-KEY:METHOD=AES-128,URI=\"k\",IV=0x" + strings.Repeat("0", 33) + "\n", 3, nil, "128-bit"},
		{"unterminated quote", false, head + "#EXT-X-KEY:METHOD=AES-128,URI=\"k\n", 3, nil, "unterminated quoted string"},
		{"byterange length", false, head + "#EXT-X-BYTERANGE:0@0\n", 3, nil, "EXT-X-BYTERANGE: \"0@0\": the length is not a positive whole number"},
		{"byterange offset", false, head + "#EXT-X-BYTERANGE:10@x\n", 3, nil, "the offset is not a whole number"},
		{"byterange without offset first", false, head + "#EXTINF:4,\n#EXT-X-BYTERANGE:10\na.ts\n#EXT-X-ENDLIST\n", 4, nil, "no offset, and the previous segment is not a range of a.ts"},
		{"byterange without offset other uri", false, head + "#EXTINF:4,\n#EXT-X-BYTERANGE:10@0\na.ts\n#EXTINF:4,\n#EXT-X-BYTERANGE:10\nb.ts\n#EXT-X-ENDLIST\n", 7, nil, "previous segment is not a range of b.ts"},
		{"map byterange", false, head + "#EXT-X-MAP:URI=\"i.mp4\",BYTERANGE=\"ten@0\"\n", 3, nil, "EXT-X-MAP BYTERANGE"},
		{"encrypted map without iv", false, head + "#EXT-X-KEY:METHOD=AES-128,URI=\"k\"\n#EXT-X-MAP:URI=\"i.mp4\"\n", 4, nil, "has no IV"},
		{"sequence after segment", false, head + "#EXTINF:4,\ns.ts\n#EXT-X-MEDIA-SEQUENCE:3\n", 5, nil, "after the first segment"},
		{"bad playlist type", false, head + "#EXT-X-PLAYLIST-TYPE:LIVE\n", 3, nil, "neither VOD nor EVENT"},
		{"bad uri", false, head + "#EXTINF:4,\nhttp://[::1\n#EXT-X-ENDLIST\n", 4, nil, "bad URI"},
		{"master given to media", false, "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n", 2, ErrNotMedia, "master playlist tag"},
		{"media given to master", true, head + "#EXTINF:4,\ns.ts\n", 2, ErrNotMaster, "media playlist tag #EXT-X-TARGETDURATION"},
		{"no variants", true, "#EXTM3U\n#EXT-X-VERSION:3\n", 0, ErrNotMaster, "no #EXT-X-STREAM-INF variants"},
		{"missing bandwidth", true, "#EXTM3U\n#EXT-X-STREAM-INF:CODECS=\"mp3\"\nv.m3u8\n", 2, nil, "missing BANDWIDTH"},
		{"bad bandwidth", true, "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=12k\nv.m3u8\n", 2, nil, "not a decimal integer"},
		{"duplicate attribute", true, "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,BANDWIDTH=2\nv.m3u8\n", 2, nil, "duplicate attribute BANDWIDTH"},
		{"attribute without value", true, "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH\nv.m3u8\n", 2, nil, `attribute "BANDWIDTH" has no value`},
		{"bad resolution", true, "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,RESOLUTION=wide\nv.m3u8\n", 2, nil, "RESOLUTION"},
		{"stream-inf without uri", true, "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n#EXT-X-STREAM-INF:BANDWIDTH=2\nv.m3u8\n", 2, nil, "without a URI line"},
		{"trailing stream-inf", true, "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=2\n", 4, nil, "without a URI line"},
		{"uri without stream-inf", true, "#EXTM3U\nv.m3u8\n", 2, nil, "without #EXT-X-STREAM-INF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.master {
				_, err = ParseMaster("p.m3u8", nil, []byte(tc.src))
			} else {
				_, err = ParseMedia("p.m3u8", nil, []byte(tc.src))
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a *ParseError", err)
			}
			if pe.Name != "p.m3u8" || pe.Line != tc.line {
				t.Errorf("position = %s:%d, want p.m3u8:%d (%v)", pe.Name, pe.Line, tc.line, err)
			}
			if tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
				t.Errorf("err = %v, want it to wrap %v", err, tc.sentinel)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %q, want it to mention %q", err, tc.msg)
			}
			prefix := "p.m3u8: "
			if tc.line > 0 {
				prefix = "p.m3u8:" + strconv.Itoa(tc.line) + ": "
			}
			if !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("err = %q, want prefix %q", err, prefix)
			}
		})
	}
}

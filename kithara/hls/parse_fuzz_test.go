package hls

import (
	"bytes"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// renderMedia writes pl back as a playlist. Parsing the output yields pl
// again (with URIs in their String form), which the fuzz tests check.
func renderMedia(pl *MediaPlaylist) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "#EXTM3U\n#EXT-X-VERSION:%d\n#EXT-X-TARGETDURATION:%d\n#EXT-X-MEDIA-SEQUENCE:%d\n",
		pl.Version, pl.TargetDuration/time.Second, pl.MediaSequence)
	if pl.PlaylistType != "" {
		fmt.Fprintf(&b, "#EXT-X-PLAYLIST-TYPE:%s\n", pl.PlaylistType)
	}
	var key *Key
	var init *InitSection
	for _, s := range pl.Segments {
		if s.Key != key {
			key = s.Key
			renderKey(&b, key)
		}
		if s.Map != init {
			init = s.Map
			if init.Key == key {
				fmt.Fprintf(&b, "#EXT-X-MAP:URI=\"%s\"\n", init.URI.String())
			} else {
				renderKey(&b, init.Key)
				fmt.Fprintf(&b, "#EXT-X-MAP:URI=\"%s\"\n", init.URI.String())
				renderKey(&b, key)
			}
		}
		if s.Discontinuity {
			b.WriteString("#EXT-X-DISCONTINUITY\n")
		}
		fmt.Fprintf(&b, "#EXTINF:%d.%09d,%s\n%s\n", s.Duration/time.Second, s.Duration%time.Second, s.Title, s.URI)
	}
	b.WriteString("#EXT-X-ENDLIST\n")
	return b.Bytes()
}

func renderKey(b *bytes.Buffer, k *Key) {
	if k == nil {
		b.WriteString("#EXT-X-KEY:METHOD=NONE\n")
		return
	}
	fmt.Fprintf(b, "#EXT-X-KEY:METHOD=AES-128,URI=\"%s\"", k.URI.String())
	if k.HasIV {
		fmt.Fprintf(b, ",IV=0x%x", k.IV)
	}
	if k.KeyFormat != "" {
		fmt.Fprintf(b, ",KEYFORMAT=\"%s\"", k.KeyFormat)
	}
	b.WriteString("\n")
}

func renderMaster(m *MasterPlaylist) []byte {
	var b bytes.Buffer
	b.WriteString("#EXTM3U\n")
	for _, v := range m.Variants {
		fmt.Fprintf(&b, "#EXT-X-STREAM-INF:BANDWIDTH=%d", v.Bandwidth)
		if v.AverageBandwidth != 0 {
			fmt.Fprintf(&b, ",AVERAGE-BANDWIDTH=%d", v.AverageBandwidth)
		}
		if v.Codecs != "" {
			fmt.Fprintf(&b, ",CODECS=\"%s\"", v.Codecs)
		}
		if v.Resolution != (Resolution{}) {
			fmt.Fprintf(&b, ",RESOLUTION=%dx%d", v.Resolution.Width, v.Resolution.Height)
		}
		fmt.Fprintf(&b, "\n%s\n", v.URI)
	}
	return b.Bytes()
}

// urlString compares URLs by their text in cmp.Diff.
var urlString = cmp.Transformer("url", func(u *url.URL) string {
	if u == nil {
		return "<nil>"
	}
	return u.String()
})

// fuzzBase is the playlist URL the fuzz targets resolve against.
var fuzzBase = &url.URL{Scheme: "http", Host: "h.test", Path: "/vod/p.m3u8"}

func FuzzParseMedia(f *testing.F) {
	for _, seed := range []string{
		"#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\ns.ts\n#EXT-X-ENDLIST\n",
		"#EXTM3U\r\n#EXT-X-VERSION:4\r\n#EXT-X-TARGETDURATION:4\r\n#EXT-X-MEDIA-SEQUENCE:7\r\n" +
			"#EXT-X-MAP:URI=\"init.mp4\"\r\n#EXTINF:3.9,t,x\r\nseg7.ts\r\n" +
			"#EXT-X-KEY:METHOD=AES-128,URI=\"../k.bin\",IV=0x0102\r\n#EXT-X-DISCONTINUITY\r\n#EXTINF:4,\r\nseg8.ts?a=b\r\n" +
			"#EXT-X-KEY:METHOD=NONE\r\n#EXTINF:.5\r\nhttp://o.test/s9.ts\r\n#EXT-X-ENDLIST\r\n",
		"#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-KEY:METHOD=AES-128,URI=\"k\",IV=0xff,KEYFORMAT=\"com.x\"\n" +
			"#EXT-X-MAP:URI=\"i.mp4\"\n#EXTINF:1,\na.ts\n#EXT-X-ENDLIST\n",
		"#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"k\"\n",
		"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pl, err := ParseMedia("p.m3u8", fuzzBase, data)
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("error %v is %T, want *ParseError", err, err)
			}
			return
		}
		if len(pl.Segments) == 0 {
			t.Fatal("parsed a playlist without segments")
		}
		for i, s := range pl.Segments {
			if s.Sequence != pl.MediaSequence+uint64(i) {
				t.Fatalf("segment %d has sequence %d, want %d", i, s.Sequence, pl.MediaSequence+uint64(i))
			}
			if s.Duration < 0 || s.URI == nil || (s.Key != nil && (s.Key.URI == nil || s.Key.Method != MethodAES128)) {
				t.Fatalf("segment %d is malformed: %+v", i, s)
			}
			if s.Map != nil && s.Map.Key != nil && !s.Map.Key.HasIV {
				t.Fatalf("segment %d: encrypted init section without IV", i)
			}
		}
		// Rendering and parsing again must give the same playlist, and
		// that second form must be a fixed point.
		again, err := ParseMedia("p.m3u8", fuzzBase, renderMedia(pl))
		if err != nil {
			t.Fatalf("re-parse of rendered playlist: %v\n%s", err, renderMedia(pl))
		}
		if d := cmp.Diff(pl, again, urlString); d != "" {
			t.Fatalf("parse(render(p)) != p (-p +again):\n%s", d)
		}
		if r1, r2 := renderMedia(pl), renderMedia(again); !bytes.Equal(r1, r2) {
			t.Fatalf("render is not stable:\n%s\n---\n%s", r1, r2)
		}
	})
}

func FuzzParseMaster(f *testing.F) {
	for _, seed := range []string{
		"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=64000,CODECS=\"mp3\"\nlow/index.m3u8\n",
		"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,AVERAGE-BANDWIDTH=2,RESOLUTION=3x4,CODECS=\"a,b\"\nhttp://x/y\n" +
			"#EXT-X-STREAM-INF:CODECS=\"mp3\",BANDWIDTH=9\n/abs\n",
		"#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\ns.ts\n#EXT-X-ENDLIST\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMaster("m.m3u8", fuzzBase, data)
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("error %v is %T, want *ParseError", err, err)
			}
			return
		}
		if !IsMaster(data) {
			t.Fatal("ParseMaster accepted data that IsMaster rejects")
		}
		for i, v := range m.Variants {
			if v.Index != i || v.URI == nil {
				t.Fatalf("variant %d is malformed: %+v", i, v)
			}
		}
		again, err := ParseMaster("m.m3u8", fuzzBase, renderMaster(m))
		if err != nil {
			t.Fatalf("re-parse of rendered playlist: %v\n%s", err, renderMaster(m))
		}
		if d := cmp.Diff(m, again, urlString); d != "" {
			t.Fatalf("parse(render(m)) != m (-m +again):\n%s", d)
		}
	})
}

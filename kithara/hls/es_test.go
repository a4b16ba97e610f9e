package hls

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotpath-go/hotpath/testdata/fixtures"
)

// tsES is the elementary stream of the AAC fixture: its TS segments'
// audio, joined.
func tsES(t *testing.T) []byte {
	t.Helper()
	var es []byte
	for i := range 3 {
		var err error
		if es, err = demuxTS(es, fixture(t, fmt.Sprintf("hls-aac/ts/seg%d.ts", i))); err != nil {
			t.Fatal(err)
		}
	}
	return es
}

// headerServer serves the fixtures like testServer, and records every
// request's path, Range header and whether it carried the test's header.
type headerServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []string // "path range header"
}

func newHeaderServer(t *testing.T) *headerServer {
	s := &headerServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := strings.TrimPrefix(r.URL.Path, "/")
		s.mu.Lock()
		s.reqs = append(s.reqs, fmt.Sprintf("%s range=%q token=%q", p, r.Header.Get("Range"), r.Header.Get("X-Token")))
		s.mu.Unlock()
		body, err := fs.ReadFile(fixtures.FS, p)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, p, time.Time{}, bytes.NewReader(body))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *headerServer) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.reqs...)
}

// TestContainersPlayAsOneStream opens every AAC form of the fixture and
// reads the byte space: all of them must give the TS form's ADTS stream,
// frame for frame (fMP4 rebuilds the ADTS headers), with every request
// carrying Options.Header and byte ranges fetched as ranged requests.
func TestContainersPlayAsOneStream(t *testing.T) {
	want := adtsFrames(t, tsES(t))
	srv := newHeaderServer(t)
	for _, form := range []string{"ts", "fmp4", "adts", "byterange", "ts-aes", "fmp4-aes", "adts-aes"} {
		t.Run(form, func(t *testing.T) {
			before := len(srv.requests())
			src, err := Open(context.Background(), srv.URL+"/hls-aac/"+form+"/playlist.m3u8", Options{
				Store:  openStore(t),
				Net:    noSleepNet(),
				Header: http.Header{"X-Token": {"secret"}},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			es, err := readAll(t, src)
			if err != nil {
				t.Fatal(err)
			}
			got := adtsFrames(t, es)
			if len(got) != len(want) {
				t.Fatalf("%d ADTS frames, want %d", len(got), len(want))
			}
			for i := range got {
				if !bytes.Equal(got[i][7:], want[i][7:]) {
					t.Fatalf("frame %d differs", i)
				}
			}
			info, err := src.StreamAt(context.Background(), 0)
			if err != nil || info.Codec != AudioAAC || info.Segment != 0 || info.Start != 0 {
				t.Errorf("StreamAt(0) = %+v, %v; want AAC segment 0 at 0", info, err)
			}
			reqs := srv.requests()[before:]
			for _, r := range reqs {
				if !strings.HasSuffix(r, `token="secret"`) {
					t.Errorf("request without the header: %s", r)
				}
			}
			if form == "byterange" {
				var ranged []string
				for _, r := range reqs {
					if strings.HasPrefix(r, "hls-aac/byterange/audio.mp4 ") {
						ranged = append(ranged, r[len("hls-aac/byterange/audio.mp4 "):strings.Index(r, " token")])
					}
				}
				pl, err := ParseMedia("playlist.m3u8", nil, fixture(t, "hls-aac/byterange/playlist.m3u8"))
				if err != nil {
					t.Fatal(err)
				}
				m := pl.Segments[0].Map.Range
				wantRanges := []string{fmt.Sprintf("range=%q", fmt.Sprintf("bytes=%d-%d", m.Offset, m.End()-1))}
				for _, s := range pl.Segments {
					wantRanges = append(wantRanges, fmt.Sprintf("range=%q", fmt.Sprintf("bytes=%d-%d", s.Range.Offset, s.Range.End()-1)))
				}
				if fmt.Sprint(ranged) != fmt.Sprint(wantRanges) {
					t.Errorf("requests of audio.mp4: %v, want %s", ranged, wantRanges)
				}
			}
		})
	}
}

// TestCodecRunEndsAtCodecSwitch switches the two-codec master from its AAC
// variant to its MP3 one after segment 0: the byte space holds the AAC
// segment's ADTS and then MP3 frames, and a CodecRun from 0 ends exactly
// where the MP3 starts.
func TestCodecRunEndsAtCodecSwitch(t *testing.T) {
	srv := fixtureServer(t)
	src, ev := open(t, srv, "hls-aac/mix.m3u8", Options{ABR: manual(0), MaxBufferAhead: time.Second})
	ev.waitFor(t, "segment 0", func(e Event) bool { c, ok := e.(SegmentComplete); return ok && c.Segment == 0 })
	if err := src.ForceVariant(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	all, err := readAll(t, src)
	if err != nil {
		t.Fatal(err)
	}
	seg0, err := demuxTS(nil, fixture(t, "hls-aac/ts/seg0.ts"))
	if err != nil {
		t.Fatal(err)
	}
	want := append(append([]byte{}, seg0...), fixture(t, "hls-aac/mp3-22k/seg1.mp3")...)
	want = append(want, fixture(t, "hls-aac/mp3-22k/seg2.mp3")...)
	if !bytes.Equal(all, want) {
		t.Fatalf("byte space of %d bytes is not TS segment 0's ADTS then MP3 segments 1 and 2 (%d bytes)", len(all), len(want))
	}
	run := src.CodecRun(0, AudioAAC)
	aac, err := readAll(t, run)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(aac, seg0) {
		t.Fatalf("the AAC run holds %d bytes, want segment 0's %d", len(aac), len(seg0))
	}
	if end, ok := run.End(); !ok || end != int64(len(seg0)) {
		t.Errorf("End() = %d, %v; want %d", end, ok, len(seg0))
	}
	if n, ok := run.Len(); !ok || n != int64(len(seg0)) {
		t.Errorf("Len() = %d, %v", n, ok)
	}
	if _, err := run.ReadAt(make([]byte, 1), int64(len(seg0))); err != io.EOF {
		t.Errorf("ReadAt past the run: %v, want io.EOF", err)
	}
	info, err := src.StreamAt(context.Background(), int64(len(seg0)))
	if err != nil || info.Codec != AudioMP3 || info.Variant != 1 || info.Segment != 1 {
		t.Errorf("StreamAt(boundary) = %+v, %v; want MP3 of variant 1, segment 1", info, err)
	}
	mp3, err := readAll(t, src.CodecRun(int64(len(seg0)), AudioMP3))
	if err != nil || len(mp3) != len(all)-len(seg0) {
		t.Errorf("the MP3 run holds %d bytes (%v), want %d", len(mp3), err, len(all)-len(seg0))
	}
	if _, err := src.StreamAt(context.Background(), int64(len(all))); err != io.EOF {
		t.Errorf("StreamAt(end) = %v, want io.EOF", err)
	}
}

// TestSegmentContainerErrors checks that a broken segment fails the run
// with an error naming the segment.
func TestSegmentContainerErrors(t *testing.T) {
	srv := fixtureServer(t)
	srv.setBody("hls-aac/ts/seg1.ts", fixture(t, "hls-aac/ts/seg1.ts")[:1000])
	src, _ := open(t, srv, "hls-aac/ts/playlist.m3u8", Options{})
	_, err := readAll(t, src)
	if err == nil || !strings.Contains(err.Error(), "segment 1 (seg1.ts)") || !strings.Contains(err.Error(), "188-byte packets") {
		t.Fatalf("err = %v, want segment 1's container error", err)
	}
}

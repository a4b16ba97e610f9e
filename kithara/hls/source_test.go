//go:build !hotpath

package hls

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotpath-go/hotpath/kithara/assets"
	"github.com/hotpath-go/hotpath/kithara/hls/abr"
	knet "github.com/hotpath-go/hotpath/kithara/net"
	"github.com/hotpath-go/hotpath/testdata/fixtures"
)

// open opens a presentation of srv with events recorded and the source
// closed at cleanup.
func open(t *testing.T, srv *testServer, p string, opts Options) (*HlsSource, *events) {
	t.Helper()
	ev := newEvents()
	if opts.Store == nil {
		opts.Store = openStore(t)
	}
	if opts.Net == nil {
		opts.Net = noSleepNet()
	}
	opts.OnEvent = ev.record
	src, err := Open(context.Background(), srv.url(p), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src, ev
}

func manual(variant int) abr.Options { return abr.Options{Mode: abr.Manual, Initial: variant} }

func TestPlaybackEqualsSegments(t *testing.T) {
	srv := fixtureServer(t)
	for v := range 3 {
		t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) {
			src, ev := open(t, srv, "hls/master.m3u8", Options{ABR: manual(v)})
			got, err := readAll(t, src)
			if err != nil {
				t.Fatal(err)
			}
			if want := fixtureSegments(t, "hls", v, 0, 1, 2, 3, 4, 5); !bytes.Equal(got, want) {
				t.Fatalf("read %d bytes, want the %d bytes of v%d's segments concatenated", len(got), len(want), v)
			}
			if n, ok := src.Len(); !ok || n != int64(len(got)) {
				t.Errorf("Len = %d, %v; want %d, true", n, ok, len(got))
			}
			ev.waitFor(t, "end of stream", func(e Event) bool { _, ok := e.(EndOfStream); return ok })
			var segs []int
			for _, c := range ev.completed() {
				if c.Variant != v || c.Cached {
					t.Errorf("unexpected completion %+v", c)
				}
				segs = append(segs, c.Segment)
			}
			if fmt.Sprint(segs) != "[0 1 2 3 4 5]" {
				t.Errorf("completed segments %v, want 0..5 in order", segs)
			}
		})
	}
}

func TestPlaybackWithABREqualsPublishedSegments(t *testing.T) {
	// With an idle reader the buffer reaches 10 s after five segments and
	// ABR switches up on the loopback's throughput: the byte space then
	// holds segments of two variants, end to end.
	srv := fixtureServer(t)
	src, ev := open(t, srv, "hls/master.m3u8", Options{})
	ev.waitFor(t, "end of stream", func(e Event) bool { _, ok := e.(EndOfStream); return ok })
	got, err := readAll(t, src)
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	variants := map[int]bool{}
	for i, c := range ev.completed() {
		if c.Segment != i {
			t.Fatalf("completion %d is segment %d", i, c.Segment)
		}
		variants[c.Variant] = true
		want = append(want, fixtureSegments(t, "hls", c.Variant, c.Segment)...)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes, want the %d bytes of the published segments", len(got), len(want))
	}
	if len(variants) < 2 {
		t.Errorf("expected an up-switch on loopback, got variants %v; events:\n%s", variants, describe(ev.snapshot()))
	}
	applied := ev.waitFor(t, "up-switch", func(e Event) bool {
		va, ok := e.(VariantApplied)
		return ok && va.Reason == abr.ReasonUpSwitch
	}).(VariantApplied)
	reached := ev.waitFor(t, "reader reaching the new variant", func(e Event) bool {
		vr, ok := e.(VariantReached)
		return ok && vr.Variant == applied.To
	}).(VariantReached)
	if reached.Segment != applied.Segment {
		t.Errorf("reader reached variant %d at segment %d, switch applied at segment %d", reached.Variant, reached.Segment, applied.Segment)
	}
}

func TestAES128(t *testing.T) {
	srv := fixtureServer(t)
	store := openStore(t)
	// v0 derives its IVs from sequence numbers, v1 has an explicit IV.
	for _, v := range []int{0, 1} {
		src, _ := open(t, srv, "hls-aes/master.m3u8", Options{Store: store, ABR: manual(v)})
		got, err := readAll(t, src)
		if err != nil {
			t.Fatal(err)
		}
		if want := fixtureSegments(t, "hls", v, 0, 1, 2, 3, 4, 5); !bytes.Equal(got, want) {
			t.Fatalf("v%d: decrypted %d bytes, want the %d bytes of the clear segments", v, len(got), len(want))
		}
		src.Close()
	}
	if n := srv.count("hls-aes/key.bin"); n != 1 {
		t.Errorf("key fetched %d times, want once", n)
	}
}

func TestAES128KeyProcessor(t *testing.T) {
	srv := fixtureServer(t)
	key := []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	wrapped := make([]byte, 16)
	for i := range key {
		wrapped[i] = key[i] ^ 0x5a
	}
	srv.setBody("hls-aes/key.bin", wrapped)
	var calls atomic.Int32
	unwrap := func(_ context.Context, raw []byte, uri string) ([]byte, error) {
		calls.Add(1)
		if !strings.HasSuffix(uri, "/hls-aes/key.bin") {
			return nil, fmt.Errorf("unexpected key URI %s", uri)
		}
		out := make([]byte, len(raw))
		for i := range raw {
			out[i] = raw[i] ^ 0x5a
		}
		return out, nil
	}
	src, _ := open(t, srv, "hls-aes/master.m3u8", Options{ABR: manual(2), KeyProcessor: unwrap})
	got, err := readAll(t, src)
	if err != nil {
		t.Fatal(err)
	}
	if want := fixtureSegments(t, "hls", 2, 0, 1, 2, 3, 4, 5); !bytes.Equal(got, want) {
		t.Fatal("plaintext differs after unwrapping the key")
	}
	if calls.Load() != 1 {
		t.Errorf("key processor called %d times, want once", calls.Load())
	}
}

func TestBadKeys(t *testing.T) {
	for _, tc := range []struct {
		name   string
		setup  func(*testServer)
		target error
		status int
	}{
		{"wrong length", func(s *testServer) { s.setBody("hls-aes/key.bin", make([]byte, 15)) }, ErrKey, 0},
		{"missing", func(s *testServer) { s.setStatus("hls-aes/key.bin", http.StatusNotFound) }, nil, http.StatusNotFound},
		{"wrong key", func(s *testServer) { s.setBody("hls-aes/key.bin", make([]byte, 16)) }, ErrDecrypt, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := fixtureServer(t)
			tc.setup(srv)
			src, ev := open(t, srv, "hls-aes/master.m3u8", Options{ABR: manual(0)})
			_, err := readAll(t, src)
			failed := ev.waitFor(t, "error event", func(e Event) bool { _, ok := e.(ErrorEvent); return ok }).(ErrorEvent)
			for _, e := range []error{err, failed.Err} {
				if tc.target != nil && !errors.Is(e, tc.target) {
					t.Errorf("error %v, want %v", e, tc.target)
				}
				var he *knet.HTTPError
				if tc.status != 0 && (!errors.As(e, &he) || he.Status != tc.status) {
					t.Errorf("error %v, want HTTP %d", e, tc.status)
				}
			}
			if failed.Segment != 0 || failed.Variant != 0 {
				t.Errorf("error event for v%d seg %d, want v0 seg 0", failed.Variant, failed.Segment)
			}
		})
	}
}

func TestSegmentFailures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		tries  int // requests for the failing segment: 1 + retries
	}{
		{"404 is not retried", http.StatusNotFound, 1},
		{"503 is retried", http.StatusServiceUnavailable, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := fixtureServer(t)
			srv.setStatus("hls/v0/seg002.mp3", tc.status)
			src, ev := open(t, srv, "hls/master.m3u8", Options{ABR: manual(0)})
			got, err := readAll(t, src)
			var he *knet.HTTPError
			if !errors.As(err, &he) || he.Status != tc.status {
				t.Fatalf("read error %v, want HTTP %d", err, tc.status)
			}
			if want := fixtureSegments(t, "hls", 0, 0, 1); !bytes.Equal(got, want) {
				t.Errorf("read %d bytes before the failure, want the %d bytes of segments 0 and 1", len(got), len(want))
			}
			failed := ev.waitFor(t, "error event", func(e Event) bool { _, ok := e.(ErrorEvent); return ok }).(ErrorEvent)
			if failed.Segment != 2 || !errors.As(failed.Err, &he) {
				t.Errorf("error event %+v, want segment 2 with the HTTP error", failed)
			}
			if n := srv.count("hls/v0/seg002.mp3"); n != tc.tries {
				t.Errorf("segment 2 requested %d times, want %d", n, tc.tries)
			}
			if n := srv.count("hls/v0/seg003.mp3"); n != 0 {
				t.Errorf("segment 3 requested %d times after the failure, want 0", n)
			}
		})
	}
}

func TestPlaylistErrors(t *testing.T) {
	for _, tc := range []struct {
		name, path string
		body       string
		want       string
		target     error
	}{
		{"master syntax", "hls/master.m3u8", "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=x\nv0/playlist.m3u8\n", "master.m3u8:2: EXT-X-STREAM-INF", nil},
		{"media syntax", "hls/v0/playlist.m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n#EXTINF:2,\nseg000.mp3\n#EXT-X-ENDLIST\n", "playlist.m3u8:3: #EXTINF without a URI line", nil},
		{"live", "hls/v0/playlist.m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nseg000.mp3\n", "missing #EXT-X-ENDLIST", ErrLive},
		{"sample-aes", "hls/v0/playlist.m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"k\"\n#EXTINF:2,\nseg000.mp3\n#EXT-X-ENDLIST\n", "playlist.m3u8:3: EXT-X-KEY METHOD=SAMPLE-AES", ErrUnsupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := fixtureServer(t)
			srv.setBody(tc.path, []byte(tc.body))
			_, err := Open(context.Background(), srv.url("hls/master.m3u8"), Options{Store: openStore(t), Net: noSleepNet(), ABR: manual(0)})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open: %v, want an error containing %q", err, tc.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Errorf("Open: %v is not a *ParseError", err)
			}
			if tc.target != nil && !errors.Is(err, tc.target) {
				t.Errorf("Open: %v, want %v", err, tc.target)
			}
		})
	}
}

// A failed Open has written what it fetched to the cache by the time it
// returns: no background write outlives it (a test's temporary directory
// was removed under one).
func TestOpenErrorFinishesCacheWrites(t *testing.T) {
	srv := fixtureServer(t)
	media := "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"k\"\n#EXTINF:2,\nseg000.mp3\n#EXT-X-ENDLIST\n"
	srv.setBody("hls/v0/playlist.m3u8", []byte(media))
	st := openStore(t)
	master := srv.url("hls/master.m3u8")
	if _, err := Open(context.Background(), master, Options{Store: st, Net: noSleepNet(), ABR: manual(0)}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("Open: %v, want ErrUnsupported", err)
	}
	u, _ := url.Parse(master)
	root, err := assets.RootForURL(u)
	if err != nil {
		t.Fatal(err)
	}
	lease, err := st.Acquire(root)
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Close()
	wantMaster, err := fs.ReadFile(fixtures.FS, "hls/master.m3u8")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		want []byte
	}{{"hls/master.m3u8", wantMaster}, {"hls/v0/playlist.m3u8", []byte(media)}} {
		pu, _ := url.Parse(srv.url(c.path))
		key, err := resourceKey(kindPlaylist, pu)
		if err != nil {
			t.Fatal(err)
		}
		res, err := lease.OpenAtomic(key)
		if err != nil {
			t.Fatal(err)
		}
		got, err := res.Read()
		if err != nil {
			t.Fatalf("%s after a failed Open: %v, want it written to the cache", c.path, err)
		}
		if !bytes.Equal(got, c.want) {
			t.Errorf("%s in the cache: %q, want %q", c.path, got, c.want)
		}
	}
}

func TestMediaPlaylistURL(t *testing.T) {
	srv := fixtureServer(t)
	src, _ := open(t, srv, "hls/v2/playlist.m3u8", Options{})
	if n := len(src.Master().Variants); n != 1 {
		t.Fatalf("%d variants from a media playlist, want 1", n)
	}
	got, err := readAll(t, src)
	if err != nil {
		t.Fatal(err)
	}
	if want := fixtureSegments(t, "hls", 2, 0, 1, 2, 3, 4, 5); !bytes.Equal(got, want) {
		t.Fatal("bytes differ from v2's segments")
	}
}

func TestSeekRestartsFetching(t *testing.T) {
	srv := fixtureServer(t)
	// Fetch at most one segment ahead of a reader that does not read yet.
	src, ev := open(t, srv, "hls/master.m3u8", Options{ABR: manual(0), MaxBufferAhead: time.Second})
	ev.waitFor(t, "segment 0", func(e Event) bool { c, ok := e.(SegmentComplete); return ok && c.Segment == 0 })

	ctx := context.Background()
	off, err := src.SeekSegment(ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	seg0 := int64(len(fixtureSegments(t, "hls", 0, 0)))
	if off != seg0 {
		t.Errorf("segment 4 placed at %d, want right after segment 0 (%d)", off, seg0)
	}
	if err := src.WaitRange(ctx, off, off+1); err != nil {
		t.Fatal(err)
	}
	buf := readFrom(t, src, off, len(fixtureSegments(t, "hls", 0, 4, 5)))
	n := len(buf)
	if !bytes.Equal(buf, fixtureSegments(t, "hls", 0, 4, 5)) {
		t.Fatal("bytes after the seek are not segments 4 and 5")
	}
	if err := src.WaitRange(ctx, off+int64(n), off+int64(n)+1); err != io.EOF {
		t.Errorf("WaitRange past the last segment: %v, want io.EOF", err)
	}
	for k, want := range []int{1, 0, 0, 0, 1, 1} {
		if got := srv.count(fmt.Sprintf("hls/v0/seg%03d.mp3", k)); got != want {
			t.Errorf("segment %d requested %d times, want %d", k, got, want)
		}
	}

	// Going back to segment 0 starts a third run, from the cache.
	back, err := src.SeekSegment(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if back != off+int64(n) {
		t.Errorf("segment 0 replaced at %d, want after the second run (%d)", back, off+int64(n))
	}
	if first := readFrom(t, src, back, int(seg0)); !bytes.Equal(first, fixtureSegments(t, "hls", 0, 0)) {
		t.Fatal("segment 0 read back wrong")
	}
	c := ev.waitFor(t, "cached segment 0", func(e Event) bool { c, ok := e.(SegmentComplete); return ok && c.Segment == 0 && c.Cached }).(SegmentComplete)
	if c.Offset != back {
		t.Errorf("cached segment 0 published at %d, want %d", c.Offset, back)
	}
	if got := srv.count("hls/v0/seg000.mp3"); got != 1 {
		t.Errorf("segment 0 requested %d times, want once (then the cache)", got)
	}
}

func TestSeekTime(t *testing.T) {
	srv := fixtureServer(t)
	src, _ := open(t, srv, "hls/master.m3u8", Options{ABR: manual(0)})
	pl, err := src.MediaPlaylist(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	at := pl.StartOf(3) + 10*time.Millisecond
	off, start, err := src.SeekTime(context.Background(), at)
	if err != nil {
		t.Fatal(err)
	}
	if start != pl.StartOf(3) {
		t.Errorf("SeekTime(%v) starts at %v, want segment 3's %v", at, start, pl.StartOf(3))
	}
	if got, want := readFrom(t, src, off, 64), fixtureSegments(t, "hls", 0, 3)[:64]; !bytes.Equal(got, want) {
		t.Fatal("SeekTime's offset does not hold segment 3")
	}
}

// TestSeekTimeAcrossVariants seeks by time in a byte space that holds
// segments of the 44.1 kHz variant v0 while the driver fetches the 48 kHz
// variant v1: their segments start a few milliseconds apart, so the time
// returned must be that of the segment actually at the offset.
func TestSeekTimeAcrossVariants(t *testing.T) {
	ctx := context.Background()
	t.Run("laid out", func(t *testing.T) {
		srv := fixtureServer(t)
		// The driver stops five seconds ahead of a reader that does not
		// read: v0's segments 0 to 2 are laid out, then v1's.
		src, ev := open(t, srv, "hls/master.m3u8", Options{ABR: manual(0), MaxBufferAhead: 5 * time.Second})
		ev.waitFor(t, "segment 2", func(e Event) bool { c, ok := e.(SegmentComplete); return ok && c.Segment == 2 })
		if err := src.ForceVariant(ctx, 1); err != nil {
			t.Fatal(err)
		}
		if _, err := readAll(t, src); err != nil {
			t.Fatal(err)
		}
		v0, v1 := mediaPlaylists(t, src)
		requests := srv.countPrefix("hls/")
		for _, tc := range []struct {
			at      time.Duration
			variant int
			segment int
		}{
			// v1 starts its segment 2 at 4.008 s, v0 at 4.023 s: 4.015 s is
			// still in v0's segment 1.
			{v0.StartOf(2) - 8*time.Millisecond, 0, 1},
			{v0.StartOf(2), 0, 2},
			{v1.StartOf(3) + 100*time.Millisecond, 1, 3},
			{v1.Duration() + time.Second, 1, 5},
		} {
			pl := map[int]*MediaPlaylist{0: v0, 1: v1}[tc.variant]
			off, start, err := src.SeekTime(ctx, tc.at)
			if err != nil {
				t.Fatal(err)
			}
			if start != pl.StartOf(tc.segment) {
				t.Errorf("SeekTime(%v) starts at %v, want v%d's segment %d at %v", tc.at, start, tc.variant, tc.segment, pl.StartOf(tc.segment))
			}
			want := fixtureSegments(t, "hls", tc.variant, tc.segment)[:64]
			if got := readFrom(t, src, off, 64); !bytes.Equal(got, want) {
				t.Errorf("SeekTime(%v)'s offset does not hold v%d's segment %d", tc.at, tc.variant, tc.segment)
			}
		}
		if n := srv.countPrefix("hls/") - requests; n != 0 {
			t.Errorf("seeks within the laid-out segments made %d requests", n)
		}
	})
	t.Run("switch at the seek", func(t *testing.T) {
		srv := fixtureServer(t)
		src, ev := open(t, srv, "hls/master.m3u8", Options{ABR: manual(0), MaxBufferAhead: time.Second})
		ev.waitFor(t, "segment 0", func(e Event) bool { c, ok := e.(SegmentComplete); return ok && c.Segment == 0 })
		// v0 is still current; the switch to v1 happens at the next
		// segment boundary, which is the seek's.
		if err := src.ForceVariant(ctx, 1); err != nil {
			t.Fatal(err)
		}
		v0, v1 := mediaPlaylists(t, src)
		at := 7 * time.Second // in segment 3 of both
		off, start, err := src.SeekTime(ctx, at)
		if err != nil {
			t.Fatal(err)
		}
		if start != v1.StartOf(3) {
			t.Errorf("SeekTime(%v) starts at %v, want v1's segment 3 at %v (v0's is at %v)", at, start, v1.StartOf(3), v0.StartOf(3))
		}
		if got, want := readFrom(t, src, off, 64), fixtureSegments(t, "hls", 1, 3)[:64]; !bytes.Equal(got, want) {
			t.Error("SeekTime's offset does not hold v1's segment 3")
		}
		for _, c := range ev.completed() {
			if c.Segment == 1 || c.Segment == 2 {
				t.Errorf("segment %d fetched although the seek skipped it", c.Segment)
			}
		}
	})
}

// mediaPlaylists returns the media playlists of v0 and v1.
func mediaPlaylists(t *testing.T, src *HlsSource) (v0, v1 *MediaPlaylist) {
	t.Helper()
	v0, err := src.MediaPlaylist(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	v1, err = src.MediaPlaylist(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if v0.StartOf(2) == v1.StartOf(2) || v0.StartOf(3) == v1.StartOf(3) {
		t.Fatal("test set-up: v0 and v1 start their segments at the same times")
	}
	return v0, v1
}

func TestForceVariant(t *testing.T) {
	srv := fixtureServer(t)
	src, ev := open(t, srv, "hls/master.m3u8", Options{ABR: manual(0), MaxBufferAhead: time.Second})
	ev.waitFor(t, "segment 0", func(e Event) bool { c, ok := e.(SegmentComplete); return ok && c.Segment == 0 })
	if err := src.ForceVariant(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if err := src.ForceVariant(context.Background(), 3); err == nil {
		t.Error("ForceVariant(3) of 3 variants succeeded")
	}
	got, err := readAll(t, src)
	if err != nil {
		t.Fatal(err)
	}
	want := append(fixtureSegments(t, "hls", 0, 0), fixtureSegments(t, "hls", 1, 1, 2, 3, 4, 5)...)
	if !bytes.Equal(got, want) {
		t.Fatal("bytes are not v0's segment 0 then v1's segments 1..5")
	}
	applied := ev.waitFor(t, "manual switch", func(e Event) bool { va, ok := e.(VariantApplied); return ok && va.To == 1 }).(VariantApplied)
	if applied.From != 0 || applied.Segment != 1 || applied.Reason != abr.ReasonManual {
		t.Errorf("VariantApplied %+v, want 0 -> 1 at segment 1, manual", applied)
	}
	if n := srv.countPrefix("hls/v0/seg"); n != 1 {
		t.Errorf("%d requests for v0 segments, want 1", n)
	}
}

func TestCacheHitsNeedNoRequests(t *testing.T) {
	srv := fixtureServer(t)
	store := openStore(t)
	src, _ := open(t, srv, "hls/master.m3u8", Options{Store: store, ABR: manual(1)})
	first, err := readAll(t, src)
	if err != nil {
		t.Fatal(err)
	}
	src.Close()
	before := srv.countPrefix("hls/")
	src, ev := open(t, srv, "hls/master.m3u8", Options{Store: store, ABR: manual(1)})
	second, err := readAll(t, src)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Fatal("second playback differs")
	}
	if n := srv.countPrefix("hls/") - before; n != 0 {
		t.Errorf("second playback made %d requests, want 0", n)
	}
	for _, c := range ev.completed() {
		if !c.Cached {
			t.Errorf("segment %d not reported as cached", c.Segment)
		}
	}
	for _, e := range ev.snapshot() {
		if s, ok := e.(ThroughputSample); ok {
			t.Errorf("throughput sample %+v from cache hits", s)
		}
	}
}

func TestCloseStopsADownload(t *testing.T) {
	srv := fixtureServer(t)
	block := make(chan struct{})
	srv.throttle = func(p string) (int, time.Duration) {
		if strings.HasSuffix(p, ".mp3") {
			<-block
		}
		return 0, 0
	}
	defer close(block)
	src, ev := open(t, srv, "hls/master.m3u8", Options{ABR: manual(0)})
	ev.waitFor(t, "segment start", func(e Event) bool { s, ok := e.(SegmentStart); return ok && s.Segment == 0 })
	ctx, cancel := context.WithCancel(context.Background())
	waited := make(chan error)
	go func() { waited <- src.WaitRange(ctx, 0, 1) }()
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-waited; !errors.Is(err, ErrClosed) {
		t.Errorf("WaitRange after Close: %v, want ErrClosed", err)
	}
	cancel()
	if _, err := src.ReadAt(make([]byte, 1), 0); !errors.Is(err, ErrClosed) {
		t.Errorf("ReadAt after Close: %v, want ErrClosed", err)
	}
}

func TestInitSections(t *testing.T) {
	pres := synthetic{bandwidths: []uint64{100_000, 200_000, 400_000}, segments: 4, size: 4096, duration: 2 * time.Second, withInit: true}
	srv := newTestServer(t, pres.files())
	store := openStore(t)
	ctx := context.Background()

	// A variant switch puts the new variant's init section before its first
	// segment.
	src, ev := open(t, srv, "master.m3u8", Options{Store: store, ABR: manual(0), MaxBufferAhead: time.Second})
	ev.waitFor(t, "segment 0", func(e Event) bool { c, ok := e.(SegmentComplete); return ok && c.Segment == 0 })
	if err := src.ForceVariant(ctx, 2); err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, src)
	if err != nil {
		t.Fatal(err)
	}
	if s := trail(got); s != "v0/init v0/0 v2/init v2/1 v2/2 v2/3" {
		t.Errorf("byte space holds %s", s)
	}
	// A seek to a segment laid out after an init section lands on the init
	// section, so that a demuxer meets it again.
	if off, err := src.SeekSegment(ctx, 1); err != nil || off != 64+4096 {
		t.Errorf("SeekSegment(1) = %d, %v; want v2's init section at %d", off, err, 64+4096)
	}
	src.Close()

	// A seek that starts a new stretch begins it with the init section,
	// from the cache.
	src, ev = open(t, srv, "master.m3u8", Options{Store: store, ABR: manual(0), MaxBufferAhead: time.Second})
	ev.waitFor(t, "segment 0", func(e Event) bool { c, ok := e.(SegmentComplete); return ok && c.Segment == 0 })
	off, err := src.SeekSegment(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if off != 64+4096 {
		t.Errorf("segment 2 placed at %d, want after v0's init section and segment 0 (%d)", off, 64+4096)
	}
	if s := trail(readFrom(t, src, off, 64+2*4096)); s != "v0/init v0/2 v0/3" {
		t.Errorf("after the seek the byte space holds %s", s)
	}
	for p, want := range map[string]int{"v0/init.bin": 1, "v0/seg1.bin": 0, "v0/seg2.bin": 1, "v2/init.bin": 1} {
		if n := srv.count(p); n != want {
			t.Errorf("%s requested %d times, want %d", p, n, want)
		}
	}
}

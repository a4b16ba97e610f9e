//go:build hotpath

package tests

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotpath-go/hotpath/kithara/assets"
	"github.com/hotpath-go/hotpath/kithara/hls"
	"github.com/hotpath-go/hotpath/kithara/hls/abr"
	knet "github.com/hotpath-go/hotpath/kithara/net"
	"github.com/hotpath-go/hotpath/kithara/stream"
	"github.com/hotpath-go/hotpath/testdata/fixtures"
)

// Seed section 8, kithara-hls: parallel segment downloads, a variant
// switch, ABR decisions, playlist parsing and key caching, read from
// HlsDriver.run, fetchSegment, the key manager's load, Decrypter.Update,
// ParseMaster and ParseMedia, abr's Decide and the hls_commands channel.
// The presentations are the fixtures' (testdata/fixtures/README.md): three
// MP3 variants of six segments, in the clear and AES-128 encrypted.

const hlsSegments = 6

// openHLS opens the presentation at path on srv, recording its events.
func openHLS(t *testing.T, ctx context.Context, srv *server, path string, store *assets.Store, client knet.Net, o abr.Options, events *eventLog[hls.Event]) *hls.HlsSource {
	t.Helper()
	src, err := hls.Open(ctx, srv.url(path), hls.Options{Store: store, Net: client, ABR: o, OnEvent: events.add})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// readSource reads a whole source through a SyncReader, as a decoder would.
func readSource(t *testing.T, ctx context.Context, src stream.Source) []byte {
	t.Helper()
	return readAll(t, stream.NewSyncReader(ctx, src))
}

// closeHLS closes a source, failing the test on an error.
func closeHLS(t *testing.T, src *hls.HlsSource) {
	t.Helper()
	if err := src.Close(); err != nil {
		t.Error(err)
	}
}

// manual returns ABR options that fix the variant.
func manual(variant int) abr.Options { return abr.Options{Mode: abr.Manual, Initial: variant} }

// eventsOf returns the events of type E.
func eventsOf[E hls.Event](l *eventLog[hls.Event]) []E {
	var out []E
	for _, e := range l.snapshot() {
		if x, ok := e.(E); ok {
			out = append(out, x)
		}
	}
	return out
}

// TestProfileSegmentFetchParallel plays the three variants at once, one
// source each over one cache. The server holds the first segment requests
// until all three are in flight, which proves the downloads overlap; each
// driver then fetches its six segments once, and each reader gets its
// variant's segments byte for byte.
func TestProfileSegmentFetchParallel(t *testing.T) {
	const sources = 3
	first := newBarrier(sources, 10*time.Second)
	srv := newServer(t, fixtures.FS, func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/seg000.mp3") && !first.wait() {
			http.Error(w, "the other first segments never came", http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	client := newClient(t, knetOptions())
	store := newStore(t)
	ctx := testContext(t)
	g := profileGuard(t)

	var wg sync.WaitGroup
	got := make([][]byte, sources)
	for v := range sources {
		src := openHLS(t, ctx, srv, "hls/master.m3u8", store, client, manual(v), &eventLog[hls.Event]{})
		wg.Go(func() {
			defer closeHLS(t, src)
			got[v] = readSource(t, ctx, src)
		})
	}
	wg.Wait()
	rep := stopProfile(t, g)

	if p := srv.peakInflight(); p < sources {
		t.Errorf("at most %d requests in flight, want the %d first segments together", p, sources)
	}
	for v := range sources {
		if !bytes.Equal(got[v], variantBytes(t, v, 0, hlsSegments-1)) {
			t.Errorf("variant %d: %d bytes that are not its segments", v, len(got[v]))
		}
		if n := srv.total(fmt.Sprintf("hls/v%d/seg", v)); n != hlsSegments {
			t.Errorf("variant %d: %d segment requests, want %d", v, n, hlsSegments)
		}
	}
	wantCalls(t, rep, fnDriverRun, sources)
	wantCalls(t, rep, fnFetchSegment, sources*hlsSegments)
	wantCalls(t, rep, fnGetStream, sources*hlsSegments)
	wantCalls(t, rep, fnParseMaster, sources)
	wantCalls(t, rep, fnParseMedia, sources)
	// Manual mode: one decision per segment, none of them a switch.
	wantCalls(t, rep, fnDecide, sources*hlsSegments)
	wantCallsAtLeast(t, rep, fnResWriteAt, sources*hlsSegments)
	if c := wantTraffic(t, rep, hlsCmds, 0, 0); c.Created != sources {
		t.Errorf("hls_commands: %d made, want one per source", c.Created)
	}
}

// TestProfileVariantSwitchTime forces variant 2 while the driver downloads
// segment 2 of variant 0 (the server holds that request until the command
// is sent). The switch applies at the next segment boundary: the byte space
// holds segments 0-2 of v0 and 3-5 of v2, the events say so, and the report
// counts the one command, the second media playlist and the extra decision
// that applied the switch.
func TestProfileVariantSwitchTime(t *testing.T) {
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	srv := newServer(t, fixtures.FS, func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/hls/v0/seg002.mp3" {
			arrived <- struct{}{}
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		return false
	})
	client := newClient(t, knetOptions())
	store := newStore(t)
	ctx := testContext(t)
	var events eventLog[hls.Event]
	g := profileGuard(t)

	src := openHLS(t, ctx, srv, "hls/master.m3u8", store, client, manual(0), &events)
	read := make(chan []byte, 1)
	go func() { read <- readSource(t, ctx, src) }()
	select {
	case <-arrived:
	case <-ctx.Done():
		t.Fatal("segment 2 was never requested")
	}
	forced := time.Now()
	if err := src.ForceVariant(ctx, 2); err != nil {
		t.Fatal(err)
	}
	close(release)
	got := <-read
	closeHLS(t, src)
	rep := stopProfile(t, g)

	want := append(variantBytes(t, 0, 0, 2), variantBytes(t, 2, 3, hlsSegments-1)...)
	if !bytes.Equal(got, want) {
		t.Fatalf("%d bytes that are not v0 segments 0-2 and v2 segments 3-5", len(got))
	}
	applied := eventsOf[hls.VariantApplied](&events)
	if len(applied) != 2 || applied[1] != (hls.VariantApplied{From: 0, To: 2, Segment: 3, Reason: abr.ReasonManual}) {
		t.Errorf("variants applied %+v, want the initial one and 0 -> 2 at segment 3", applied)
	}
	// The reader reaches v2 where segment 3 starts. (The index reports
	// only the last variant a read enters, so the read that spans v0's
	// segments and v2's first may hide v0's own event.)
	reached := eventsOf[hls.VariantReached](&events)
	if n := len(reached); n == 0 || reached[n-1] != (hls.VariantReached{Variant: 2, Segment: 3, Offset: int64(len(variantBytes(t, 0, 0, 2)))}) {
		t.Errorf("variants reached %+v, want v2 at segment 3, after v0's segments 0-2", reached)
	}
	t.Logf("v2 reached by the reader %v after the command (measured end to end, not asserted); reached: %+v", time.Since(forced), reached)
	for k := range hlsSegments {
		v0, v2 := srv.count(fmt.Sprintf("hls/v0/seg%03d.mp3", k)), srv.count(fmt.Sprintf("hls/v2/seg%03d.mp3", k))
		if (k < 3 && (v0 != 1 || v2 != 0)) || (k >= 3 && (v0 != 0 || v2 != 1)) {
			t.Errorf("segment %d fetched %d times from v0 and %d from v2", k, v0, v2)
		}
	}
	wantCalls(t, rep, fnDriverRun, 1)
	wantCalls(t, rep, fnFetchSegment, hlsSegments)
	wantCalls(t, rep, fnGetStream, hlsSegments)
	wantCalls(t, rep, fnParseMaster, 1)
	wantCalls(t, rep, fnParseMedia, 2)
	// One decision per segment, and one more that applied the switch.
	wantCalls(t, rep, fnDecide, hlsSegments+1)
	wantTraffic(t, rep, hlsCmds, 1, 1)
}

// TestProfileAbrDecisionOverhead drives an ABR controller by hand with the
// fixture's bandwidths and a clock of its own: first through each kind of
// decision, then 2100 decisions over a grid of buffer levels. Every answer
// is determined, so the report's call count is exact and its percentiles
// are the cost of one decision.
func TestProfileAbrDecisionOverhead(t *testing.T) {
	master, err := hls.ParseMaster("master.m3u8", nil, fixture(t, "hls/master.m3u8"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(0, 0)
	g := profileGuard(t)

	c, err := abr.New(master.Bandwidths(), abr.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	decide := func(buffer time.Duration, target int, reason abr.Reason) abr.Decision {
		t.Helper()
		calls++
		d := c.Decide(buffer)
		if d.Target != target || d.Reason != reason || d.Changed != (target != c.Current()) {
			t.Fatalf("decision %d at %v buffered: %+v, want variant %d for %v", calls, buffer, d, target, reason)
		}
		return d
	}
	decide(0, 0, abr.ReasonNoEstimate)
	c.AddSample(abr.Sample{Bytes: 100_000, Duration: time.Second}) // 800 kbit/s: v2 fits
	decide(2*time.Second, 0, abr.ReasonBufferTooLowForUp)
	if !c.Apply(decide(12*time.Second, 2, abr.ReasonUpSwitch)) {
		t.Fatal("the up-switch was not applied")
	}
	decide(12*time.Second, 2, abr.ReasonMinInterval)
	now = now.Add(abr.DefaultMinSwitchInterval + time.Second)
	decide(12*time.Second, 2, abr.ReasonAlreadyOptimal)
	for range 20 { // 128 kbit/s for 20 s: only v0 fits
		c.AddSample(abr.Sample{Bytes: 16_000, Duration: time.Second})
	}
	const grid = 21
	for i := range 100 * grid {
		buffer := time.Duration(i%grid) * time.Second
		if buffer <= abr.DefaultDownSwitchBuffer {
			decide(buffer, 0, abr.ReasonDownLowBuffer)
		} else {
			decide(buffer, 0, abr.ReasonDownThroughput)
		}
	}
	rep := stopProfile(t, g)

	wantCalls(t, rep, fnDecide, calls)
	wantTimed(t, rep, fnDecide)
	wantNoRow(t, rep, fnDriverRun)
}

// TestProfilePlaylistParsing parses the fixtures' master and media
// playlists, clear and encrypted, and a generated VOD playlist of 2000
// segments with a key rotation every 500, fifty times each.
func TestProfilePlaylistParsing(t *testing.T) {
	const rounds, long = 50, 2000
	base, err := url.Parse("http://example.test/hls/")
	if err != nil {
		t.Fatal(err)
	}
	type media struct {
		name string
		data []byte
	}
	var medias []media
	for _, dir := range []string{"hls", "hls-aes"} {
		for v := range 3 {
			name := fmt.Sprintf("%s/v%d/playlist.m3u8", dir, v)
			medias = append(medias, media{name, fixture(t, name)})
		}
	}
	var gen strings.Builder
	gen.WriteString("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:1000\n#EXT-X-PLAYLIST-TYPE:VOD\n")
	for k := range long {
		if k%500 == 0 {
			fmt.Fprintf(&gen, "#EXT-X-KEY:METHOD=AES-128,URI=\"keys/%d.bin\",IV=0x%032x\n", k/500, k)
		}
		fmt.Fprintf(&gen, "#EXTINF:2.000000,\nseg%05d.mp3\n", k)
	}
	gen.WriteString("#EXT-X-ENDLIST\n")
	medias = append(medias, media{"long.m3u8", []byte(gen.String())})
	masters := [][]byte{fixture(t, "hls/master.m3u8"), fixture(t, "hls-aes/master.m3u8")}
	g := profileGuard(t)

	for range rounds {
		for _, m := range masters {
			pl, err := hls.ParseMaster("master.m3u8", base, m)
			if err != nil {
				t.Fatal(err)
			}
			if bws := pl.Bandwidths(); len(bws) != 3 || bws[0] != 64003 || bws[1] != 128000 || bws[2] != 192003 {
				t.Fatalf("bandwidths %v", bws)
			}
			if u := pl.Variants[1].URI.String(); u != "http://example.test/hls/v1/playlist.m3u8" || pl.Variants[1].Codecs != "mp4a.40.34" {
				t.Fatalf("variant 1 at %s with codecs %q", u, pl.Variants[1].Codecs)
			}
		}
		for _, m := range medias {
			pl, err := hls.ParseMedia(m.name, base, m.data)
			if err != nil {
				t.Fatal(err)
			}
			checkMedia(t, m.name, pl, long)
		}
	}
	rep := stopProfile(t, g)

	wantCalls(t, rep, fnParseMaster, rounds*len(masters))
	wantCalls(t, rep, fnParseMedia, rounds*len(medias))
}

// checkMedia checks what each parsed test playlist holds.
func checkMedia(t *testing.T, name string, pl *hls.MediaPlaylist, long int) {
	t.Helper()
	if name == "long.m3u8" {
		last := pl.Segments[len(pl.Segments)-1]
		if len(pl.Segments) != long || pl.Duration() != time.Duration(long)*2*time.Second ||
			last.Sequence != 1000+uint64(long)-1 || last.Key == nil || last.Key.IV[15] != byte(1500%256) {
			t.Fatalf("%s: %d segments, %v, last %+v", name, len(pl.Segments), pl.Duration(), last)
		}
		return
	}
	if len(pl.Segments) != hlsSegments || pl.TargetDuration != 2*time.Second {
		t.Fatalf("%s: %d segments of target %v", name, len(pl.Segments), pl.TargetDuration)
	}
	// EXTINF durations are whole MP3 frames (1152 samples); the variants at
	// 44.1 and 48 kHz add up to 11.5 s within a frame.
	if d := pl.Duration(); d < 11500*time.Millisecond || d > 11600*time.Millisecond {
		t.Fatalf("%s: %v long", name, d)
	}
	key := pl.Segments[5].Key
	switch {
	case strings.HasPrefix(name, "hls/") && key != nil:
		t.Fatalf("%s: a clear segment with a key", name)
	case name == "hls-aes/v1/playlist.m3u8" && (key == nil || !key.HasIV || key.IV[0] != 0xf0):
		t.Fatalf("%s: key %+v, want the explicit IV", name, key)
	case strings.HasPrefix(name, "hls-aes/v") && name != "hls-aes/v1/playlist.m3u8" &&
		(key == nil || key.HasIV || key.SegmentIV(5) != [16]byte{15: 5}):
		t.Fatalf("%s: key %+v, want the IV from the sequence number", name, key)
	}
}

// TestProfileKeyFetchCaching plays the encrypted presentation twice over
// one cache. The first session fetches the key once for all six segments
// and decrypts them as they stream in; the second finds key and segments in
// the cache and makes no request for either. Both read the clear segments
// byte for byte.
func TestProfileKeyFetchCaching(t *testing.T) {
	srv := newServer(t, fixtures.FS, nil)
	client := newClient(t, knetOptions())
	store := newStore(t)
	ctx := testContext(t)
	g := profileGuard(t)

	var sessions [2]eventLog[hls.Event]
	for i := range sessions {
		src := openHLS(t, ctx, srv, "hls-aes/master.m3u8", store, client, manual(1), &sessions[i])
		got := readSource(t, ctx, src)
		closeHLS(t, src)
		if !bytes.Equal(got, variantBytes(t, 1, 0, hlsSegments-1)) {
			t.Fatalf("session %d: %d bytes that are not the clear segments", i+1, len(got))
		}
	}
	rep := stopProfile(t, g)

	for i := range sessions {
		keys := eventsOf[hls.KeyFetched](&sessions[i])
		if len(keys) != 1 || keys[0].Cached != (i == 1) {
			t.Errorf("session %d: keys fetched %+v, want one, from the cache in session 2 only", i+1, keys)
		}
		for _, c := range eventsOf[hls.SegmentComplete](&sessions[i]) {
			if c.Cached != (i == 1) {
				t.Errorf("session %d: segment %d cached = %v", i+1, c.Segment, c.Cached)
			}
		}
	}
	if k, s := srv.count("hls-aes/key.bin"), srv.total("hls-aes/v1/seg"); k != 1 || s != hlsSegments {
		t.Errorf("%d key and %d segment requests, want 1 and %d", k, s, hlsSegments)
	}
	wantCalls(t, rep, fnDriverRun, 2)
	wantCalls(t, rep, fnKeyLoad, 2) // once per session: the second reads the cache
	wantCallsAtLeast(t, rep, fnDecrypt, hlsSegments)
	wantCalls(t, rep, fnFetchSegment, 2*hlsSegments)
	wantCalls(t, rep, fnGetStream, hlsSegments)
	wantCalls(t, rep, fnParseMaster, 2)
	wantCalls(t, rep, fnParseMedia, 2)
}

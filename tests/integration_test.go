//go:build hotpath

package tests

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/hotpath-go/hotpath/kithara/assets"
	"github.com/hotpath-go/hotpath/kithara/decode"
	"github.com/hotpath-go/hotpath/kithara/hls"
	"github.com/hotpath-go/hotpath/kithara/hls/abr"
	"github.com/hotpath-go/hotpath/kithara/player"
	"github.com/hotpath-go/hotpath/kithara/stream"
	hotpath "github.com/hotpath-go/hotpath/runtime"
	"github.com/hotpath-go/hotpath/testdata/fixtures"
)

// Seed section 8, integration: the whole stack through kithara/player (or
// hls.Open and a decode pipeline where a test needs the driver's clock
// undisturbed), from a loopback server to PCM, read from every layer's rows
// at once.

// play reads a player to its end, gathering its PCM, and returns how many
// times it called Next.
func play(t *testing.T, ctx context.Context, p *player.Player, out *pcm) int {
	t.Helper()
	calls := 0
	for {
		calls++
		c, err := p.Next(ctx)
		if errors.Is(err, io.EOF) {
			return calls
		}
		if err != nil {
			t.Fatalf("Next %d: %v", calls, err)
		}
		out.add(c)
		c.Release()
	}
}

// openPlayer opens a player, failing the test on an error.
func openPlayer(t *testing.T, ctx context.Context, url string, opts player.Options) *player.Player {
	t.Helper()
	p, err := player.Open(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// closePlayer closes a player, failing the test on an error.
func closePlayer(t *testing.T, p *player.Player) {
	t.Helper()
	if err := p.Close(); err != nil {
		t.Error(err)
	}
}

// wantPlayback checks the rows every playback that ran to its end through
// one pipeline has: the blocks the decoder worker made went through both
// channels, one decoder call per chunk and one at the end, one process per
// chunk and one flush, and the byte reader's items all consumed.
func wantPlayback(t *testing.T, rep *hotpath.Report, nextCalls, chunks int) {
	t.Helper()
	wantCalls(t, rep, fnPlayerOpen, 1)
	wantCalls(t, rep, fnPlayerNext, nextCalls)
	wantCalls(t, rep, fnSyncRunWorker, 1)
	wantCalls(t, rep, fnAsyncRunWorker, 1)
	wantCalls(t, rep, blkDecodeChunk, chunks+1)
	wantCalls(t, rep, fnProcess, chunks)
	wantCalls(t, rep, fnFlush, 1)
	data := wantBalanced(t, rep, syncData)
	wantCalls(t, rep, fnDecodeFetchNext, int(data.Sent))
	wantTraffic(t, rep, pcmLive, int(data.Sent), int(data.Sent))
	wantBalanced(t, rep, asyncData)
	wantCallsAtLeast(t, rep, fnRecvChunk, 1)
	wantCallsAtLeast(t, rep, fnPrefetchFetchNext, 1)
	wantCallsAtLeast(t, rep, blkWaitRange, 1)
}

// TestProfileFullMp3Decode plays the MP3 tone from a loopback server: one
// HEAD and one GET into the cache, the prefetch reader over the download,
// and the decoder, whose PCM equals the fixture decoded on its own.
func TestProfileFullMp3Decode(t *testing.T) {
	ref := reference(t, decode.CodecMP3, "tone.mp3")
	srv := newServer(t, fixtures.FS, nil)
	client := newClient(t, knetOptions())
	store := newStore(t)
	ctx := testContext(t)
	g := profileGuard(t)

	p := openPlayer(t, ctx, srv.url("tone.mp3"), player.Options{Store: store, Net: client})
	var out pcm
	calls := play(t, ctx, p, &out)
	closePlayer(t, p)
	rep := stopProfile(t, g)

	if out.format != (decode.Format{SampleRate: 44100, Channels: 2}) || out.frames() != toneFrames || !slices.Equal(out.samples, ref.samples) {
		t.Fatalf("%v, %d frames; want the fixture's %d frames, sample for sample", out.format, out.frames(), toneFrames)
	}
	if n := srv.count("tone.mp3"); n != 2 {
		t.Errorf("%d requests, want a HEAD and a GET", n)
	}
	wantPlayback(t, rep, calls, ref.chunks)
	wantCalls(t, rep, fnGetStream, 1)
	wantCallsAtLeast(t, rep, fnResWriteAt, 1)
	wantCallsAtLeast(t, rep, fnResWaitRange, 1)
	wantNoRow(t, rep, fnDriverRun)
}

// variantAudio is what segments first..last of a fixture variant decode
// to, from its media playlist: every EXTINF is a whole number of MP3 frames
// of 1152 samples (testdata/fixtures/README.md), the decoder makes one
// chunk per frame, and the segments decode to exactly their declared
// length. Reading it from the playlist instead of decoding a reference
// keeps the race-detector run of the suite short.
func variantAudio(t *testing.T, dir string, variant, first, last int) (frames, chunks, rate int) {
	t.Helper()
	pl, err := hls.ParseMedia("playlist.m3u8", nil, fixture(t, fmt.Sprintf("%s/v%d/playlist.m3u8", dir, variant)))
	if err != nil {
		t.Fatal(err)
	}
	rate = []int{44100, 48000, 44100}[variant]
	for _, s := range pl.Segments[first : last+1] {
		chunks += int(math.Round(s.Duration.Seconds() * float64(rate) / 1152))
	}
	return chunks * 1152, chunks, rate
}

// TestProfileHlsVodPlayback plays variant 1 of the HLS fixture to its end:
// the driver fetches six segments, the prefetch reader serves them as one
// byte stream, and the decoder turns it into exactly the frames the
// playlist declares, a 550 Hz tone at 48 kHz.
func TestProfileHlsVodPlayback(t *testing.T) {
	frames, chunks, rate := variantAudio(t, "hls", 1, 0, hlsSegments-1)
	srv := newServer(t, fixtures.FS, nil)
	client := newClient(t, knetOptions())
	store := newStore(t)
	ctx := testContext(t)
	g := profileGuard(t)

	p := openPlayer(t, ctx, srv.url("hls/master.m3u8"), player.Options{Store: store, Net: client, ABR: manual(1)})
	var out pcm
	calls := play(t, ctx, p, &out)
	closePlayer(t, p)
	rep := stopProfile(t, g)

	if out.format != (decode.Format{SampleRate: rate, Channels: 2}) || out.frames() != frames {
		t.Fatalf("%v, %d frames; want %d Hz stereo, %d frames", out.format, out.frames(), rate, frames)
	}
	wantHz(t, "variant 1", out.channel(0)[rate:out.frames()-rate], rate, 550)
	wantPlayback(t, rep, calls, chunks)
	wantCalls(t, rep, fnDriverRun, 1)
	wantCalls(t, rep, fnFetchSegment, hlsSegments)
	wantCalls(t, rep, fnGetStream, hlsSegments)
	wantCalls(t, rep, fnParseMaster, 1)
	wantCalls(t, rep, fnParseMedia, 1)
	wantCalls(t, rep, fnDecide, hlsSegments)
	wantTraffic(t, rep, hlsCmds, 0, 0)
}

// TestProfileHlsWithSeeks seeks an HLS playback four times. Each seek opens
// a new decoder at the start of the segment that plays at the target (a
// new pipeline: its own prefetch and decode workers) and seeks the decoder
// inside the segment: one speed command and one seek command. The first
// audio after each seek starts at the target.
func TestProfileHlsWithSeeks(t *testing.T) {
	targets := []time.Duration{5300 * time.Millisecond, 1100 * time.Millisecond, 3500 * time.Millisecond, 9700 * time.Millisecond}
	frames, _, _ := variantAudio(t, "hls", 0, 0, hlsSegments-1)
	srv := newServer(t, fixtures.FS, nil)
	client := newClient(t, knetOptions())
	store := newStore(t)
	ctx := testContext(t)
	g := profileGuard(t)

	p := openPlayer(t, ctx, srv.url("hls/master.m3u8"), player.Options{Store: store, Net: client, ABR: manual(0)})
	var tail pcm
	for i, target := range targets {
		if err := seekPlayback(p, target); err != nil {
			t.Fatalf("seek to %v: %v", target, err)
		}
		c, err := p.Next(ctx)
		if err != nil {
			t.Fatalf("after the seek to %v: %v", target, err)
		}
		if d := c.Time - target; d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("seek to %v: first audio at %v", target, c.Time)
		}
		if i < len(targets)-1 {
			c.Release()
			continue
		}
		tail.add(c)
		c.Release()
		play(t, ctx, p, &tail)
	}
	closePlayer(t, p)
	rep := stopProfile(t, g)

	// From the last target to the end, within a frame of rounding.
	want := frames - int(math.Round(targets[len(targets)-1].Seconds()*44100))
	if d := tail.frames() - want; d < -1 || d > 1 {
		t.Errorf("%d frames after the last seek, want %d", tail.frames(), want)
	}
	wantHz(t, "after the last seek", tail.channel(0)[4410:tail.frames()-4410], 44100, 440)
	pipelines := 1 + len(targets)
	wantCalls(t, rep, fnPlayerOpen, 1)
	wantCalls(t, rep, fnSeekPlayback, len(targets))
	wantCalls(t, rep, fnAsyncRunWorker, pipelines)
	wantCalls(t, rep, fnSyncRunWorker, pipelines)
	wantCalls(t, rep, fnDriverRun, 1)
	wantTraffic(t, rep, syncCmds, 2*len(targets), 2*len(targets))
	wantBalanced(t, rep, syncData)
	wantBalanced(t, rep, asyncData)
	wantBalanced(t, rep, hlsCmds)
	wantCallsAtLeast(t, rep, fnFetchSegment, hlsSegments)
	wantCallsAtLeast(t, rep, fnGetStream, hlsSegments)
}

// TestProfileOfflineCacheHit fills a cache directory with an HLS
// presentation (fetched, not played), then plays it with a player over that
// directory: the playback makes no request at all, every segment is a cache
// hit, and the audio is the whole variant. The guard covers the playback
// only.
func TestProfileOfflineCacheHit(t *testing.T) {
	frames, chunks, rate := variantAudio(t, "hls", 2, 0, hlsSegments-1)
	srv := newServer(t, fixtures.FS, nil)
	client := newClient(t, knetOptions())
	dir := t.TempDir()
	ctx := testContext(t)
	warm, err := assets.Open(dir, assets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	src := openHLS(t, ctx, srv, "hls/master.m3u8", warm, client, manual(2), &eventLog[hls.Event]{})
	if got := readSource(t, ctx, src); !bytes.Equal(got, variantBytes(t, 2, 0, hlsSegments-1)) {
		t.Fatalf("warming the cache read %d wrong bytes", len(got))
	}
	closeHLS(t, src)
	if err := warm.Close(); err != nil {
		t.Fatal(err)
	}
	requests := srv.total("")
	var events eventLog[hls.Event]
	g := profileGuard(t)

	p := openPlayer(t, ctx, srv.url("hls/master.m3u8"), player.Options{CacheDir: dir, Net: client, ABR: manual(2), OnEvent: events.add})
	var out pcm
	calls := play(t, ctx, p, &out)
	closePlayer(t, p)
	rep := stopProfile(t, g)

	if n := srv.total("") - requests; n != 0 {
		t.Errorf("%d requests from the cached playback, want none", n)
	}
	if out.format.SampleRate != rate || out.frames() != frames {
		t.Errorf("%v, %d frames from the cache; want %d Hz, %d frames", out.format, out.frames(), rate, frames)
	}
	wantHz(t, "variant 2", out.channel(0)[rate:out.frames()-rate], rate, 660)
	done := eventsOf[hls.SegmentComplete](&events)
	for _, c := range done {
		if !c.Cached {
			t.Errorf("segment %d not a cache hit", c.Segment)
		}
	}
	if len(done) != hlsSegments {
		t.Errorf("%d segments completed, want %d", len(done), hlsSegments)
	}
	wantPlayback(t, rep, calls, chunks)
	wantCalls(t, rep, fnFetchSegment, hlsSegments)
	wantCalls(t, rep, fnParseMaster, 1)
	wantCalls(t, rep, fnParseMedia, 1)
	wantCallsAtLeast(t, rep, fnResReadAt, 1)
	wantNoRow(t, rep, fnGetStream)
	wantNoRow(t, rep, fnResWriteAt)
}

// TestProfileVariantAdaptiveSwitching lets ABR choose. The reader stays
// idle until the driver has fetched everything, so the buffer grows by
// about 2 s a segment: the switch up waits for the 10 s an up-switch needs
// and then goes from v0 straight to v2, which loopback carries many times
// over, at segment 5. The byte space then holds v0's segments 0-4 and v2's
// segment 5; decoding its last two segments gives v0's tone (440 Hz), then
// v2's (660 Hz), to the frame as long as they play.
func TestProfileVariantAdaptiveSwitching(t *testing.T) {
	srv := newServer(t, fixtures.FS, nil)
	client := newClient(t, knetOptions())
	store := newStore(t)
	ctx := testContext(t)
	var events eventLog[hls.Event]
	g := profileGuard(t)

	src := openHLS(t, ctx, srv, "hls/master.m3u8", store, client, abr.Options{}, &events)
	waitFor(t, ctx, "the end of the presentation", func() bool { return len(eventsOf[hls.EndOfStream](&events)) > 0 })
	played := append(variantBytes(t, 0, 0, 4), variantBytes(t, 2, 5, 5)...)
	if got := readSource(t, ctx, src); !bytes.Equal(got, played) {
		t.Fatalf("%d bytes that are not v0 segments 0-4 and v2 segment 5", len(got))
	}
	// Decoding from segment 4 on is enough to hear the switch.
	from := int64(len(variantBytes(t, 0, 0, 3)))
	pipe, err := decode.OpenSource(ctx, tailSource{src, from}, decode.WithCodec(decode.CodecMP3))
	if err != nil {
		t.Fatal(err)
	}
	var out pcm
	blocks := consume(t, ctx, pipe, &out, nil)
	closePipeline(t, pipe)
	closeHLS(t, src)
	rep := stopProfile(t, g)

	applied := eventsOf[hls.VariantApplied](&events)
	if len(applied) != 2 || applied[1] != (hls.VariantApplied{From: 0, To: 2, Segment: 5, Reason: abr.ReasonUpSwitch}) {
		t.Fatalf("variants applied %+v, want the initial v0 and an up-switch to v2 at segment 5", applied)
	}
	if n := len(eventsOf[hls.ThroughputSample](&events)); n < hlsSegments {
		t.Errorf("%d throughput samples, want one a segment at least", n)
	}
	f0, c0, _ := variantAudio(t, "hls", 0, 4, 4)
	f2, c2, _ := variantAudio(t, "hls", 2, 5, 5)
	if out.format != (decode.Format{SampleRate: 44100, Channels: 2}) || out.frames() != f0+f2 {
		t.Errorf("%v, %d frames; want 44100 Hz stereo, %d frames of v0 segment 4 and v2 segment 5", out.format, out.frames(), f0+f2)
	}
	left := out.channel(0)
	wantHz(t, "v0 segment 4", left[4410:f0-4410], 44100, 440)
	wantHz(t, "v2 segment 5", left[f0+4410:len(left)-4410], 44100, 660)

	wantCalls(t, rep, fnDriverRun, 1)
	// One decision per segment, and one more that applied the switch.
	wantCalls(t, rep, fnDecide, hlsSegments+1)
	wantCalls(t, rep, fnFetchSegment, hlsSegments)
	wantCalls(t, rep, fnGetStream, hlsSegments)
	wantCalls(t, rep, fnParseMedia, 2)
	wantCalls(t, rep, blkDecodeChunk, c0+c2+1)
	wantCalls(t, rep, fnProcess, c0+c2)
	wantCalls(t, rep, fnDecodeFetchNext, blocks)
	wantTraffic(t, rep, pcmLive, blocks, blocks)
	wantBalanced(t, rep, asyncData)
}

// tailSource is the part of a Source from off on, seen from 0, as a player
// opens a decoder where a segment starts.
type tailSource struct {
	src stream.Source
	off int64
}

func (v tailSource) WaitRange(ctx context.Context, start, end int64) error {
	return v.src.WaitRange(ctx, v.off+start, v.off+end)
}

func (v tailSource) ReadAt(p []byte, off int64) (int, error) { return v.src.ReadAt(p, v.off+off) }

func (v tailSource) Len() (int64, bool) {
	n, ok := v.src.Len()
	return max(n-v.off, 0), ok
}

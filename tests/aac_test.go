//go:build hotpath

package tests

import (
	"fmt"
	"slices"
	"testing"

	"github.com/hotpath-go/hotpath/kithara/decode"
	"github.com/hotpath-go/hotpath/kithara/hls"
	"github.com/hotpath-go/hotpath/kithara/player"
	"github.com/hotpath-go/hotpath/kithara/stream"
	"github.com/hotpath-go/hotpath/testdata/fixtures"
)

// aacSegments is the number of segments of the AAC HLS fixture
// (testdata/fixtures/hls-aac: 5.5 s of AAC-LC, 44.1 kHz stereo, 238 access
// units, in three segments of each container).
const aacSegments = 3

// aacPackedES returns the AAC fixture's elementary stream from its packed
// audio form: each segment's ADTS frames without the ID3 tag that leads it.
func aacPackedES(t testing.TB) []byte {
	t.Helper()
	var es []byte
	for k := range aacSegments {
		seg := fixture(t, fmt.Sprintf("hls-aac/adts/seg%d.aac", k))
		if len(seg) < 10 || string(seg[:3]) != "ID3" {
			t.Fatalf("packed segment %d has no ID3 tag", k)
		}
		n := 10 + int(seg[6])<<21 | int(seg[7])<<14 | int(seg[8])<<7 | int(seg[9])
		es = append(es, seg[n:]...)
	}
	return es
}

// TestProfileAacDecodeChunks is seed section 8's profile_aac_decode_chunks:
// the AAC-LC HLS fixture in MPEG-TS segments, fetched from loopback by the
// HLS driver, taken out of its transport stream into ADTS, and decoded
// through a Pipeline. The output is the fixture's 238 access units less the
// 2112 samples of default priming, equal sample for sample to what the
// decoder makes of the same ADTS frames on its own (from the packed audio
// form): the driver, the demuxer and the pipeline add no audio and lose
// none. The report shows one driver, three segment fetches, one decoder
// call per chunk plus the one that met the end, and the pipeline's
// channels balanced.
func TestProfileAacDecodeChunks(t *testing.T) {
	ref := decodeAll(t, mustDecoder(t, decode.CodecAAC, aacPackedES(t)))
	srv := newServer(t, fixtures.FS, nil)
	ctx := testContext(t)
	g := profileGuard(t)

	src, err := hls.Open(ctx, srv.url("hls-aac/ts/playlist.m3u8"), hls.Options{
		Store: newStore(t), Net: newClient(t, knetOptions()),
	})
	if err != nil {
		t.Fatal(err)
	}
	info, err := src.StreamAt(ctx, 0)
	if err != nil || info.Codec != hls.AudioAAC {
		t.Fatalf("StreamAt(0) = %+v, %v; want AAC", info, err)
	}
	r := stream.NewSyncReader(ctx, src.CodecRun(0, info.Codec))
	dec, err := decode.NewADTSDecoder(r, decode.AACOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := decode.NewPipeline(ctx, dec)
	var out pcm
	blocks := consume(t, ctx, p, &out, nil)
	closePipeline(t, p)
	if err := r.Close(); err != nil {
		t.Error(err)
	}
	closeHLS(t, src)
	rep := stopProfile(t, g)

	const wantFrames = 238*1024 - decode.DefaultAACPriming
	if out.format != (decode.Format{SampleRate: 44100, Channels: 2}) || out.frames() != wantFrames {
		t.Fatalf("%v, %d frames; want 44100 Hz stereo, %d frames", out.format, out.frames(), wantFrames)
	}
	if !slices.Equal(out.samples, ref.samples) {
		t.Error("the pipeline's PCM differs from the decoder's own of the packed audio form")
	}
	mid := func(x []float32) []float32 { return x[4410 : len(x)-4410] }
	wantHz(t, "left", mid(out.channel(0)), 44100, 440)
	wantHz(t, "right", mid(out.channel(1)), 44100, 660)
	wantDecodeRun(t, rep, blocks, ref.chunks)
	wantCalls(t, rep, fnDriverRun, 1)
	wantCalls(t, rep, fnFetchSegment, aacSegments)
	wantCalls(t, rep, fnGetStream, aacSegments)
	wantCalls(t, rep, fnParseMedia, 1)
	if n := srv.total("hls-aac/ts/seg"); n != aacSegments {
		t.Errorf("%d segment requests, want %d", n, aacSegments)
	}
}

// aacPlays is how often TestProfileHlsPlaybackAac plays the presentation:
// enough calls per row for hotpathgen compare to rank two builds.
const aacPlays = 10

// TestProfileHlsPlaybackAac plays the AAC HLS fixture in MPEG-TS segments
// end to end through the player, aacPlays times, each into a fresh cache,
// so that every play fetches, demuxes, caches and decodes everything. Its
// report is the one issue 14's performance work compares between builds
// (HOTPATH_FORMAT=json HOTPATH_OUTPUT=... on each, then hotpathgen
// compare). Each play gives the fixture's 238 access units less the
// default priming; the report counts one Open, one driver and three
// segment fetches, demuxes and downloads per play.
func TestProfileHlsPlaybackAac(t *testing.T) {
	srv := newServer(t, fixtures.FS, nil)
	client := newClient(t, knetOptions())
	ctx := testContext(t)
	g := profileGuard(t)

	for range aacPlays {
		p := openPlayer(t, ctx, srv.url("hls-aac/ts/playlist.m3u8"), player.Options{Store: newStore(t), Net: client})
		var out pcm
		play(t, ctx, p, &out)
		closePlayer(t, p)
		if out.format != (decode.Format{SampleRate: 44100, Channels: 2}) || out.frames() != 238*1024-decode.DefaultAACPriming {
			t.Fatalf("%v, %d frames; want 44100 Hz stereo, %d frames", out.format, out.frames(), 238*1024-decode.DefaultAACPriming)
		}
	}
	rep := stopProfile(t, g)

	wantCalls(t, rep, fnPlayerOpen, aacPlays)
	wantCalls(t, rep, fnDriverRun, aacPlays)
	wantCalls(t, rep, fnParseMedia, aacPlays)
	wantCalls(t, rep, fnFetchSegment, aacPlays*aacSegments)
	wantCalls(t, rep, kithara+"hls.(*demuxer).segment", aacPlays*aacSegments)
	wantCalls(t, rep, kithara+"hls.(*fetchManager).download", aacPlays*aacSegments)
	wantCalls(t, rep, fnGetStream, aacPlays*aacSegments)
	for _, name := range []string{fnPlayerOpen, fnFetchSegment, blkDecodeChunk, fnPlayerNext} {
		wantTimed(t, rep, name)
	}
}

//go:build hotpath

package tests

import (
	"bytes"
	"io"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hotpath-go/hotpath/kithara/decode"
	"github.com/hotpath-go/hotpath/kithara/player"
	"github.com/hotpath-go/hotpath/kithara/stream"
	"github.com/hotpath-go/hotpath/testdata/fixtures"
)

// Seed section 4.1, the performance_profiling suite: a whole HLS playback,
// the decode pipeline stage by stage, and seeks on a stream.

// TestProfileHlsFullPlayback plays the AES-128 presentation end to end
// through the player and checks that one report shows every stage with its
// counts: playlists parsed, one key for six segments fetched and decrypted
// into the cache, the bytes prefetched and received, every MP3 frame
// decoded and passed through the resampler, and every channel's traffic
// consumed.
func TestProfileHlsFullPlayback(t *testing.T) {
	frames, chunks, rate := variantAudio(t, "hls-aes", 0, 0, hlsSegments-1)
	srv := newServer(t, fixtures.FS, nil)
	client := newClient(t, knetOptions())
	store := newStore(t)
	ctx := testContext(t)
	g := profileGuard(t)

	p := openPlayer(t, ctx, srv.url("hls-aes/master.m3u8"), player.Options{Store: store, Net: client, ABR: manual(0)})
	var out pcm
	calls := play(t, ctx, p, &out)
	closePlayer(t, p)
	rep := stopProfile(t, g)

	if out.format != (decode.Format{SampleRate: rate, Channels: 2}) || out.frames() != frames {
		t.Fatalf("%v, %d frames; want %d Hz stereo, %d frames", out.format, out.frames(), rate, frames)
	}
	wantHz(t, "decrypted variant 0", out.channel(0)[rate:out.frames()-rate], rate, 440)
	if n := srv.count("hls-aes/key.bin"); n != 1 {
		t.Errorf("%d key requests, want 1", n)
	}
	// Fetching.
	wantCalls(t, rep, fnDriverRun, 1)
	wantCalls(t, rep, fnParseMaster, 1)
	wantCalls(t, rep, fnParseMedia, 1)
	wantCalls(t, rep, fnDecide, hlsSegments)
	wantCalls(t, rep, fnKeyLoad, 1)
	wantCalls(t, rep, fnFetchSegment, hlsSegments)
	wantCalls(t, rep, fnGetStream, hlsSegments)
	wantCallsAtLeast(t, rep, fnDecrypt, hlsSegments)
	wantCallsAtLeast(t, rep, fnResWriteAt, hlsSegments)
	wantCallsAtLeast(t, rep, fnResReadAt, 1)
	wantTraffic(t, rep, hlsCmds, 0, 0)
	// Reading, decoding, delivering.
	wantPlayback(t, rep, calls, chunks)
	for _, name := range []string{fnFetchSegment, fnDecodeFetchNext, blkDecodeChunk, fnRecvChunk, fnPlayerNext} {
		wantTimed(t, rep, name)
	}
}

// TestProfileDecodePipeline runs the decode pipeline with resampling over
// the FLAC tone in memory, and reads each stage from the report: the
// reader's recvChunk, the decoder's decode_chunk, the resampler's process
// and flush, and the hand-offs on sync_worker_data and decode_live. The
// counts line up stage by stage, and the output is the tone at 48 kHz to
// the frame.
func TestProfileDecodePipeline(t *testing.T) {
	data := fixture(t, "tone.flac")
	chunks := reference(t, decode.CodecFLAC, "tone.flac").chunks
	ctx := testContext(t)
	g := profileGuard(t)

	p, err := decode.OpenSource(ctx, noLend{stream.NewMemSource(data)}, decode.WithOutputRate(48000))
	if err != nil {
		t.Fatal(err)
	}
	var out pcm
	blocks := consume(t, ctx, p, &out, nil)
	closePipeline(t, p)
	rep := stopProfile(t, g)

	if want := int(math.Ceil(toneFrames * 48000.0 / 44100)); out.format != (decode.Format{SampleRate: 48000, Channels: 2}) || out.frames() != want {
		t.Fatalf("%v, %d frames; want 48000 Hz stereo, %d frames", out.format, out.frames(), want)
	}
	wantHz(t, "left", out.channel(0)[4800:out.frames()-4800], 48000, 440)
	// Read: the source in 64 KiB chunks.
	wantCallsAtLeast(t, rep, fnRecvChunk, chunksOf(len(data), chunk))
	wantCallsAtLeast(t, rep, fnPrefetchFetchNext, chunksOf(len(data), chunk))
	wantBalanced(t, rep, asyncData)
	// Decode, resample, deliver.
	wantDecodeRun(t, rep, blocks, chunks)
	for _, stage := range []string{fnRecvChunk, blkDecodeChunk, fnProcess, fnFlush} {
		f := row(t, rep, stage)
		t.Logf("%-60s %4d calls, p50 %8v, p99 %8v", stage, f.Calls, time.Duration(f.Percentiles["p50"]), time.Duration(f.Percentiles["p99"]))
	}
}

// TestProfileStreamSeekPerformance seeks a SyncReader over a committed
// 8 MiB cache file 100 times to random places, and 100 times a little
// further inside the chunk it just fetched: each far seek is one command
// and one recvChunk, each near one neither, and seekRead's percentiles are
// the latency of a seek with its first read.
func TestProfileStreamSeekPerformance(t *testing.T) {
	const size, seeks, read = 8 << 20, 100, 4 << 10
	data := randomBytes(size)
	res := newResource(t)
	if err := fill(res, data, 1<<20, []int{0, 1, 2, 3, 4, 5, 6, 7}, 0); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	ctx := testContext(t)
	g := profileGuard(t)

	r := stream.NewSyncReader(ctx, res)
	buf := make([]byte, read)
	pos := int64(-chunk)
	for i := range seeks {
		off := pos
		for off > pos-chunk && off < pos+chunk {
			off = rng.Int64N(size - chunk)
		}
		pos = off
		for _, o := range []int64{off, off + 3*read} {
			if err := seekRead(r, o, buf); err != nil {
				t.Fatalf("seek %d to %d: %v", i, o, err)
			}
			if !bytes.Equal(buf, data[o:o+read]) {
				t.Fatalf("seek %d to %d: wrong bytes", i, o)
			}
		}
	}
	if _, err := r.Seek(0, io.SeekEnd); err != nil {
		t.Fatal(err)
	}
	if n, err := r.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("read at the end: %d, %v", n, err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	rep := stopProfile(t, g)

	wantCalls(t, rep, fnSeekRead, 2*seeks)
	// The far seeks, and the one to the end.
	wantTraffic(t, rep, asyncCmds, seeks+1, seeks+1)
	wantCalls(t, rep, fnRecvChunk, seeks+1)
	wantCallsAtLeast(t, rep, fnPrefetchFetchNext, seeks+1)
	wantCallsAtLeast(t, rep, fnResWaitRange, seeks+1)
	wantCallsAtLeast(t, rep, fnResReadAt, seeks)
	wantNoRow(t, rep, fnResWriteAt)
	wantBalanced(t, rep, asyncData)
	s := row(t, rep, fnSeekRead)
	t.Logf("seek and read %d KiB: p50 %v, p95 %v, p99 %v", read>>10,
		time.Duration(s.Percentiles["p50"]), time.Duration(s.Percentiles["p95"]), time.Duration(s.Percentiles["p99"]))
}

//go:build hotpath

package tests

import (
	"bytes"
	"context"
	"io"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/hotpath-go/hotpath/kithara/bufpool"
	"github.com/hotpath-go/hotpath/kithara/decode"
	"github.com/hotpath-go/hotpath/kithara/worker"
	hotpath "github.com/hotpath-go/hotpath/runtime"
)

// Seed section 8, kithara-decode: decoding speed per codec, the resampler's
// cost and its flush, and playback at changing speeds, read from
// DecodeSource.fetchNext, its decode_chunk block, Resampler.process and
// flush, and the pipeline's channels (sync_worker_data, decode_live).

// toneFrames is the length of the stereo tone fixtures: 3 s at 44.1 kHz.
const toneFrames = 132300

// block is one item of a pipeline's live channel.
type block = worker.Fetch[decode.Block]

// consume drains a pipeline's live channel to its EOF block, gathering the
// PCM of the current epoch; each, when not nil, sees every block first. It
// returns the number of blocks received.
func consume(t *testing.T, ctx context.Context, p *decode.Pipeline, out *pcm, each func(block)) int {
	t.Helper()
	n, err := drain(ctx, p.Chunks(), func(f block) bool {
		if each != nil {
			each(f)
		}
		if f.Epoch == p.Epoch() {
			if f.Data.Err != nil {
				t.Errorf("decode error: %v", f.Data.Err)
			}
			if f.Data.Frames() > 0 {
				out.add(f.Data.Chunk)
			}
		}
		f.Data.Release()
		return !f.EOF || f.Epoch != p.Epoch()
	})
	if err != nil {
		t.Fatalf("after %d blocks: %v", n, err)
	}
	return n
}

// closePipeline closes p, failing the test on an error.
func closePipeline(t *testing.T, p interface{ Close() error }) {
	t.Helper()
	if err := p.Close(); err != nil {
		t.Error(err)
	}
}

// TestProfileMp3DecodeChunks decodes the MP3 tone through a Pipeline. The
// decoder trims the encoder delay and padding, so the output is the WAV's
// length to the frame and equal, sample for sample, to what the decoder
// makes on its own: the pipeline adds no audio and loses none.
func TestProfileMp3DecodeChunks(t *testing.T) {
	data := fixture(t, "tone.mp3")
	ref := reference(t, decode.CodecMP3, "tone.mp3")
	ctx := testContext(t)
	g := profileGuard(t)

	p := decode.NewPipeline(ctx, mustDecoder(t, decode.CodecMP3, data))
	var out pcm
	blocks := consume(t, ctx, p, &out, nil)
	closePipeline(t, p)
	rep := stopProfile(t, g)

	if out.format != (decode.Format{SampleRate: 44100, Channels: 2}) || out.frames() != toneFrames {
		t.Fatalf("%v, %d frames; want 44100 Hz stereo, %d frames", out.format, out.frames(), toneFrames)
	}
	if !slices.Equal(out.samples, ref.samples) {
		t.Error("the pipeline's PCM differs from the decoder's own")
	}
	wantDecodeRun(t, rep, blocks, ref.chunks)
}

// TestProfileFlacDecodeChunks profiles the decode path with the stack's
// third compressed codec, whose frames have a size of their own (4096
// samples). It stood in for the seed's profile_aac_decode_chunks until the
// AAC decoder came (TestProfileAacDecodeChunks in aac_test.go). The FLAC
// fixture holds the WAV's samples losslessly, so the output must equal the
// WAV's exactly.
func TestProfileFlacDecodeChunks(t *testing.T) {
	data := fixture(t, "tone.flac")
	ref := reference(t, decode.CodecFLAC, "tone.flac")
	wav := reference(t, decode.CodecWAV, "tone.wav")
	ctx := testContext(t)
	g := profileGuard(t)

	p := decode.NewPipeline(ctx, mustDecoder(t, decode.CodecFLAC, data))
	var out pcm
	blocks := consume(t, ctx, p, &out, nil)
	closePipeline(t, p)
	rep := stopProfile(t, g)

	if out.frames() != toneFrames || !slices.Equal(out.samples, wav.samples) {
		t.Fatalf("%d frames; want the WAV's %d samples for sample", out.frames(), toneFrames)
	}
	wantDecodeRun(t, rep, blocks, ref.chunks)
}

// mustDecoder opens a decoder for data.
func mustDecoder(t testing.TB, c decode.Codec, data []byte) decode.Decoder {
	t.Helper()
	dec, err := decode.NewDecoderFor(c, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return dec
}

// wantDecodeRun checks the report of one pipeline that decoded chunks
// chunks to the end of its stream, with no seek, and delivered blocks
// blocks: one fetchNext per block, every block sent and received once on
// both channels, one decoder call per chunk and one that met the end, one
// process per chunk and one flush at the end.
func wantDecodeRun(t *testing.T, rep *hotpath.Report, blocks, chunks int) {
	t.Helper()
	wantCalls(t, rep, fnSyncRunWorker, 1)
	wantCalls(t, rep, fnDecodeFetchNext, blocks)
	wantBlock(t, rep, blkDecodeChunk, fnDecodeFetchNext)
	wantCalls(t, rep, blkDecodeChunk, chunks+1)
	wantCalls(t, rep, fnProcess, chunks)
	wantCalls(t, rep, fnFlush, 1)
	wantTraffic(t, rep, syncData, blocks, blocks)
	wantTraffic(t, rep, pcmLive, blocks, blocks)
	wantTraffic(t, rep, syncCmds, 0, 0)
}

// TestProfileResamplerOverhead decodes the WAV tone twice, at its own rate
// (the resampler passes chunks through) and at 48 kHz, and reads each pass
// from a snapshot of the guard: the same number of process calls, so their
// average times compare the cost of resampling with that of passing
// through. The resampled output has ceil(n·48000/44100) frames and keeps
// its tones.
func TestProfileResamplerOverhead(t *testing.T) {
	data := fixture(t, "tone.wav")
	chunks := reference(t, decode.CodecWAV, "tone.wav").chunks
	ctx := testContext(t)
	g := profileGuard(t)

	passes := []struct {
		rate  int
		delta delta
	}{{rate: 44100}, {rate: 48000}}
	var out pcm
	for i := range passes {
		before := g.Snapshot()
		p := decode.NewPipeline(ctx, mustDecoder(t, decode.CodecWAV, data), decode.WithOutputRate(passes[i].rate))
		out = pcm{}
		blocks := consume(t, ctx, p, &out, nil)
		closePipeline(t, p)
		after := g.Snapshot()
		passes[i].delta = deltaOf(before, after, fnProcess)
		if d := deltaOf(before, after, fnDecodeFetchNext); d.calls != int64(blocks) {
			t.Errorf("%d Hz: %d fetchNext calls for %d blocks", passes[i].rate, d.calls, blocks)
		}
		if d := passes[i].delta; d.calls != int64(chunks) {
			t.Errorf("%d Hz: %d process calls for %d chunks", passes[i].rate, d.calls, chunks)
		}
		want := int(math.Ceil(toneFrames * float64(passes[i].rate) / 44100))
		if out.format.SampleRate != passes[i].rate || out.frames() != want {
			t.Errorf("%d Hz: %v, %d frames; want %d frames", passes[i].rate, out.format, out.frames(), want)
		}
	}
	rep := stopProfile(t, g)

	mid := func(x []float32) []float32 { return x[4800 : len(x)-4800] }
	wantHz(t, "left at 48 kHz", mid(out.channel(0)), 48000, 440)
	wantHz(t, "right at 48 kHz", mid(out.channel(1)), 48000, 880)
	for _, p := range passes {
		t.Logf("process at %d Hz: %d calls, %v each", p.rate, p.delta.calls, time.Duration(p.delta.totalNS/max(p.delta.calls, 1)))
	}
	wantCalls(t, rep, fnProcess, 2*chunks)
	wantCalls(t, rep, fnFlush, 2)
	wantCalls(t, rep, blkDecodeChunk, 2*(chunks+1))
	wantBalanced(t, rep, syncData)
	wantBalanced(t, rep, pcmLive)
}

// TestProfileResamplerFlush runs a Resampler by hand over five one-second
// streams at other rates and speeds: each ends with one flush, whose tail completes the
// stream to exactly ceil(n·ratio/speed) frames.
func TestProfileResamplerFlush(t *testing.T) {
	// The first second of the tone, in the WAV decoder's chunks.
	const inFrames = 44100
	in := reference(t, decode.CodecWAV, "tone.wav")
	samples := in.samples[:inFrames*2]
	var chunks [][]float32
	for off := 0; off < len(samples); off += 4096 * 2 {
		chunks = append(chunks, samples[off:min(off+4096*2, len(samples))])
	}
	streams := []struct {
		rate  int
		speed float64
	}{{48000, 1}, {32000, 1}, {96000, 1}, {22050, 1}, {44100, 1.5}}
	g := profileGuard(t)

	for _, s := range streams {
		r := decode.NewResampler(s.rate)
		r.SetSpeed(s.speed)
		frames := 0
		for _, c := range chunks {
			buf := bufpool.Float32.Get(len(c))
			copy(buf, c)
			out := r.Process(decode.Chunk{Format: in.format, Samples: buf})
			frames += out.Frames()
			out.Release()
		}
		tail := r.Flush()
		want := int(math.Ceil(inFrames * float64(s.rate) / 44100 / s.speed))
		if tail.Frames() == 0 || frames+tail.Frames() != want {
			t.Errorf("%d Hz at speed %g: %d frames and a tail of %d, want %d in all with a tail",
				s.rate, s.speed, frames, tail.Frames(), want)
		}
		tail.Release()
	}
	rep := stopProfile(t, g)

	wantCalls(t, rep, fnProcess, len(streams)*len(chunks))
	wantCalls(t, rep, fnFlush, len(streams))
	wantTimed(t, rep, fnFlush)
	wantNoRow(t, rep, fnDecodeFetchNext)
}

// sineDecoder is a Decoder of a stereo 440 Hz sine at 44.1 kHz, in chunks of
// 1024 frames: long enough (10 s) to hear three speed changes through a
// pipeline that decodes up to 17 blocks ahead of its consumer.
type sineDecoder struct {
	pos, frames int
}

const sineChunk = 1024

var sineFormat = decode.Format{SampleRate: 44100, Channels: 2}

func (d *sineDecoder) Next() (decode.Chunk, error) {
	n := min(sineChunk, d.frames-d.pos)
	if n <= 0 {
		return decode.Chunk{}, io.EOF
	}
	s := bufpool.Float32.Get(2 * n)
	for i := range n {
		v := float32(0.5 * math.Sin(2*math.Pi*440*float64(d.pos+i)/44100))
		s[2*i], s[2*i+1] = v, v
	}
	t := time.Duration(d.pos) * time.Second / 44100
	d.pos += n
	return decode.Chunk{Format: sineFormat, Samples: s, Time: t}, nil
}

func (d *sineDecoder) Seek(t time.Duration) (time.Duration, error) {
	d.pos = min(int(t*44100/time.Second), d.frames)
	return time.Duration(d.pos) * time.Second / 44100, nil
}

func (d *sineDecoder) Format() decode.Format { return sineFormat }

func (d *sineDecoder) Duration() (time.Duration, bool) {
	return time.Duration(d.frames) * time.Second / 44100, true
}

// TestProfileVariableSpeedPlayback changes the speed three times while a
// pipeline plays at its input rate. Each block's media time advances by
// speed times its own duration, so the blocks show every speed taking
// effect; the report shows the three commands sent and received, and every
// decoded chunk resampled once.
func TestProfileVariableSpeedPlayback(t *testing.T) {
	const frames = 10 * 44100
	chunks := (frames + sineChunk - 1) / sineChunk
	changes := []struct {
		at    time.Duration
		speed float64
	}{{2 * time.Second, 1.5}, {4 * time.Second, 0.75}, {6500 * time.Millisecond, 2}}
	ctx := testContext(t)
	g := profileGuard(t)

	p := decode.NewPipeline(ctx, &sineDecoder{frames: frames})
	type span struct{ at, dur time.Duration } // a block's media time and play time
	var got []span
	next := 0
	var out pcm
	blocks := consume(t, ctx, p, &out, func(f block) {
		c := f.Data.Chunk
		if c.Frames() == 0 {
			return
		}
		got = append(got, span{c.Time, c.Duration()})
		if next < len(changes) && c.Time >= changes[next].at {
			if err := p.SetSpeed(changes[next].speed); err != nil {
				t.Fatal(err)
			}
			next++
		}
	})
	closePipeline(t, p)
	rep := stopProfile(t, g)

	if next != len(changes) {
		t.Fatalf("%d speed changes made, want %d", next, len(changes))
	}
	// The speed of a block is the media time it covers over the time it
	// plays.
	seen := map[float64]int{}
	for i := 0; i+1 < len(got); i++ {
		ratio := float64(got[i+1].at-got[i].at) / float64(got[i].dur)
		for _, s := range []float64{1, 1.5, 0.75, 2} {
			if math.Abs(ratio-s) < 0.01*s {
				seen[s]++
			}
		}
		if got[i+1].at <= got[i].at {
			t.Fatalf("block %d at %v after %v", i+1, got[i+1].at, got[i].at)
		}
	}
	for _, s := range []float64{1, 1.5, 0.75, 2} {
		if seen[s] < 10 {
			t.Errorf("%d blocks played at speed %g, want at least 10 (by speed: %v)", seen[s], s, seen)
		}
	}
	last := got[len(got)-1]
	if end := last.at + 2*last.dur; end < 10*time.Second-time.Millisecond || end > 10*time.Second+time.Millisecond {
		t.Errorf("playback ends at media time %v, want 10s", end)
	}

	wantCalls(t, rep, fnDecodeFetchNext, blocks)
	wantCalls(t, rep, blkDecodeChunk, chunks+1)
	wantCalls(t, rep, fnProcess, chunks)
	wantCalls(t, rep, fnFlush, 1)
	wantTraffic(t, rep, syncCmds, len(changes), len(changes))
	wantTraffic(t, rep, syncData, blocks, blocks)
	wantTraffic(t, rep, pcmLive, blocks, blocks)
}

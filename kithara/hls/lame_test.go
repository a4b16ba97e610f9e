package hls

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hotpath-go/hotpath/kithara/decode"
	"github.com/hotpath-go/hotpath/kithara/stream"
	"github.com/hotpath-go/hotpath/testdata/fixtures"
)

// lameReference reads the sample counts testdata/fixtures/make.sh recorded
// for hls-lame/, an MP3 HLS cut by ffmpeg's segment muxer with an ID3 tag
// and a Xing/LAME frame at the start of every segment: what ffmpeg decodes
// from the concatenated segments, and the encoded signal's length.
func lameReference(t *testing.T) (ffmpegFrames, sourceFrames int) {
	t.Helper()
	b, err := fixtures.FS.ReadFile("hls-lame/reference.txt")
	if err != nil {
		t.Fatal(err)
	}
	vals := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		k, v, _ := strings.Cut(line, " ")
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("reference.txt: bad line %q", line)
		}
		vals[k] = n
	}
	return vals["ffmpeg_concat_frames"], vals["source_frames"]
}

// segmentedMP3 opens an MP3 decoder in segmented mode over the byte space of
// src; the reader is closed at cleanup.
func segmentedMP3(t *testing.T, src stream.Source) *decode.MP3Decoder {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	r := stream.NewSyncReader(ctx, src)
	t.Cleanup(func() {
		r.Close()
		cancel()
	})
	dec, err := decode.NewMP3DecoderWith(r, decode.MP3Options{Segmented: true})
	if err != nil {
		t.Fatal(err)
	}
	return dec
}

// countFrames decodes to the end and counts the PCM frames.
func countFrames(t *testing.T, dec decode.Decoder) (frames int, first time.Duration) {
	t.Helper()
	first = -1
	for {
		c, err := dec.Next()
		if errors.Is(err, io.EOF) {
			return frames, first
		}
		if err != nil {
			t.Fatalf("decode after %d frames: %v", frames, err)
		}
		if first < 0 {
			first = c.Time
		}
		frames += c.Frames()
		c.Release()
	}
}

// Issue 17: the byte space of an HLS of MP3 segments that each carry an ID3
// tag and a Xing/LAME frame decodes whole, plain and AES-128, to within one
// MP3 frame of ffmpeg's decode of the concatenated segments.
func TestSegmentsWithXingFramesDecodeWhole(t *testing.T) {
	ffmpegFrames, sourceFrames := lameReference(t)
	srv := fixtureServer(t)
	for _, dir := range []string{"hls-lame", "hls-lame-aes"} {
		t.Run(dir, func(t *testing.T) {
			src, _ := open(t, srv, dir+"/v.m3u8", Options{})
			dec := segmentedMP3(t, src)
			frames, _ := countFrames(t, dec)
			if d := frames - ffmpegFrames; d < -1152 || d > 1152 {
				t.Errorf("decoded %d frames, want ffmpeg's %d within one MP3 frame", frames, ffmpegFrames)
			}
			if frames != sourceFrames {
				t.Errorf("decoded %d frames, want the source's %d", frames, sourceFrames)
			}
			if s := dec.Stats(); s != (decode.MP3Stats{}) {
				t.Errorf("stats %+v", s)
			}
			for k := range 7 {
				if n := srv.count(fmt.Sprintf("%s/v_%02d.mp3", dir, k)); n != 1 {
					t.Errorf("segment %d requested %d times, want once", k, n)
				}
			}
		})
	}
}

// A seek into a later segment through the source lands on the exact sample
// and plays on to the stream's end.
func TestSegmentsWithXingFramesSeek(t *testing.T) {
	_, sourceFrames := lameReference(t)
	srv := fixtureServer(t)
	for _, dir := range []string{"hls-lame", "hls-lame-aes"} {
		t.Run(dir, func(t *testing.T) {
			src, _ := open(t, srv, dir+"/v.m3u8", Options{})
			dec := segmentedMP3(t, src)
			target := 10*time.Second + 123*time.Millisecond // in segment 5
			got, err := dec.Seek(target)
			if err != nil {
				t.Fatal(err)
			}
			if d := (got - target).Abs(); d > time.Second/44100 {
				t.Errorf("Seek(%v) landed at %v, more than a sample off", target, got)
			}
			frames, first := countFrames(t, dec)
			if first != got {
				t.Errorf("first chunk at %v, want %v", first, got)
			}
			if want := sourceFrames - int(math.Round(target.Seconds()*44100)); frames != want {
				t.Errorf("decoded %d frames after the seek, want %d", frames, want)
			}
		})
	}
}

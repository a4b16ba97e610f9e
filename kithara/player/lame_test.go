package player

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

// lameReference reads the sample counts testdata/fixtures/make.sh recorded
// for hls-lame/ (an MP3 HLS cut by ffmpeg's segment muxer, each segment with
// its own ID3 tag and Xing/LAME frame): what ffmpeg decodes from the
// concatenated segments, and the encoded signal's length.
func lameReference(t *testing.T) (ffmpegFrames, sourceFrames int) {
	t.Helper()
	vals := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(fixture(t, "hls-lame/reference.txt"))), "\n") {
		k, v, _ := strings.Cut(line, " ")
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("reference.txt: bad line %q", line)
		}
		vals[k] = n
	}
	return vals["ffmpeg_concat_frames"], vals["source_frames"]
}

// chunkFrames counts the frames of what was played.
func chunkFrames(t *testing.T, p *Player) (frames int, all []float32) {
	t.Helper()
	chunks := drain(t, p)
	for _, c := range chunks {
		frames += c.Frames()
	}
	return frames, samples(chunks)
}

// Issue 17: every segment starts with an ID3 tag and a Xing/LAME frame; the
// whole stream plays, plain and AES-128, to within one MP3 frame of ffmpeg's
// decode of the concatenated segments.
func TestHLSSegmentsWithXingFramesPlayWhole(t *testing.T) {
	ffmpegFrames, sourceFrames := lameReference(t)
	srv := newServer(t)
	for _, dir := range []string{"hls-lame", "hls-lame-aes"} {
		t.Run(dir, func(t *testing.T) {
			p := openPlayer(t, srv.url(dir+"/v.m3u8"), Options{})
			if p.Kind() != KindHLS {
				t.Fatalf("Kind = %v, want hls", p.Kind())
			}
			rate := p.Format().SampleRate
			if rate != 44100 {
				t.Fatalf("Format = %v, want the stream's 44.1 kHz", p.Format())
			}
			frames, all := chunkFrames(t, p)
			if d := frames - ffmpegFrames; d < -1152 || d > 1152 {
				t.Errorf("played %d frames (%.3f s), want ffmpeg's %d within one MP3 frame", frames, float64(frames)/float64(rate), ffmpegFrames)
			}
			if frames != sourceFrames {
				t.Errorf("played %d frames, want the source's %d: the delay and padding are trimmed once each", frames, sourceFrames)
			}
			ch := p.Format().Channels
			if f := frequency(all, ch, 0, rate); math.Abs(f-440) > 0.5 {
				t.Errorf("tone %.2f Hz, want 440", f)
			}
			for k := range 7 {
				if got := srv.count(dir + "/v_0" + strconv.Itoa(k) + ".mp3"); got != 1 {
					t.Errorf("segment %d requested %d times, want once", k, got)
				}
			}
		})
	}
}

// A seek into a later segment opens the decoder at that segment, whose own
// Xing frame must neither end playback at the segment's end nor trim it.
func TestHLSSegmentsWithXingFramesSeek(t *testing.T) {
	_, sourceFrames := lameReference(t)
	srv := newServer(t)
	for _, dir := range []string{"hls-lame", "hls-lame-aes"} {
		t.Run(dir, func(t *testing.T) {
			p := openPlayer(t, srv.url(dir+"/v.m3u8"), Options{})
			target := 8500 * time.Millisecond // segment 4 starts at 8.019592 s
			if err := p.Seek(target); err != nil {
				t.Fatal(err)
			}
			chunks := drain(t, p)
			if len(chunks) == 0 {
				t.Fatal("nothing played after the seek")
			}
			if d := (chunks[0].Time - target).Abs(); d > time.Millisecond {
				t.Errorf("first chunk at %v, want %v", chunks[0].Time, target)
			}
			frames := 0
			for _, c := range chunks {
				frames += c.Frames()
			}
			// The rest of the stream to the end, within one MP3 frame (the
			// encoder delay of the stream's start is not known to a decoder
			// opened at segment 4).
			want := sourceFrames - int(target.Seconds()*44100)
			if frames < want-1152 || frames > want+1152 {
				t.Errorf("played %d frames after the seek, want %d within one MP3 frame", frames, want)
			}
			if f := frequency(samples(chunks), p.Format().Channels, 0, 44100); math.Abs(f-440) > 0.5 {
				t.Errorf("tone %.2f Hz, want 440", f)
			}
			for k, n := range map[int]int{4: 1, 5: 1, 6: 1} {
				if got := srv.count(dir + "/v_0" + strconv.Itoa(k) + ".mp3"); got != n {
					t.Errorf("segment %d requested %d times, want %d", k, got, n)
				}
			}
		})
	}
}

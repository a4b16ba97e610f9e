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
			// The rest of the stream to the end: the decoder opened at
			// segment 4 trims the stream's encoder delay, which segment 0
			// declared, not segment 4's 0.
			want := sourceFrames - int(math.Round(target.Seconds()*44100))
			if frames != want {
				t.Errorf("played %d frames after the seek, want %d", frames, want)
			}
			// The audio labelled t is the source's at t: in phase with the
			// source sine (576 samples early would be 1.6 rad off).
			ch := p.Format().Channels
			if ph := phaseAt(samples(chunks), ch, chunks[0].Time, 440, 44100); math.Abs(ph) > 2*math.Pi*440/44100/4 {
				t.Errorf("tone after the seek %.4f rad out of phase with the source, want within a quarter sample", ph)
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

// phaseAt fits a sine of freq Hz to channel 0 of interleaved samples that
// start at media time t0, over one second from 50 ms in, and returns its
// phase relative to sin(2π·freq·t): 0 when the samples are the source's.
func phaseAt(x []float32, channels int, t0 time.Duration, freq float64, rate int) float64 {
	n0 := math.Round(t0.Seconds() * float64(rate))
	w := 2 * math.Pi * freq / float64(rate)
	var ss, sc, cc, ys, yc float64
	for j := rate / 20; j < rate/20+rate && j*channels < len(x); j++ {
		s, c := math.Sincos(w * (n0 + float64(j)))
		y := float64(x[j*channels])
		ss += s * s
		sc += s * c
		cc += c * c
		ys += y * s
		yc += y * c
	}
	det := ss*cc - sc*sc
	a := (ys*cc - yc*sc) / det // y ≈ a·sin + b·cos
	b := (yc*ss - ys*sc) / det
	return math.Atan2(b, a)
}

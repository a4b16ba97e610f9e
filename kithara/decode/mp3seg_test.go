package decode

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The segmented MP3 HLS fixture (testdata/fixtures/README.md, hls-lame/):
// ffmpeg's segment muxer, an ID3v2 tag and a Xing/LAME frame in every segment.
const (
	lameRate     = 44100
	lameFreq     = 440.0
	lameSegments = 7
	lameFrames   = 461 // audio frames in all segments
)

// lameSegmentFrames is the audio frame count of each segment.
var lameSegmentFrames = [lameSegments]int{77, 77, 76, 77, 76, 77, 1}

// lameReference reads the sample counts make.sh recorded: what ffmpeg
// decodes from the concatenated segments, and the encoded signal's length.
func lameReference(t testing.TB) (ffmpegFrames, sourceFrames int) {
	t.Helper()
	vals := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(fixture(t, "hls-lame/reference.txt")))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		n, err := strconv.Atoi(v)
		if !ok || err != nil {
			t.Fatalf("reference.txt: bad line %q", sc.Text())
		}
		vals[k] = n
	}
	ffmpegFrames, sourceFrames = vals["ffmpeg_concat_frames"], vals["source_frames"]
	if ffmpegFrames == 0 || sourceFrames == 0 {
		t.Fatalf("reference.txt lacks a count: %v", vals)
	}
	return ffmpegFrames, sourceFrames
}

// lameStream concatenates segments from..lameSegments-1, as an HLS source
// delivers them.
func lameStream(t testing.TB, from int) []byte {
	t.Helper()
	var b []byte
	for k := from; k < lameSegments; k++ {
		b = append(b, fixture(t, fmt.Sprintf("hls-lame/v_%02d.mp3", k))...)
	}
	return b
}

func mustSegmentedMP3(t testing.TB, b []byte) *MP3Decoder {
	t.Helper()
	dec, err := NewMP3DecoderWith(bytes.NewReader(b), MP3Options{Segmented: true})
	if err != nil {
		t.Fatal(err)
	}
	return dec
}

// checkLameTone checks that x, the decoded stream from its start, is the
// source sine without a gap or glitch: a fitted sine explains it everywhere
// (segment boundaries included) and is in phase with the source.
func checkLameTone(t *testing.T, x []float64) {
	t.Helper()
	edge := 2205 // 50 ms at each end, where the codec's filters settle
	fit := fitSine(x, lameRate, lameFreq, edge, len(x)-edge)
	if db := 20 * math.Log10(fit.amp/toneAmp); math.Abs(db) > 1 {
		t.Errorf("level %.2f dB from the source", db)
	}
	if fit.snr < 40 {
		t.Errorf("SNR %.1f dB around the fitted sine, want > 40", fit.snr)
	}
	if perSample := 2 * math.Pi * lameFreq / lameRate; math.Abs(fit.phase) > perSample/4 {
		t.Errorf("phase %.4f rad, want within a quarter sample (%.4f) of the source: the start trim is off", fit.phase, perSample/4)
	}
	// The worst sample: a frame of silence, or a frame decoded from the
	// wrong bit reservoir at a segment boundary, is off by up to 0.5.
	w := 2 * math.Pi * lameFreq / lameRate
	worst, at := 0.0, 0
	for i := edge; i < len(x)-edge; i++ {
		if e := math.Abs(x[i] - fit.amp*math.Sin(w*float64(i)+fit.phase)); e > worst {
			worst, at = e, i
		}
	}
	if worst > 0.05 {
		t.Errorf("sample %d (%.3f s) is %.3f off the sine", at, float64(at)/lameRate, worst)
	}
}

func TestMP3SegmentedPlaysWholeAndGapless(t *testing.T) {
	ffmpegFrames, sourceFrames := lameReference(t)
	for _, segmented := range []bool{true, false} {
		t.Run(fmt.Sprintf("segmented=%v", segmented), func(t *testing.T) {
			dec, err := NewMP3DecoderWith(bytes.NewReader(lameStream(t, 0)), MP3Options{Segmented: segmented})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := dec.Format(), (Format{lameRate, 1}); got != want {
				t.Fatalf("format %v, want %v", got, want)
			}
			d, ok := dec.Duration()
			switch {
			case segmented && ok:
				t.Errorf("Duration = %v from the first segment's Xing frame, want none", d)
			case !segmented && (!ok || d != framesToDuration(77*1152-576, lameRate)):
				// Taken as one file until the second Xing frame.
				t.Errorf("Duration = %v %v, want the first segment's", d, ok)
			}
			all := decodeAll(t, dec)
			if _, ok := dec.Duration(); ok {
				t.Error("Duration still reported after Xing frames in mid-stream")
			}
			// The start delay (segment 0's tag) and the end padding (the last
			// segment's tag) are trimmed, nothing in between: the source's
			// length to the sample, within a frame of ffmpeg's decode (which
			// does not trim the end).
			if all.frames() != sourceFrames {
				t.Errorf("%d frames, want the source's %d", all.frames(), sourceFrames)
			}
			if diff := all.frames() - ffmpegFrames; diff < -1152 || diff > 1152 {
				t.Errorf("%d frames, more than one MP3 frame from ffmpeg's %d", all.frames(), ffmpegFrames)
			}
			if s := dec.Stats(); s != (MP3Stats{}) {
				t.Errorf("stats %+v: the tags and Xing frames are neither junk nor silence", s)
			}
			// Chunk times run on without a jump.
			next := time.Duration(0)
			n := int64(0)
			for i, c := range all.chunks {
				if c.time != next {
					t.Fatalf("chunk %d at %v, want %v", i, c.time, next)
				}
				n += int64(c.frames)
				next = framesToDuration(n, lameRate)
			}
			checkLameTone(t, all.channel(0))
		})
	}
}

func TestMP3SegmentedSeekIntoLaterSegment(t *testing.T) {
	_, sourceFrames := lameReference(t)
	all := decodeAll(t, mustSegmentedMP3(t, lameStream(t, 0)))
	dec := mustSegmentedMP3(t, lameStream(t, 0))
	// Into segment 4, back into segment 1, the last samples, and the start.
	for _, at := range []time.Duration{8500 * time.Millisecond, 2100 * time.Millisecond, 11990 * time.Millisecond, 0} {
		got, err := dec.Seek(at)
		if err != nil {
			t.Fatalf("Seek(%v): %v", at, err)
		}
		frame := durationToFrames(at, lameRate)
		if want := framesToDuration(frame, lameRate); got != want {
			t.Errorf("Seek(%v) landed at %v, want %v", at, got, want)
		}
		rest := decodeAll(t, dec)
		if rest.chunks[0].time != got {
			t.Errorf("first chunk after Seek(%v) at %v", at, rest.chunks[0].time)
		}
		if left := sourceFrames - int(frame); rest.frames() != left {
			t.Errorf("after Seek(%v): %d frames to the end, want %d", at, rest.frames(), left)
		}
		want := all.samples[frame:]
		var worst float64
		for i := range min(len(rest.samples), len(want)) {
			worst = max(worst, math.Abs(float64(rest.samples[i]-want[i])))
		}
		if worst > 1e-6 {
			t.Errorf("after Seek(%v): samples differ from a straight decode by up to %g", at, worst)
		}
		if s := dec.Stats(); s.SilencedFrames != 0 {
			t.Errorf("after Seek(%v): %d frames silenced", at, s.SilencedFrames)
		}
	}
}

// A decoder opened at a later segment, as the player does after an HLS seek:
// the segment's own tag declares no delay (the middle segments) or one that
// is not believable (the last segment's), and the end is trimmed.
func TestMP3SegmentedFromLaterSegment(t *testing.T) {
	_, sourceFrames := lameReference(t)
	before := 0
	for k := range 4 {
		before += lameSegmentFrames[k]
	}
	dec := mustSegmentedMP3(t, lameStream(t, 4))
	d := decodeAll(t, dec)
	// Only the decoder delay is trimmed at the start, and the end padding
	// (1296 - 529) at the end.
	if want := (lameFrames-before)*1152 - 529 - (1296 - 529); d.frames() != want {
		t.Errorf("from segment 4: %d frames, want %d", d.frames(), want)
	}
	// The encoder delay of the stream start (576) is not known here, so the
	// output starts that much before the segment's start (before×1152
	// samples into the source) and runs to the source's end.
	if rest := sourceFrames - (before*1152 - 576); d.frames() != rest {
		t.Errorf("from segment 4: %d frames, want the source's last %d", d.frames(), rest)
	}
	// Told the stream's encoder delay, as the player tells it after a seek,
	// the output starts at the segment's start and, once the decoder has
	// primed itself, is the straight decode's.
	all := decodeAll(t, mustSegmentedMP3(t, lameStream(t, 0)))
	delay, ok := MP3EncoderDelay(fixture(t, "hls-lame/v_00.mp3"))
	if !ok || delay != 576 {
		t.Fatalf("MP3EncoderDelay of segment 0 = %d, %v; want 576", delay, ok)
	}
	for name, want := range map[string]bool{
		"hls-lame/v_06.mp3": false, // a delay field of 3567: not believable
		"hls/v0/seg000.mp3": false, // no Xing frame
		"tone.mp3":          true,
		"hls-lame/v_03.mp3": true, // 0
	} {
		if _, ok := MP3EncoderDelay(fixture(t, name)); ok != want {
			t.Errorf("MP3EncoderDelay(%s): ok = %v, want %v", name, ok, want)
		}
	}
	dec, err := NewMP3DecoderWith(bytes.NewReader(lameStream(t, 4)), MP3Options{Segmented: true, EncoderDelay: delay})
	if err != nil {
		t.Fatal(err)
	}
	from := decodeAll(t, dec)
	if want := sourceFrames - before*1152; from.frames() != want {
		t.Errorf("from segment 4 with the delay: %d frames, want the source's last %d", from.frames(), want)
	}
	var worst float64
	for i := 4 * 1152; i < from.frames(); i++ {
		worst = max(worst, math.Abs(float64(from.samples[i]-all.samples[before*1152+i])))
	}
	if worst > 1e-6 {
		t.Errorf("from segment 4 with the delay: samples differ from a straight decode by up to %g", worst)
	}

	// The last segment alone: one frame less the padding, and no delay
	// trimmed (its tag's delay field is 3567, not believable).
	last := decodeAll(t, mustSegmentedMP3(t, lameStream(t, 6)))
	if want := 1152 - (1296 - 529); last.frames() != want {
		t.Errorf("last segment alone: %d frames, want %d", last.frames(), want)
	}
}

// The end padding is trimmed when the stream ends with an ID3v1 tag too, and
// not when bytes that are not a tag follow the last segment.
func TestMP3SegmentedEndTrim(t *testing.T) {
	_, sourceFrames := lameReference(t)
	tag := append([]byte("TAG"), make([]byte, 125)...)
	for name, tc := range map[string]struct {
		tail []byte
		want int
	}{
		"id3v1 tag":     {tag, sourceFrames},
		"another frame": {fixture(t, "hls-lame/v_06.mp3"), sourceFrames + 767 + 385},
	} {
		d := decodeAll(t, mustSegmentedMP3(t, append(lameStream(t, 0), tc.tail...)))
		if d.frames() != tc.want {
			t.Errorf("%s after the last segment: %d frames, want %d", name, d.frames(), tc.want)
		}
	}
}

// A segment with no audio frame (its ID3 tag and Xing frame only) ahead of
// the stream adds nothing: its Xing frame is not played as audio either.
func TestMP3SegmentedEmptySegment(t *testing.T) {
	_, sourceFrames := lameReference(t)
	seg := fixture(t, "hls-lame/v_00.mp3")
	tag := int(id3v2Size(seg))
	h, ok := parseMPEGHeader(seg[tag:])
	if !ok {
		t.Fatal("no frame after the ID3 tag")
	}
	empty := seg[:tag+h.frameSize()]
	for _, segmented := range []bool{true, false} {
		dec, err := NewMP3DecoderWith(bytes.NewReader(append(empty, lameStream(t, 0)...)), MP3Options{Segmented: segmented})
		if err != nil {
			t.Fatal(err)
		}
		if d := decodeAll(t, dec); d.frames() != sourceFrames {
			t.Errorf("segmented=%v: %d frames, want %d", segmented, d.frames(), sourceFrames)
		}
	}
}

// A progressive file with its Xing frame keeps its behaviour when decoded as
// segmented, but for the end padding, which only the stream's end bears.
func TestMP3SegmentedProgressiveFile(t *testing.T) {
	d := decodeAll(t, mustSegmentedMP3(t, fixture(t, "tone.mp3")))
	if d.frames() != toneFrames {
		t.Errorf("tone.mp3 as one segment: %d frames, want %d", d.frames(), toneFrames)
	}
}

// FuzzMP3DecoderSegmented feeds damaged segmented streams to the decoder in
// segmented mode: it must neither panic nor loop.
func FuzzMP3DecoderSegmented(f *testing.F) {
	var b []byte
	for k := range 2 {
		seg, err := fixtureBytes(fmt.Sprintf("hls-lame/v_%02d.mp3", k))
		if err != nil {
			f.Fatal(err)
		}
		b = append(b, seg[:1500]...)
	}
	last, err := fixtureBytes("hls-lame/v_06.mp3")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(last)
	f.Add(append(last[:300], last...))
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzDecoder(t, func(r *bytes.Reader) (Decoder, error) {
			return NewMP3DecoderWith(r, MP3Options{Segmented: true})
		}, b)
	})
}

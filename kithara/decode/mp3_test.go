package decode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hotpath-go/hotpath/kithara/internal/pcmtest"
)

func mustMP3(t testing.TB, r io.ReadSeeker) *MP3Decoder {
	t.Helper()
	dec, err := NewMP3Decoder(r)
	if err != nil {
		t.Fatal(err)
	}
	return dec
}

func TestMP3DecodesTone(t *testing.T) {
	d := decodedToneMP3(t)
	if want := (Format{toneRate, 2}); d.format != want {
		t.Fatalf("format %v, want %v", d.format, want)
	}
	if !d.known || d.duration != 3*time.Second {
		t.Fatalf("duration %v %v, want 3s from the Xing and LAME tags", d.duration, d.known)
	}
	// Gapless: the encoder delay and padding are trimmed, so the length is
	// the WAV's to the frame.
	if d.frames() != toneFrames {
		t.Fatalf("%d frames, want %d", d.frames(), toneFrames)
	}
	if d.stats != (MP3Stats{}) {
		t.Fatalf("stats %+v on an intact file", d.stats)
	}
	if d.chunks[0].time != 0 {
		t.Fatalf("first chunk at %v", d.chunks[0].time)
	}
	for c, freq := range []float64{toneLeft, toneRight} {
		x := d.channel(c)
		// Skip the first and last 50 ms, where the codec's filters settle.
		mid := x[2205 : len(x)-2205]
		fit := fitSine(x, toneRate, freq, 2205, len(x)-2205)
		// LAME renders this tone 0.45 dB low; the decode matches ffmpeg's
		// to 82 dB (checked by hand), so the gain is the encoder's.
		if db := 20 * math.Log10(fit.amp/toneAmp); math.Abs(db) > 1 {
			t.Errorf("channel %d: level %.2f dB from the source", c, db)
		}
		if fit.snr < 60 {
			t.Errorf("channel %d: SNR %.1f dB around the fitted %g Hz sine, want > 60", c, fit.snr, freq)
		}
		// In phase with the source: the trim is exact to the sample.
		if perSample := 2 * math.Pi * freq / toneRate; math.Abs(fit.phase) > perSample/4 {
			t.Errorf("channel %d: phase %.4f rad, want within a quarter sample (%.4f) of the source", c, fit.phase, perSample/4)
		}
		if hz := zeroCrossingHz(mid, toneRate); math.Abs(hz-freq) > 0.1 {
			t.Errorf("channel %d: %.3f Hz by zero crossings, want %g", c, hz, freq)
		}
		other := toneLeft + toneRight - freq
		if leak := goertzel(mid, toneRate, other) / goertzel(mid, toneRate, freq); leak > 1e-3 {
			t.Errorf("channel %d: %g Hz at %.1f dB relative", c, other, 20*math.Log10(leak))
		}
	}
}

func TestMP3Mono(t *testing.T) {
	dec := mustMP3(t, fixtureReader(t, "tone_mono32k.mp3"))
	if got, want := dec.Format(), (Format{32000, 1}); got != want {
		t.Fatalf("format %v, want %v: a mono stream decodes to one channel", got, want)
	}
	if d, ok := dec.Duration(); !ok || d != time.Second {
		t.Fatalf("duration %v %v, want 1s", d, ok)
	}
	d := decodeAll(t, dec)
	if d.frames() != 32000 || dec.Stats() != (MP3Stats{}) {
		t.Fatalf("%d frames, stats %+v; want 32000 clean frames", d.frames(), dec.Stats())
	}
	x := d.channel(0)
	fit := fitSine(x, 32000, 1000, 1600, len(x)-1600)
	if fit.snr < 40 || math.Abs(20*math.Log10(fit.amp/toneAmp)) > 1 {
		t.Errorf("1 kHz at %.2f dB, SNR %.1f dB", 20*math.Log10(fit.amp/toneAmp), fit.snr)
	}
	if perSample := 2 * math.Pi * 1000 / 32000; math.Abs(fit.phase) > perSample/4 {
		t.Errorf("phase %.4f rad: the gapless trim is off", fit.phase)
	}
	if got, err := dec.Seek(500 * time.Millisecond); err != nil || got != 500*time.Millisecond {
		t.Fatalf("Seek = %v, %v", got, err)
	}
	rest := decodeAll(t, dec)
	if rest.frames() != 16000 || !slicesEqual(rest.samples, d.samples[16000:]) {
		t.Fatalf("after seeking to 0.5 s: %d frames, or samples differ from a straight decode", rest.frames())
	}
}

// mpeg2Stream is n frames of MPEG-2 Layer III, 22.05 kHz, 32 kb/s, mono,
// with empty bodies: valid frames of silence.
func mpeg2Stream(n int) []byte {
	frame := make([]byte, 72*32000/22050)
	copy(frame, []byte{0xff, 0xf3, 0x40, 0xc0})
	return bytes.Repeat(frame, n)
}

// referencePCM reads ffmpeg's float decode of an mpa fixture.
func referencePCM(t testing.TB, name string) []float32 {
	pcm, err := pcmtest.F32LE(fixture(t, name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return pcm
}

// TestMP3PlaysEveryVersion decodes MPEG-1, MPEG-2 and MPEG-2.5 streams and
// compares them with ffmpeg's decode: the same length (after gapless
// trimming where a LAME tag asks for it) and at least 90 dB SNR.
func TestMP3PlaysEveryVersion(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format Format
	}{
		{"mpeg1_44100_js", Format{44100, 2}},
		{"mpeg2_22050_mono", Format{22050, 1}},
		{"mpeg2_22050_js", Format{22050, 2}},
		{"mpeg25_8000_js", Format{8000, 2}},
		{"mpeg2_16000_lame", Format{16000, 1}}, // ID3 tag, Info frame, LAME delay and padding
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := fixture(t, "mpa/"+tc.name+".mp3")
			if c, err := ProbeBytes(b); c != CodecMP3 || err != nil {
				t.Fatalf("ProbeBytes: %v, %v", c, err)
			}
			dec := mustMP3(t, bytes.NewReader(b))
			if dec.Format() != tc.format {
				t.Fatalf("format %v, want %v", dec.Format(), tc.format)
			}
			d := decodeAll(t, dec)
			want := referencePCM(t, "mpa/"+tc.name+".f32")
			if len(d.samples) != len(want) {
				t.Fatalf("%d samples, ffmpeg %d", len(d.samples), len(want))
			}
			if db := pcmtest.SNR(want, d.samples); db < 90 {
				t.Fatalf("SNR %.1f dB against ffmpeg, want >= 90", db)
			}
			if s := dec.Stats(); s != (MP3Stats{}) {
				t.Errorf("stats %+v on an intact stream", s)
			}
		})
	}
}

// TestMP3VersionSwitch plays MPEG-2 frames after MPEG-1 ones, as an HLS
// variant switch does: they decode at their own rate, in the timeline.
func TestMP3VersionSwitch(t *testing.T) {
	seg, _ := segment(t, "v0", 0)
	dec := mustMP3(t, bytes.NewReader(append(bytes.Clone(seg), mpeg2Stream(10)...)))
	d := decodeAll(t, dec)
	if s := dec.Stats(); s.SilencedFrames != 0 {
		t.Fatalf("stats %+v, want no frame silenced", s)
	}
	var n int
	for _, c := range d.chunks {
		if c.format == (Format{22050, 1}) {
			n += c.frames
		}
	}
	if n != 10*576 {
		t.Fatalf("%d frames at 22.05 kHz mono, want %d", n, 10*576)
	}
}

func TestMP3SeekIsExact(t *testing.T) {
	all := decodedToneMP3(t)
	dec := mustMP3(t, fixtureReader(t, "tone.mp3"))
	for _, at := range []time.Duration{1234567 * time.Microsecond, 30 * time.Millisecond, 2990 * time.Millisecond, 0, 777 * time.Millisecond} {
		got, err := dec.Seek(at)
		if err != nil {
			t.Fatalf("Seek(%v): %v", at, err)
		}
		frame := durationToFrames(at, toneRate)
		if want := framesToDuration(frame, toneRate); got != want {
			t.Errorf("Seek(%v) landed at %v, want %v", at, got, want)
		}
		rest := decodeChunks(t, dec, 4)
		if rest.chunks[0].time != got {
			t.Errorf("first chunk after Seek(%v) at %v", at, rest.chunks[0].time)
		}
		if left := toneFrames - int(frame); left < 4*1152 && rest.frames() != left {
			t.Errorf("after Seek(%v): %d frames to the end, want %d", at, rest.frames(), left)
		}
		// After its preroll the decoder is in the state a straight decode
		// reaches: the samples are the same.
		want := all.samples[frame*2:]
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

// playlist reads the segment names and durations of an HLS media playlist
// fixture.
func playlist(t *testing.T, path string) (names []string, durs []time.Duration) {
	t.Helper()
	lines := strings.Split(string(fixture(t, path)), "\n")
	for i, l := range lines {
		if v, ok := strings.CutPrefix(l, "#EXTINF:"); ok {
			sec, err := strconv.ParseFloat(strings.TrimSuffix(v, ","), 64)
			if err != nil {
				t.Fatal(err)
			}
			durs = append(durs, time.Duration(sec*float64(time.Second)+0.5))
			names = append(names, lines[i+1])
		}
	}
	return names, durs
}

// segment returns segment i of an HLS variant fixture and its EXTINF
// duration.
func segment(t *testing.T, variant string, i int) ([]byte, time.Duration) {
	t.Helper()
	names, durs := playlist(t, "hls/"+variant+"/playlist.m3u8")
	return fixture(t, "hls/"+variant+"/"+names[i]), durs[i]
}

func TestMP3HLSVariants(t *testing.T) {
	for _, tc := range []struct {
		variant string
		rate    int
		freq    float64
	}{{"v0", 44100, 440}, {"v1", 48000, 550}, {"v2", 44100, 660}} {
		t.Run(tc.variant, func(t *testing.T) {
			if raceEnabled && tc.variant != "v1" {
				t.Skip("one variant is enough under -race")
			}
			// The last segment, on its own: with the bit reservoir off in
			// the fixtures every segment decodes cleanly alone.
			b, dur := segment(t, tc.variant, 5)
			dec := mustMP3(t, bytes.NewReader(b))
			d := decodeAll(t, dec)
			if s := dec.Stats(); s != (MP3Stats{}) {
				t.Errorf("segment 5 alone: %+v", s)
			}
			if got := framesToDuration(int64(d.frames()), tc.rate); d.format.SampleRate != tc.rate || absDur(got-dur) > time.Microsecond {
				t.Fatalf("%v, %v decoded; the playlist says %v at %d Hz", d.format, got, dur, tc.rate)
			}
			x := d.channel(0)
			if hz := zeroCrossingHz(x[tc.rate/10:len(x)-tc.rate/10], float64(tc.rate)); math.Abs(hz-tc.freq) > 0.1 {
				t.Errorf("%.3f Hz, want %g", hz, tc.freq)
			}
		})
	}
}

func absDur(d time.Duration) time.Duration { return max(d, -d) }

func TestMP3FormatChangesMidStream(t *testing.T) {
	// An ABR switch from 44.1 kHz to 48 kHz at a segment boundary, as an
	// HLS byte stream presents it.
	a, switchAt := segment(t, "v0", 4)
	b, _ := segment(t, "v1", 5)
	d := decodeAll(t, mustMP3(t, bytes.NewReader(append(bytes.Clone(a), b...))))
	var at time.Duration = -1
	for i, c := range d.chunks {
		want := Format{44100, 2}
		if c.time >= switchAt-time.Microsecond { // EXTINF is rounded to the microsecond
			want = Format{48000, 2}
		}
		if c.format != want {
			t.Fatalf("chunk %d at %v: %v, want %v", i, c.time, c.format, want)
		}
		if at < 0 && c.format.SampleRate == 48000 {
			at = c.time
		}
	}
	if absDur(at-switchAt) > time.Microsecond {
		t.Fatalf("48 kHz starts at %v, the segment boundary is at %v", at, switchAt)
	}
	x := d.channel(0)
	if hz := zeroCrossingHz(x[len(x)-60000:len(x)-20000], 48000); math.Abs(hz-550) > 0.1 {
		t.Errorf("after the switch: %.3f Hz, want 550", hz)
	}
}

// frameStartNear returns the offset of the first MPEG sync word at or after
// off.
func frameStartNear(b []byte, off int) int {
	for off+1 < len(b) && !(b[off] == 0xff && b[off+1]&0xe0 == 0xe0) {
		off++
	}
	return off
}

func TestMP3CorruptFramesSkipped(t *testing.T) {
	b := bytes.Clone(fixture(t, "tone.mp3"))
	rng := rand.New(rand.NewPCG(7, 7))
	const frameBytes = 417 // 128 kb/s at 44.1 kHz
	// Garbage over about two frames near 0.5 s.
	for i := 20*frameBytes + 60; i < 22*frameBytes; i++ {
		b[i] = byte(rng.Uint32())
	}
	// A smashed header near 1.3 s.
	copy(b[frameStartNear(b, 50*frameBytes):], []byte{0x00, 0x13, 0x37, 0x00})
	// Junk between two frames near 1.6 s, starting with a fake header.
	junk := append([]byte{0xff, 0xfb, 0x90}, bytes.Repeat([]byte{0xa5}, 300)...)
	at := frameStartNear(b, 60*frameBytes)
	b = append(b[:at:at], append(junk, b[at:]...)...)

	dec := mustMP3(t, bytes.NewReader(b))
	d := decodeAll(t, dec)
	s := dec.Stats()
	if s.JunkBytes < int64(len(junk)) || s.SilencedFrames == 0 {
		t.Errorf("stats %+v: want the junk skipped and damaged frames silenced", s)
	}
	// The timeline survives: damaged frames become silence; only frames
	// whose headers were destroyed are lost.
	if lost := toneFrames - d.frames(); lost < 0 || lost > 3*1152 {
		t.Errorf("%d frames, want %d less at most three MP3 frames", d.frames(), toneFrames)
	}
	x := d.channel(0)
	var peak float64
	for _, v := range x {
		peak = max(peak, math.Abs(v))
	}
	if peak > 0.75 {
		t.Errorf("peak %.3f: damaged frames came out as noise", peak)
	}
	// After the damage the audio is clean again.
	if fit := fitSine(x, toneRate, toneLeft, len(x)-toneRate, len(x)-2205); fit.snr < 60 {
		t.Errorf("last second: SNR %.1f dB, want > 60", fit.snr)
	}
}

func TestMP3NotAudio(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	noise := make([]byte, 64<<10)
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	for name, b := range map[string][]byte{"empty": nil, "noise": noise, "id3 only": fixture(t, "tone.mp3")[:20]} {
		if _, err := NewMP3Decoder(bytes.NewReader(b)); !errors.Is(err, ErrNotAudio) {
			t.Errorf("%s: err = %v, want ErrNotAudio", name, err)
		}
	}
}

// FuzzMP3Decoder feeds damaged streams to the decoder: it must neither panic
// nor loop, whatever the bytes are.
func FuzzMP3Decoder(f *testing.F) {
	tone, err := fixtureBytes("tone.mp3")
	if err != nil {
		f.Fatal(err)
	}
	seg, err := fixtureBytes("hls/v1/seg002.mp3")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tone[:4096])
	f.Add(seg[:3000])
	f.Add(tone[:20])
	for _, name := range []string{"mpa/mpeg2_22050_js.mp3", "mpa/mpeg25_8000_js.mp3", "mpa/mpeg2_16000_lame.mp3"} {
		b, err := fixtureBytes(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[:min(len(b), 1500)])
	}
	f.Add([]byte{0xff, 0xfb, 0x90, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		dec, err := NewMP3Decoder(bytes.NewReader(b))
		if err != nil {
			return
		}
		frames := 0
		for i := 0; ; i++ {
			c, err := dec.Next()
			if err != nil {
				break
			}
			if c.Format.Channels < 1 || c.Format.Channels > 2 || len(c.Samples)%c.Format.Channels != 0 {
				t.Fatalf("chunk %d: %v with %d samples", i, c.Format, len(c.Samples))
			}
			frames += c.Frames()
			if i > len(b) {
				t.Fatalf("%d chunks from %d bytes", i, len(b))
			}
		}
		if max := (len(b)/24 + 1) * 1152; frames > max {
			panic(fmt.Sprintf("%d frames from %d bytes", frames, len(b)))
		}
	})
}

// TestMP3SeekIsExactMPEG2 seeks in an MPEG-2 file with a LAME tag (small
// frames: the preroll spans many of them): the samples after each seek are
// those of a straight decode.
func TestMP3SeekIsExactMPEG2(t *testing.T) {
	const name = "mpa/mpeg2_16000_lame.mp3"
	all := decodeAll(t, mustMP3(t, bytes.NewReader(fixture(t, name))))
	dec := mustMP3(t, bytes.NewReader(fixture(t, name)))
	for _, at := range []time.Duration{250 * time.Millisecond, 10 * time.Millisecond, 0, 444 * time.Millisecond} {
		got, err := dec.Seek(at)
		if err != nil {
			t.Fatalf("Seek(%v): %v", at, err)
		}
		rest := decodeAll(t, dec)
		frame := durationToFrames(got, 16000)
		if rest.frames() != 8000-int(frame) {
			t.Fatalf("after Seek(%v): %d frames to the end, want %d", at, rest.frames(), 8000-frame)
		}
		if !slicesEqual(rest.samples, all.samples[frame:]) {
			t.Errorf("after Seek(%v): samples differ from a straight decode", at)
		}
		if s := dec.Stats(); s.SilencedFrames != 0 {
			t.Errorf("after Seek(%v): %d frames silenced", at, s.SilencedFrames)
		}
	}
}

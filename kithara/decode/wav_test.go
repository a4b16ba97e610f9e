package decode

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"testing"
	"time"
)

func TestWAVDecodesTone(t *testing.T) {
	dec, err := NewWAVDecoder(fixtureReader(t, "tone.wav"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := dec.Format(), (Format{toneRate, 2}); got != want {
		t.Fatalf("format %v, want %v", got, want)
	}
	if d, ok := dec.Duration(); !ok || d != 3*time.Second {
		t.Fatalf("duration %v %v, want 3s", d, ok)
	}
	d := decodeAll(t, dec)
	if d.frames() != toneFrames {
		t.Fatalf("%d frames, want %d", d.frames(), toneFrames)
	}
	// The samples are the 16-bit quantisation of the ideal signal.
	for c, freq := range []float64{toneLeft, toneRight} {
		want := sine(toneFrames, 0, toneRate, toneAmp, freq)
		var worst float64
		for i, v := range d.channel(c) {
			worst = max(worst, math.Abs(v-float64(want[i])))
		}
		if worst > 1.0/32768 {
			t.Errorf("channel %d: worst error %g, want within one 16-bit step", c, worst)
		}
	}
}

func TestWAVChunkTimes(t *testing.T) {
	dec, err := NewWAVDecoder(fixtureReader(t, "tone.wav"))
	if err != nil {
		t.Fatal(err)
	}
	var frames int64
	for {
		c, err := dec.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if want := framesToDuration(frames, toneRate); c.Time != want {
			t.Fatalf("chunk at frame %d has time %v, want %v", frames, c.Time, want)
		}
		frames += int64(c.Frames())
		c.Release()
	}
	if frames != toneFrames {
		t.Fatalf("%d frames, want %d", frames, toneFrames)
	}
}

func TestWAVMono24(t *testing.T) {
	dec, err := NewWAVDecoder(fixtureReader(t, "tone_mono24.wav"))
	if err != nil {
		t.Fatal(err)
	}
	d := decodeAll(t, dec)
	if d.format != (Format{48000, 1}) || d.frames() != 48000 {
		t.Fatalf("%v, %d frames; want 48000 Hz mono, 48000 frames", d.format, d.frames())
	}
	want := sine(48000, 0, 48000, toneAmp, 1000)
	for i, v := range d.samples {
		if math.Abs(float64(v-want[i])) > 1.0/(1<<23) {
			t.Fatalf("frame %d: %g, want %g within one 24-bit step", i, v, want[i])
		}
	}
}

// makeWAV builds a canonical WAVE file.
func makeWAV(format, bits, channels, rate int, data []byte) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	b.WriteString("RIFF")
	_ = binary.Write(&b, le, uint32(36+len(data)))
	b.WriteString("WAVEfmt ")
	block := channels * bits / 8
	for _, v := range []any{uint32(16), uint16(format), uint16(channels), uint32(rate),
		uint32(rate * block), uint16(block), uint16(bits)} {
		_ = binary.Write(&b, le, v)
	}
	b.WriteString("data")
	_ = binary.Write(&b, le, uint32(len(data)))
	b.Write(data)
	return b.Bytes()
}

func TestWAVSampleFormats(t *testing.T) {
	vals := []float32{0, 0.5, -0.5, 0.25}
	float32Data := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(float32Data[4*i:], math.Float32bits(v))
	}
	eightBit := []byte{128, 192, 64, 160} // 0, 0.5, -0.5, 0.25
	for _, tc := range []struct {
		name string
		file []byte
	}{
		{"float32", makeWAV(wavFormatFloat, 32, 2, 8000, float32Data)},
		{"u8", makeWAV(wavFormatPCM, 8, 2, 8000, eightBit)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dec, err := NewWAVDecoder(bytes.NewReader(tc.file))
			if err != nil {
				t.Fatal(err)
			}
			d := decodeAll(t, dec)
			if len(d.samples) != len(vals) {
				t.Fatalf("%d samples, want %d", len(d.samples), len(vals))
			}
			for i, v := range d.samples {
				if v != vals[i] {
					t.Errorf("sample %d = %g, want %g", i, v, vals[i])
				}
			}
		})
	}
	_, err := NewWAVDecoder(bytes.NewReader(makeWAV(0x55, 16, 2, 8000, make([]byte, 8))))
	if !errors.Is(err, ErrUnsupported) {
		t.Errorf("format tag 0x55 (MP3 in WAVE): err = %v, want ErrUnsupported", err)
	}
}

// chunkyReader returns at most n bytes per Read, like a streaming reader
// handing out network chunks, at odd boundaries.
type chunkyReader struct {
	*bytes.Reader
	n int
}

func (r *chunkyReader) Read(p []byte) (int, error) {
	if len(p) > r.n {
		p = p[:r.n]
	}
	return r.Reader.Read(p)
}

func TestWAVShortReadsKeepSamples(t *testing.T) {
	want := decodeAll(t, mustWAV(t, fixtureReader(t, "tone.wav")))
	got := decodeAll(t, mustWAV(t, &chunkyReader{Reader: fixtureReader(t, "tone.wav"), n: 997}))
	if !slicesEqual(got.samples, want.samples) {
		t.Fatal("decoding through short reads changed the samples")
	}
}

func mustWAV(t *testing.T, r io.ReadSeeker) *WAVDecoder {
	t.Helper()
	dec, err := NewWAVDecoder(r)
	if err != nil {
		t.Fatal(err)
	}
	return dec
}

func slicesEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestWAVSeek(t *testing.T) {
	all := decodeAll(t, mustWAV(t, fixtureReader(t, "tone.wav")))
	dec := mustWAV(t, fixtureReader(t, "tone.wav"))
	for _, at := range []time.Duration{1500 * time.Millisecond, 10 * time.Millisecond, 0, 2999 * time.Millisecond} {
		got, err := dec.Seek(at)
		if err != nil {
			t.Fatal(err)
		}
		frame := durationToFrames(at, toneRate)
		if want := framesToDuration(frame, toneRate); got != want {
			t.Errorf("Seek(%v) landed at %v, want %v", at, got, want)
		}
		c, err := dec.Next()
		if err != nil {
			t.Fatal(err)
		}
		if c.Time != got {
			t.Errorf("chunk after Seek(%v) at %v", at, c.Time)
		}
		if !slicesEqual(c.Samples, all.samples[frame*2:frame*2+int64(len(c.Samples))]) {
			t.Errorf("samples after Seek(%v) differ from frame %d on", at, frame)
		}
		c.Release()
	}
	if got, err := dec.Seek(time.Hour); err != nil || got != 3*time.Second {
		t.Fatalf("Seek(1h) = %v, %v; want 3s", got, err)
	}
	if _, err := dec.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("Next after seeking past the end: %v, want io.EOF", err)
	}
}

func TestWAVTruncated(t *testing.T) {
	b := fixture(t, "tone.wav")
	dec := mustWAV(t, bytes.NewReader(b[:len(b)/2]))
	d, err := decodeUntilError(dec)
	if !errors.Is(err, ErrTruncated) {
		t.Fatalf("err = %v, want ErrTruncated", err)
	}
	if d.frames() == 0 || d.frames() >= toneFrames {
		t.Fatalf("%d frames before the error, want part of %d", d.frames(), toneFrames)
	}
	if _, err := NewWAVDecoder(bytes.NewReader(b[:20])); err == nil {
		t.Fatal("a 20-byte WAV header opened without error")
	}
}

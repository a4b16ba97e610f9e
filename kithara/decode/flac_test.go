package decode

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func mustFLAC(t *testing.T, r io.ReadSeeker) *FLACDecoder {
	t.Helper()
	dec, err := NewFLACDecoder(r)
	if err != nil {
		t.Fatal(err)
	}
	return dec
}

func TestFLACEqualsWAV(t *testing.T) {
	for _, name := range []string{"tone", "tone_mono24"} {
		t.Run(name, func(t *testing.T) {
			wav := decodeAll(t, mustWAV(t, fixtureReader(t, name+".wav")))
			dec := mustFLAC(t, fixtureReader(t, name+".flac"))
			if dec.Format() != wav.format {
				t.Fatalf("format %v, WAV has %v", dec.Format(), wav.format)
			}
			wantDur := framesToDuration(int64(wav.frames()), wav.format.SampleRate)
			if d, ok := dec.Duration(); !ok || d != wantDur {
				t.Fatalf("duration %v %v, want %v", d, ok, wantDur)
			}
			flac := decodeAll(t, dec)
			if flac.frames() != wav.frames() {
				t.Fatalf("%d frames, WAV has %d", flac.frames(), wav.frames())
			}
			for i := range flac.samples {
				if flac.samples[i] != wav.samples[i] {
					t.Fatalf("sample %d: FLAC %g, WAV %g", i, flac.samples[i], wav.samples[i])
				}
			}
			var frames int64
			for _, c := range flac.chunks {
				if want := framesToDuration(frames, wav.format.SampleRate); c.time != want {
					t.Fatalf("chunk at frame %d has time %v, want %v", frames, c.time, want)
				}
				frames += int64(c.frames)
			}
		})
	}
}

func TestFLACSeekIsExact(t *testing.T) {
	all := decodeAll(t, mustWAV(t, fixtureReader(t, "tone.wav")))
	dec := mustFLAC(t, fixtureReader(t, "tone.flac"))
	// Mid-frame targets: FLAC frames here hold 4608 samples, and the last,
	// shorter one starts at sample 129024 (2.9257 s).
	for _, at := range []time.Duration{1234567 * time.Microsecond, 100 * time.Millisecond, 0, 2950 * time.Millisecond, 2900 * time.Millisecond} {
		got, err := dec.Seek(at)
		if err != nil {
			t.Fatalf("Seek(%v): %v", at, err)
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
			t.Errorf("first chunk after Seek(%v) at %v", at, c.Time)
		}
		if !slicesEqual(c.Samples, all.samples[frame*2:frame*2+int64(len(c.Samples))]) {
			t.Errorf("samples after Seek(%v) differ from frame %d of the WAV", at, frame)
		}
		c.Release()
	}
	if got, err := dec.Seek(time.Minute); err != nil || got != 3*time.Second {
		t.Fatalf("Seek(1m) = %v, %v; want 3s", got, err)
	}
	if _, err := dec.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("Next after seeking past the end: %v, want io.EOF", err)
	}
}

func TestFLACTruncated(t *testing.T) {
	b := fixture(t, "tone.flac")
	for _, cut := range []int{len(b) / 2, len(b) - 1} {
		dec := mustFLAC(t, bytes.NewReader(b[:cut]))
		d, err := decodeUntilError(dec)
		if !errors.Is(err, ErrTruncated) {
			t.Fatalf("cut at %d of %d: err = %v, want ErrTruncated", cut, len(b), err)
		}
		if !strings.Contains(err.Error(), "of 132300") {
			t.Errorf("error %q does not say where in the stream it stopped", err)
		}
		if d.frames() == 0 || d.frames() >= toneFrames {
			t.Errorf("cut at %d: %d frames before the error, want part of %d", cut, d.frames(), toneFrames)
		}
		// The error sticks.
		if _, err2 := dec.Next(); !errors.Is(err2, ErrTruncated) {
			t.Errorf("Next after the error: %v", err2)
		}
	}
	if _, err := NewFLACDecoder(bytes.NewReader(b[:30])); !errors.Is(err, ErrTruncated) {
		t.Errorf("truncated metadata: err = %v, want ErrTruncated", err)
	}
}

package mpa

import (
	"errors"
	"io/fs"
	"testing"

	"github.com/hotpath-go/hotpath/kithara/internal/pcmtest"
	"github.com/hotpath-go/hotpath/testdata/fixtures"
)

// stream is one accuracy fixture: a Layer III stream and ffmpeg's decode.
type stream struct {
	name     string
	version  Version
	rate     int
	channels int
}

var streams = []stream{
	{"mpeg1_44100_js", MPEG1, 44100, 2},
	{"mpeg2_22050_mono", MPEG2, 22050, 1},
	{"mpeg2_22050_js", MPEG2, 22050, 2},
	{"mpeg25_8000_js", MPEG25, 8000, 2},
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(fixtures.FS, "mpa/"+name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// reference returns ffmpeg's float decode of fixture name.
func reference(t testing.TB, name string) []float32 {
	pcm, err := pcmtest.F32LE(readFixture(t, name+".f32"))
	if err != nil {
		t.Fatalf("%s.f32: %v", name, err)
	}
	return pcm
}

// splitFrames cuts a stream of back-to-back frames at the sizes their
// headers give.
func splitFrames(t testing.TB, b []byte) [][]byte {
	t.Helper()
	var frames [][]byte
	for len(b) > 0 {
		h, err := ParseHeader(b)
		if err != nil {
			t.Fatalf("frame %d: %v", len(frames), err)
		}
		n := h.FrameSize()
		if n > len(b) {
			t.Fatalf("frame %d: %d bytes of %d", len(frames), len(b), n)
		}
		frames = append(frames, b[:n])
		b = b[n:]
	}
	return frames
}

// coverage counts what a stream exercises, from its side information.
type coverage struct {
	granules, short, midSide, reservoir int
}

func measureCoverage(t *testing.T, frames [][]byte) coverage {
	var c coverage
	for _, f := range frames {
		h, err := ParseHeader(f)
		if err != nil {
			t.Fatal(err)
		}
		var si sideInfo
		if err := readSideInfo(&h, f[h.sideInfoOffset():], &si); err != nil {
			t.Fatal(err)
		}
		if si.mainDataBegin > 0 {
			c.reservoir++
		}
		if h.Mode == ModeJointStereo && h.ModeExt&2 != 0 {
			c.midSide++
		}
		for gr := range h.granules() {
			for ch := range h.Channels {
				c.granules++
				if si.gr[gr][ch].blockType == 2 {
					c.short++
				}
			}
		}
	}
	return c
}

// TestAccuracy decodes each fixture and compares it with ffmpeg's decode:
// the same length, sample-aligned, and an SNR of at least 90 dB.
func TestAccuracy(t *testing.T) {
	for _, s := range streams {
		t.Run(s.name, func(t *testing.T) {
			frames := splitFrames(t, readFixture(t, s.name+".mp3"))
			want := reference(t, s.name)
			cov := measureCoverage(t, frames)
			if cov.short == 0 || cov.reservoir == 0 {
				t.Errorf("fixture exercises too little: %+v", cov)
			}
			if s.channels == 2 && cov.midSide != len(frames) {
				t.Errorf("%d of %d frames are mid/side", cov.midSide, len(frames))
			}
			d := NewDecoder()
			var got []float32
			for i, f := range frames {
				h, _ := ParseHeader(f)
				if h.Version != s.version || h.SampleRate != s.rate || h.Channels != s.channels {
					t.Fatalf("frame %d: %v %d Hz %d ch", i, h.Version, h.SampleRate, h.Channels)
				}
				var err error
				n := len(got)
				if got, err = d.DecodeFrame(f, got); err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				if len(got)-n != h.SamplesPerFrame()*h.Channels {
					t.Fatalf("frame %d: %d samples", i, len(got)-n)
				}
			}
			if len(got) != len(want) {
				t.Fatalf("%d samples, ffmpeg %d", len(got), len(want))
			}
			db := pcmtest.SNR(want, got)
			// One frame of delay either way must ruin the match: the
			// alignment is exact, not merely close.
			shifted := pcmtest.SNR(want[:len(want)-s.channels], got[s.channels:])
			t.Logf("SNR %.1f dB (%.1f dB one sample off); %d frames, coverage %+v", db, shifted, len(frames), cov)
			if db < 90 {
				t.Errorf("SNR %.1f dB against ffmpeg, want >= 90", db)
			}
			if shifted > 40 {
				t.Errorf("SNR one sample off is %.1f dB: the comparison cannot tell alignment", shifted)
			}
		})
	}
}

// TestReset decodes a stream from a frame in the middle, as after a seek:
// frames whose reservoir lies before it report ErrReservoir but keep the
// timeline, and once the filter state has settled the output is ffmpeg's.
func TestReset(t *testing.T) {
	s := streams[0]
	frames := splitFrames(t, readFixture(t, s.name+".mp3"))
	want := reference(t, s.name)
	d := NewDecoder()
	var junk []float32
	for _, f := range frames[:5] {
		junk, _ = d.DecodeFrame(f, junk)
	}
	d.Reset()
	const start = 10
	spf := 1152 * s.channels
	var got []float32
	var missing int
	for i, f := range frames[start:] {
		n := len(got)
		var err error
		got, err = d.DecodeFrame(f, got)
		switch {
		case errors.Is(err, ErrReservoir):
			missing++
		case err != nil:
			t.Fatalf("frame %d: %v", start+i, err)
		}
		if len(got)-n != spf {
			t.Fatalf("frame %d: %d samples", start+i, len(got)-n)
		}
	}
	h, _ := ParseHeader(frames[start])
	var si sideInfo
	if err := readSideInfo(&h, frames[start][h.sideInfoOffset():], &si); err != nil {
		t.Fatal(err)
	}
	if si.mainDataBegin > 0 && missing == 0 {
		t.Errorf("frame %d starts %d bytes back, yet no ErrReservoir", start, si.mainDataBegin)
	}
	if missing > 3 {
		t.Errorf("%d frames missed the reservoir, want at most 3", missing)
	}
	// Once the reservoir is whole, one more frame settles the IMDCT overlap
	// and the filterbank's 512-sample memory.
	settled := (missing + 1) * spf
	if db := pcmtest.SNR(want[start*spf+settled:], got[settled:]); db < 90 {
		t.Errorf("SNR after reset %.1f dB, want >= 90", db)
	}
}

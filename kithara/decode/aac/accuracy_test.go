package aac

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/hotpath-go/hotpath/kithara/internal/pcmtest"
)

// fixtureDir holds the AAC fixtures (testdata/fixtures/make.sh) and
// ffmpeg's float decode of each.
var fixtureDir = filepath.Join("..", "..", "..", "testdata", "fixtures", "aac")

// adtsFrames splits an ADTS stream into its frames' raw data blocks.
func adtsFrames(t testing.TB, b []byte) ([][]byte, Config) {
	t.Helper()
	var aus [][]byte
	var cfg Config
	for off := 0; off < len(b); {
		h, err := ParseADTSHeader(b[off:])
		if err != nil {
			t.Fatalf("ADTS header at byte %d: %v", off, err)
		}
		if off+h.FrameLen > len(b) {
			t.Fatalf("ADTS frame of %d bytes at byte %d with %d left", h.FrameLen, off, len(b)-off)
		}
		if h.RawBlocks != 1 {
			t.Fatalf("ADTS frame at byte %d has %d raw data blocks", off, h.RawBlocks)
		}
		if off == 0 {
			cfg = h.Config
		} else if h.Config != cfg {
			t.Fatalf("ADTS frame at byte %d: %+v, first frame %+v", off, h.Config, cfg)
		}
		aus = append(aus, b[off+h.HeaderLen:off+h.FrameLen])
		off += h.FrameLen
	}
	return aus, cfg
}

// decodeAll decodes every access unit with dec, keeping every sample.
func decodeAll(t testing.TB, dec *Decoder, aus [][]byte, out []float32) []float32 {
	t.Helper()
	for i, au := range aus {
		var err error
		if out, err = dec.Decode(au, out); err != nil {
			t.Fatalf("access unit %d: %v", i, err)
		}
	}
	return out
}

// TestAccuracy decodes each fixture and compares it with ffmpeg's float
// decode of the same file: the same number of samples, aligned sample for
// sample, with an SNR of at least 90 dB over the whole file and in every
// frame that is not near-silent. Neither side trims priming: ffmpeg keeps
// every decoded sample of an ADTS stream, and so does this package (priming
// is package decode's business). Each fixture must also have exercised the
// tools it was made for.
func TestAccuracy(t *testing.T) {
	for _, tc := range []struct {
		name     string
		rate, ch int
		uses     func(toolCounts) error
	}{
		{"lc44s", 44100, 2, func(u toolCounts) error {
			return need(u.seq[onlyLong] > 0 && u.ms > 0 && u.intensity > 0 && u.noise > 0, "long windows, M/S, intensity and PNS")
		}},
		{"lc8m", 8000, 1, func(u toolCounts) error { return need(u.seq[onlyLong] > 0, "long windows") }},
		{"short22s", 22050, 2, func(u toolCounts) error {
			return need(u.seq[eightShort] > 0 && u.seq[longStart] > 0 && u.seq[longStop] > 0 && u.tnsFilters > 0,
				"short, start and stop windows and TNS")
		}},
		{"tools24s", 24000, 2, func(u toolCounts) error {
			return need(u.ms > 0 && u.noise > 0 && u.sharedNoise > 0 && u.tnsFilters > 0 && u.kbd > 0, "M/S, PNS in a pair, TNS and KBD windows")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(fixtureDir, tc.name+".aac"))
			if err != nil {
				t.Fatal(err)
			}
			aus, cfg := adtsFrames(t, b)
			if cfg.SampleRate != tc.rate || cfg.Channels != tc.ch || cfg.ObjectType != ObjectTypeLC {
				t.Fatalf("config %+v, want AAC-LC at %d Hz, %d channels", cfg, tc.rate, tc.ch)
			}
			dec, err := NewDecoder(cfg)
			if err != nil {
				t.Fatal(err)
			}
			dec.st.independentNoise = true // as ffmpeg does
			got := decodeAll(t, dec, aus, nil)
			want := readF32(t, filepath.Join(fixtureDir, tc.name+".f32"))
			if len(got) != len(want) {
				t.Fatalf("decoded %d samples, ffmpeg %d", len(got), len(want))
			}
			total := pcmtest.SNR(want, got)
			t.Logf("%d frames, SNR %.1f dB, tools %+v", len(aus), total, dec.st.used)
			if total < 90 {
				t.Errorf("SNR %.1f dB over the file, want >= 90", total)
			}
			// Frame by frame, the error must stay 90 dB below the file's
			// level: no frame may hide a local fault in the average.
			fl := 1024 * tc.ch
			level := rms(want)
			for f := 0; f < len(aus); f++ {
				e := rmsDiff(want[f*fl:(f+1)*fl], got[f*fl:(f+1)*fl])
				if s := 20 * math.Log10(level/e); e > 0 && s < 90 {
					t.Errorf("frame %d: error %.1f dB below the file's level", f, s)
				}
			}
			if err := tc.uses(dec.st.used); err != nil {
				t.Error(err)
			}
		})
	}
}

func need(ok bool, what string) error {
	if ok {
		return nil
	}
	return fmt.Errorf("the fixture does not exercise %s", what)
}

func rms(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(len(x)))
}

func rmsDiff(a, b []float32) float64 {
	var s float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		s += d * d
	}
	return math.Sqrt(s / float64(len(a)))
}

func readF32(t testing.TB, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := pcmtest.F32LE(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return f
}

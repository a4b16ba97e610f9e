package aac

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// fixtureDir holds the AAC fixtures and ffmpeg's decode of each.
var fixtureDir = filepath.Join("..", "..", "..", "testdata", "fixtures", "aac")

// decodeADTSFile decodes every frame of an ADTS file with a fresh decoder,
// keeping every sample (no priming trimmed).
func decodeADTSFile(t testing.TB, b []byte) ([]float32, Config) {
	t.Helper()
	var out []float32
	var dec *Decoder
	var cfg Config
	for len(b) > 0 {
		h, err := ParseADTSHeader(b)
		if err != nil {
			t.Fatalf("ADTS header at byte offset: %v", err)
		}
		if h.FrameLen > len(b) {
			t.Fatalf("ADTS frame of %d bytes with %d left", h.FrameLen, len(b))
		}
		if dec == nil {
			cfg = h.Config
			if dec, err = NewDecoder(cfg); err != nil {
				t.Fatal(err)
			}
		}
		if out, err = dec.Decode(b[h.HeaderLen:h.FrameLen], out); err != nil {
			t.Fatalf("frame %d: %v", len(out)/1024/cfg.Channels, err)
		}
		b = b[h.FrameLen:]
	}
	return out, cfg
}

func readF32(t testing.TB, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f := make([]float32, len(b)/4)
	for i := range f {
		f[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return f
}

// snr returns the signal-to-noise ratio of got against want in dB.
func snr(want, got []float32) float64 {
	var sig, noise float64
	for i := range want {
		d := float64(want[i]) - float64(got[i])
		sig += float64(want[i]) * float64(want[i])
		noise += d * d
	}
	if noise == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(sig/noise)
}

func TestAccuracyScratch(t *testing.T) {
	b, err := os.ReadFile("/tmp/aacx/" + os.Getenv("F") + ".aac")
	if err != nil {
		t.Skip(err)
	}
	got, cfg := decodeADTSFile(t, b)
	want := readF32(t, "/tmp/aacx/"+os.Getenv("F")+".f32")
	t.Logf("%+v got %d want %d", cfg, len(got), len(want))
	n := min(len(got), len(want))
	t.Logf("snr %.2f dB", snr(want[:n], got[:n]))
	for _, i := range []int{2048, 4096, 10000, 50000} {
		if i < n {
			t.Logf("%d: want %v got %v", i, want[i:i+4], got[i:i+4])
		}
	}
	// per-frame snr
	fl := 1024 * cfg.Channels
	for f := 0; f*fl < n && f < 200; f++ {
		s := snr(want[f*fl:min(n, (f+1)*fl)], got[f*fl:min(n, (f+1)*fl)])
		if s < 90 {
			t.Logf("frame %d snr %.1f", f, s)
		}
	}
}

package player

import (
	"encoding/binary"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"time"
)

// readAllOdd reads p to the end in reads of an odd size, so that samples
// are split across reads.
func readAllOdd(t *testing.T, p *Player) []byte {
	t.Helper()
	var out []byte
	buf := make([]byte, 1001)
	for {
		n, err := p.Read(buf)
		out = append(out, buf[:n]...)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestReadPCMBytes(t *testing.T) {
	srv := newServer(t)
	want := decodeAll(t, fixture(t, "tone.wav"))
	for _, enc := range []PCMEncoding{PCMFloat32, PCMInt16} {
		t.Run(enc.String(), func(t *testing.T) {
			p := openPlayer(t, srv.url("tone.wav"), Options{PCM: enc})
			got := readAllOdd(t, p)
			if len(got) != len(want)*enc.Size() {
				t.Fatalf("read %d bytes, want %d samples of %d bytes", len(got), len(want), enc.Size())
			}
			for i, w := range want {
				var ok bool
				switch enc {
				case PCMFloat32:
					ok = math.Float32frombits(binary.LittleEndian.Uint32(got[4*i:])) == w
				case PCMInt16:
					ok = int16(binary.LittleEndian.Uint16(got[2*i:])) == toInt16(w)
				}
				if !ok {
					t.Fatalf("sample %d differs from the decoder's %v", i, w)
				}
			}
			if n, err := p.Read(make([]byte, 8)); n != 0 || err != io.EOF {
				t.Errorf("Read after the end = %d, %v; want 0, io.EOF", n, err)
			}
		})
	}
}

func TestToInt16(t *testing.T) {
	for _, tc := range []struct {
		in   float32
		want int16
	}{{0, 0}, {1, 32767}, {-1, -32767}, {2, 32767}, {-2, -32768}, {0.5, 16384}, {float32(math.NaN()), 0}} {
		if got := toInt16(tc.in); got != tc.want {
			t.Errorf("toInt16(%v) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestOpenRejectsUnknownPCM(t *testing.T) {
	srv := newServer(t)
	_, err := Open(t.Context(), srv.url("tone.wav"), Options{CacheDir: t.TempDir(), PCM: 7})
	if err == nil || !strings.Contains(err.Error(), "unknown PCM encoding 7") {
		t.Fatalf("err = %v", err)
	}
}

func TestFileDuration(t *testing.T) {
	srv := newServer(t)
	for _, name := range []string{"tone.wav", "tone.flac", "tone_mono24.flac"} {
		p := openPlayer(t, srv.url(name), Options{})
		want := 3 * time.Second
		if strings.Contains(name, "mono24") {
			want = time.Second
		}
		if d, ok := p.Duration(); !ok || d != want {
			t.Errorf("%s: Duration = %v, %v; want %v, true", name, d, ok, want)
		}
	}
}

package main

import (
	"bytes"
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/hotpath-go/hotpath/kithara/decode"
	"github.com/hotpath-go/hotpath/testdata/fixtures"
)

// mustFixture reads a fixture file.
func mustFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(fixtures.FS, name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFixtureForms plays every form of the AAC HLS fixture (and the MPEG-2
// Layer III variant, and the two-codec master) from the demo's own
// loopback server with --url, the whole length: the audio line counts
// every frame the decoder gives (238 access units less the default
// priming for TS and packed ADTS; all of them for fMP4, whose edit list
// says 0).
func TestFixtureForms(t *testing.T) {
	clearHotpathEnv(t)
	srv := serveFixtures()
	defer srv.Close()
	const all = 238 * 1024
	for _, tc := range []struct {
		form   string
		frames int
	}{
		{"ts", all - 2112}, {"ts-aes", all - 2112},
		{"fmp4", all}, {"fmp4-aes", all}, {"byterange", all},
		{"adts", all - 2112}, {"adts-aes", all - 2112},
	} {
		t.Run(tc.form, func(t *testing.T) {
			url := srv.URL + "/hls-aac/" + tc.form + "/playlist.m3u8"
			code, stdout, _ := runDemo(t, "--url", url, "--seek", "off", "--speed", "1", "--format", "json", "--output", t.TempDir()+"/r.json")
			if code != exitOK {
				t.Fatalf("exit %d, want 0", code)
			}
			lines := summaryLines(t, stdout)
			if got := leadingInt(t, lines["audio"]); got != tc.frames {
				t.Errorf("played %d frames, want %d", got, tc.frames)
			}
			if !strings.Contains(lines["output"], "44100 Hz") {
				t.Errorf("output line %q, want 44100 Hz", lines["output"])
			}
		})
	}
	// The MPEG-2 Layer III variant (22.05 kHz mono, resampled to the
	// player's 2 channels at its own rate) and the two-codec master, when
	// this build decodes MPEG-2 Layer III.
	if _, err := decode.NewMP3Decoder(bytes.NewReader(mustFixture(t, "hls-aac/mp3-22k/seg0.mp3"))); errors.Is(err, decode.ErrUnsupported) {
		t.Logf("MPEG-2 Layer III forms left out: %v", err)
	} else {
		for _, p := range []string{"hls-aac/mp3-22k/playlist.m3u8", "hls-aac/mix.m3u8"} {
			code, stdout, _ := runDemo(t, "--url", srv.URL+"/"+p, "--seek", "off", "--speed", "1", "--format", "json", "--output", t.TempDir()+"/r.json")
			if code != exitOK {
				t.Fatalf("%s: exit %d, want 0", p, code)
			}
			// 5.5 s at 22.05 or 44.1 kHz, less or more a frame's worth
			// of encoder delay and padding.
			lines := summaryLines(t, stdout)
			if got := leadingInt(t, lines["audio"]); got < 22050*5 || got > 44100*6 {
				t.Errorf("%s: played %d frames, want 5.5 s", p, got)
			}
		}
	}
	// With the default half-way seek and speed change.
	code, stdout, _ := runDemo(t, "--url", srv.URL+"/hls-aac/fmp4-aes/playlist.m3u8", "--format", "json", "--output", t.TempDir()+"/r.json")
	if code != exitOK {
		t.Fatalf("seek and speed: exit %d, want 0", code)
	}
	if lines := summaryLines(t, stdout); !strings.HasPrefix(lines["seeks"], "1: ") {
		t.Errorf("seeks line %q, want one seek", lines["seeks"])
	}
}

package main

import (
	"strings"
	"testing"
)

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
	// With the default half-way seek and speed change.
	code, stdout, _ := runDemo(t, "--url", srv.URL+"/hls-aac/fmp4-aes/playlist.m3u8", "--format", "json", "--output", t.TempDir()+"/r.json")
	if code != exitOK {
		t.Fatalf("seek and speed: exit %d, want 0", code)
	}
	if lines := summaryLines(t, stdout); !strings.HasPrefix(lines["seeks"], "1: ") {
		t.Errorf("seeks line %q, want one seek", lines["seeks"])
	}
}

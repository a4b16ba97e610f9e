package player

import (
	"slices"
	"testing"

	"github.com/hotpath-go/hotpath/kithara/decode"
)

// TestMPEG2AndMPEG25Play opens MP3 files of the lower MPEG versions from a
// loopback server, which the player once refused ("go-mp3 decodes it
// wrongly"): they play whole, at their own rate, gaplessly trimmed where a
// LAME tag says so.
func TestMPEG2AndMPEG25Play(t *testing.T) {
	srv := newServer(t)
	for _, tc := range []struct {
		name   string
		format decode.Format
		frames int
	}{
		{"mpa/mpeg2_16000_lame.mp3", decode.Format{SampleRate: 16000, Channels: 1}, 8000}, // 0.5 s after trimming
		{"mpa/mpeg25_8000_js.mp3", decode.Format{SampleRate: 8000, Channels: 2}, 16 * 576},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := openPlayer(t, srv.url(tc.name), Options{})
			if f := p.Format(); f != tc.format {
				t.Fatalf("Format = %v, want %v", f, tc.format)
			}
			got := samples(drain(t, p))
			if len(got) != tc.frames*tc.format.Channels {
				t.Fatalf("played %d samples, want %d", len(got), tc.frames*tc.format.Channels)
			}
			if want := decodeAll(t, fixture(t, tc.name)); !slices.Equal(got, want) {
				t.Fatalf("played samples differ from the decoder's for the file")
			}
		})
	}
}

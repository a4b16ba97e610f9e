package player

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/hotpath-go/hotpath/kithara/decode"
)

// aacForms are the container forms of the AAC fixture (testdata/fixtures/hls-aac):
// one encode of 5.5 s, left 440 Hz and right 660 Hz, cut into three
// segments in each.
var aacForms = []string{"ts", "fmp4", "adts", "byterange", "ts-aes", "fmp4-aes", "adts-aes"}

// clickScore measures how far channel ch of interleaved samples strays from
// a pure sine of freq Hz, around every sample: the residual of the sine's
// recurrence x[n+1] = 2cos(w)x[n] - x[n-1], which is 0 for a clean tone
// whatever its phase and level. It returns the largest residual within
// ±window frames of each of the given frame positions, and the largest one
// anywhere else (the codec's own noise).
func clickScore(s []float32, channels, ch int, rate, freq float64, at []int, window int) (near, elsewhere float64) {
	k := 2 * math.Cos(2*math.Pi*freq/rate)
	n := len(s) / channels
	isNear := make([]bool, n)
	for _, a := range at {
		for i := max(a-window, 0); i < min(a+window, n); i++ {
			isNear[i] = true
		}
	}
	for i := 1; i+1 < n; i++ {
		r := math.Abs(float64(s[(i+1)*channels+ch]) - k*float64(s[i*channels+ch]) + float64(s[(i-1)*channels+ch]))
		if isNear[i] {
			near = max(near, r)
		} else {
			elsewhere = max(elsewhere, r)
		}
	}
	return near, elsewhere
}

func TestAACContainersPlayWithoutClicksOrGaps(t *testing.T) {
	srv := newServer(t)
	pl := playlist(t, "hls-aac/ts/playlist.m3u8")
	for _, form := range aacForms {
		t.Run(form, func(t *testing.T) {
			p := openPlayer(t, srv.url("hls-aac/"+form+"/playlist.m3u8"), Options{})
			if f := p.Format(); f != (decode.Format{SampleRate: 44100, Channels: 2}) {
				t.Fatalf("format %+v, want 44.1 kHz stereo", f)
			}
			chunks := drain(t, p)
			s := samples(chunks)
			frames := len(s) / 2
			// The segments hold 238 access units of 1024 samples, the
			// playlist's duration. The decoder drops the priming: 2112
			// samples, its default, for TS and ADTS; the edit list's for
			// fMP4 (0 in ffmpeg's).
			if d := int(pl.Duration().Seconds()*44100 + 0.5); d < 238*1024-1 || d > 238*1024+8 {
				t.Fatalf("playlist of %d frames, want 238 x 1024", d)
			}
			want := 238*1024 - decode.DefaultAACPriming
			if strings.HasPrefix(form, "fmp4") || form == "byterange" {
				want = 238 * 1024
			}
			if frames != want {
				t.Fatalf("%d frames, want %d", frames, want)
			}
			// The segments hold 238 access units of 1024 samples; what is
			// missing was trimmed at the start.
			trimmed := 238*1024 - frames
			var bounds []int
			for i := 1; i < len(pl.Segments); i++ {
				bounds = append(bounds, int(pl.StartOf(i).Seconds()*44100+0.5)-trimmed-skip)
			}
			// Skip the fade-in at the start and the end, where the encoder's
			// padding cuts the tone off.
			body := s[2*skip : len(s)-2*skip]
			for ch, freq := range []float64{440, 660} {
				near, elsewhere := clickScore(body, 2, ch, 44100, freq, bounds, 1024)
				t.Logf("channel %d: residual %.4f at boundaries, %.4f elsewhere", ch, near, elsewhere)
				// A sample lost from a 440 Hz tone leaves a residual of up to
				// 0.03 (0.0055 in TestClickScoreSeesAGap); the codec's own
				// noise leaves 0.0003.
				if near > 0.002 || elsewhere > 0.002 {
					t.Errorf("channel %d: residual %.4f at segment boundaries, %.4f elsewhere, want both under 0.002", ch, near, elsewhere)
				}
			}
			// No gap: chunk times follow each other.
			var next time.Duration
			for i, c := range chunks {
				if i > 0 && (c.Time-next > time.Millisecond || next-c.Time > time.Millisecond) {
					t.Fatalf("chunk %d at %v, the previous one ended at %v", i, c.Time, next)
				}
				next = c.Time + c.Duration()
			}
		})
	}
}

// skip is how many frames at each end of the tone the click test leaves
// out.
const skip = 4096

// TestClickScoreSeesAGap checks the click measure itself: one sample lost
// from a clean tone shows at the loss, far over the threshold above.
func TestClickScoreSeesAGap(t *testing.T) {
	var s []float32
	for i := range 20000 {
		if i == 10000 {
			continue
		}
		v := float32(0.5 * math.Sin(2*math.Pi*440*float64(i)/44100))
		s = append(s, v, v)
	}
	near, elsewhere := clickScore(s, 2, 0, 44100, 440, []int{10000}, 4)
	if near < 0.002 || elsewhere > 1e-5 {
		t.Fatalf("residual %.4f at the lost sample, %.6f elsewhere; want over 0.002 and about 0", near, elsewhere)
	}
}

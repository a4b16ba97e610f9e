package player

import (
	"bytes"
	"context"
	"errors"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotpath-go/hotpath/kithara/decode"
	"github.com/hotpath-go/hotpath/kithara/hls"
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

// TestCodecSwitchHasNoGap plays the two-codec master (AAC 44.1 kHz stereo
// in TS, MP3 22.05 kHz mono, both 440 Hz on the left) and forces the switch
// to MP3 at segment 2: the AAC decoder plays to the boundary, an MP3
// decoder takes over, the resampler doubles its rate and mono goes to both
// channels; chunk times run on without a gap.
func TestCodecSwitchHasNoGap(t *testing.T) {
	if _, err := decode.NewMP3Decoder(bytes.NewReader(fixture(t, "hls-aac/mp3-22k/seg0.mp3"))); errors.Is(err, decode.ErrUnsupported) {
		t.Skipf("this build cannot decode MPEG-2 Layer III: %v", err)
	}
	srv := newServer(t)
	testCodecSwitch(t, srv, "hls-aac/mix.m3u8", "hls-aac/mp3-22k/playlist.m3u8", 440)
}

// TestCodecSwitchToMPEG1 is the same switch to an MPEG-1 Layer III variant
// at 44.1 kHz (the MP3 fixture's v0, 440 Hz on both channels, its first
// three segments), so no resampling: the AAC decoder's last sample and the
// MP3 decoder's first meet without a gap.
func TestCodecSwitchToMPEG1(t *testing.T) {
	srv := newServer(t)
	srv.bodies["mix1/master.m3u8"] = []byte("#EXTM3U\n#EXT-X-VERSION:3\n" +
		"#EXT-X-STREAM-INF:BANDWIDTH=80000,CODECS=\"mp4a.40.2\"\n../hls-aac/ts/playlist.m3u8\n" +
		"#EXT-X-STREAM-INF:BANDWIDTH=70000,CODECS=\"mp4a.40.34\"\nmp3/playlist.m3u8\n")
	var pl strings.Builder
	for i, line := range strings.Split(string(fixture(t, "hls/v0/playlist.m3u8")), "\n") {
		if i > 10 { // the header and three segments
			break
		}
		if strings.HasPrefix(line, "seg") {
			line = "../../hls/v0/" + line
		}
		pl.WriteString(line + "\n")
	}
	pl.WriteString("#EXT-X-ENDLIST\n")
	srv.bodies["mix1/mp3/playlist.m3u8"] = []byte(pl.String())
	testCodecSwitch(t, srv, "mix1/master.m3u8", "mix1/mp3/playlist.m3u8", 440)
}

// testCodecSwitch plays master from variant 0 (the AAC TS fixture) and
// forces variant 1 (an MP3 variant whose media playlist is mp3, its right
// channel at rightAfter Hz) from segment 2 on.
func testCodecSwitch(t *testing.T, srv *server, master, mp3 string, rightAfter float64) {
	t.Helper()
	open := srv.gate("hls-aac/ts/seg1.ts")
	defer open()
	ev := newEvents()
	p := openPlayer(t, srv.url(master), Options{ABR: manual(0), OnEvent: ev.record})
	if f := p.Format(); f != (decode.Format{SampleRate: 44100, Channels: 2}) {
		t.Fatalf("format %+v", f)
	}
	ev.waitFor(t, "segment 1 started", func(e hls.Event) bool {
		s, ok := e.(hls.SegmentStart)
		return ok && s.Segment == 1
	})
	if err := p.HLS().ForceVariant(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	open()
	chunks := drain(t, p)

	aac := playlist(t, "hls-aac/ts/playlist.m3u8")
	mpl := playlistAt(t, srv, mp3)
	n0 := int(aac.StartOf(2).Seconds()*44100+0.5) - decode.DefaultAACPriming
	n1 := int((mpl.Duration()-mpl.StartOf(2)).Seconds()*44100 + 0.5)
	frames := 0
	var prevEnd time.Duration
	for i, c := range chunks {
		if c.Format != p.Format() {
			t.Fatalf("chunk %d has format %v", i, c.Format)
		}
		if i > 0 && (c.Time-prevEnd).Abs() > 50*time.Microsecond {
			t.Fatalf("chunk %d starts at %v, %v after the previous one ended", i, c.Time, c.Time-prevEnd)
		}
		prevEnd = c.Time + c.Duration()
		frames += c.Frames()
	}
	// The MP3 segment plays from its first frame: a mid-stream cut has no
	// encoder delay to drop.
	if frames < n0+n1-4 || frames > n0+n1+4 {
		t.Errorf("played %d frames, want %d (AAC to the switch) + %d (MP3)", frames, n0, n1)
	}
	s := samples(chunks)
	if f := frequency(s[(n0-22050)*2:n0*2], 2, 0, 44100); math.Abs(f-440) > 2 {
		t.Errorf("left before the switch at %.1f Hz, want 440", f)
	}
	if f := frequency(s[(n0-22050)*2:n0*2], 2, 1, 44100); math.Abs(f-660) > 2 {
		t.Errorf("right before the switch at %.1f Hz, want 660 (AAC)", f)
	}
	if f := frequency(s[(n0+4410)*2:(n0+44100)*2], 2, 1, 44100); math.Abs(f-rightAfter) > 2 {
		t.Errorf("right after the switch at %.1f Hz, want %v (MP3)", f, rightAfter)
	}
	if f := frequency(s[(n0+4410)*2:(n0+44100)*2], 2, 0, 44100); math.Abs(f-440) > 2 {
		t.Errorf("left after the switch at %.1f Hz, want 440", f)
	}
	reached := ev.waitFor(t, "reader reaching the MP3 variant", func(e hls.Event) bool {
		r, ok := e.(hls.VariantReached)
		return ok && r.Variant == 1
	}).(hls.VariantReached)
	if reached.Segment != 2 {
		t.Errorf("reached MP3 at segment %d, want 2", reached.Segment)
	}
}

// playlistAt parses a media playlist as the server serves it.
func playlistAt(t *testing.T, srv *server, p string) *hls.MediaPlaylist {
	t.Helper()
	body := srv.bodies[p]
	if body == nil {
		body = fixture(t, p)
	}
	pl, err := hls.ParseMedia(p, nil, body)
	if err != nil {
		t.Fatal(err)
	}
	return pl
}

// TestHeadersReachEveryRequest plays an encrypted AAC presentation from a
// server that refuses any request without the caller's header: the
// playlist, the key and every segment must carry Options.Header, and so
// must the requests that tell an extensionless URL's kind.
func TestHeadersReachEveryRequest(t *testing.T) {
	srv := newServer(t)
	var mu sync.Mutex
	var refused []string
	inner := srv.Config.Handler
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer t0ken" {
			mu.Lock()
			refused = append(refused, r.Method+" "+r.URL.Path)
			mu.Unlock()
			http.Error(w, "no token", http.StatusForbidden)
			return
		}
		inner.ServeHTTP(w, r)
	})
	srv.alias["media"] = "hls-aac/ts-aes/playlist.m3u8"
	srv.types["media"] = "application/vnd.apple.mpegurl"
	srv.alias["key.bin"] = "hls-aac/key.bin"
	srv.alias["seg0.ts"] = "hls-aac/ts-aes/seg0.ts"
	srv.alias["seg1.ts"] = "hls-aac/ts-aes/seg1.ts"
	srv.alias["seg2.ts"] = "hls-aac/ts-aes/seg2.ts"
	srv.bodies["media"] = []byte(strings.ReplaceAll(string(fixture(t, "hls-aac/ts-aes/playlist.m3u8")), "../key.bin", "key.bin"))
	p := openPlayer(t, srv.url("media"), Options{Header: http.Header{"Authorization": {"Bearer t0ken"}}})
	if p.Kind() != KindHLS {
		t.Fatalf("kind %v, want hls", p.Kind())
	}
	if frames := len(samples(drain(t, p))) / 2; frames != 238*1024-decode.DefaultAACPriming {
		t.Errorf("played %d frames", frames)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(refused) > 0 {
		t.Errorf("requests without the header: %v", refused)
	}
	for _, path := range []string{"media", "key.bin", "seg0.ts", "seg1.ts", "seg2.ts"} {
		if srv.count(path) == 0 {
			t.Errorf("%s never asked for", path)
		}
	}
}

// TestAACSeekLandsOnTheTimeline seeks into the second segment of each AAC
// form: the decoder opened there drops the priming as at the start, so the
// audio after the seek is, sample for sample, what continuous play has at
// the same times (up to the noise of PNS bands).
func TestAACSeekLandsOnTheTimeline(t *testing.T) {
	srv := newServer(t)
	for _, form := range []string{"ts", "fmp4", "adts"} {
		t.Run(form, func(t *testing.T) {
			whole := samples(drain(t, openPlayer(t, srv.url("hls-aac/"+form+"/playlist.m3u8"), Options{})))
			p := openPlayer(t, srv.url("hls-aac/"+form+"/playlist.m3u8"), Options{})
			if err := p.Seek(3 * time.Second); err != nil {
				t.Fatal(err)
			}
			chunks := drain(t, p)
			if (chunks[0].Time - 3*time.Second).Abs() > 20*time.Microsecond {
				t.Errorf("first chunk at %v, want 3s", chunks[0].Time)
			}
			got := samples(chunks)
			want := whole[3*44100*2:]
			if len(got) != len(want) {
				t.Fatalf("%d frames after the seek, want %d", len(got)/2, len(want)/2)
			}
			// Equal to float rounding, but for the last two access units,
			// which differ by up to 0.0035 (the decoder's end, not the
			// seek: both decoders read the same last frames); a sample off
			// would differ by up to 0.03 at 440 Hz.
			worst := 0.0
			for i := range got[:len(got)-2*2048] {
				worst = max(worst, math.Abs(float64(got[i]-want[i])))
			}
			if worst > 1e-4 {
				t.Errorf("the audio after the seek differs from continuous play's by up to %.5f", worst)
			}
		})
	}
}

// TestFMP4EditListPriming serves the fMP4 form with an init section whose
// edit list declares 1024 samples of priming (ffmpeg's encoder delay;
// ffmpeg itself writes 0 there): the player drops exactly those, and the
// tone then starts where continuous play of the TS form, which drops the
// default 2112, has it 1088 samples later.
func TestFMP4EditListPriming(t *testing.T) {
	srv := newServer(t)
	init := bytes.Clone(fixture(t, "hls-aac/fmp4/init.mp4"))
	i := bytes.Index(init, []byte("elst"))
	if i < 0 || init[i+4] != 0 {
		t.Fatal("no version 0 elst box in the fixture's init section")
	}
	init[i+16], init[i+17], init[i+18], init[i+19] = 0, 0, 4, 0 // media time 1024
	srv.bodies["hls-aac/fmp4/init.mp4"] = init
	got := samples(drain(t, openPlayer(t, srv.url("hls-aac/fmp4/playlist.m3u8"), Options{})))
	if frames := len(got) / 2; frames != 238*1024-1024 {
		t.Fatalf("%d frames, want %d (the edit list's 1024 dropped)", frames, 238*1024-1024)
	}
	ts := samples(drain(t, openPlayer(t, srv.url("hls-aac/ts/playlist.m3u8"), Options{})))
	const d = (decode.DefaultAACPriming - 1024) * 2
	for i := range ts {
		if math.Abs(float64(ts[i]-got[i+d])) > 1e-4 {
			t.Fatalf("sample %d of the TS form differs from the fMP4 form's %d", i, i+d)
		}
	}
}

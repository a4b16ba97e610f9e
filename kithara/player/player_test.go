package player

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/hotpath-go/hotpath/kithara/decode"
	"github.com/hotpath-go/hotpath/kithara/hls"
	"github.com/hotpath-go/hotpath/kithara/hls/abr"
)

func manual(v int) abr.Options { return abr.Options{Mode: abr.Manual, Initial: v} }

// playlist parses a fixture media playlist.
func playlist(t *testing.T, name string) *hls.MediaPlaylist {
	t.Helper()
	pl, err := hls.ParseMedia(name, nil, fixture(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return pl
}

func TestProgressiveFiles(t *testing.T) {
	srv := newServer(t)
	// MP3 is covered by the HLS tests; decoding it twice here would only
	// slow the race detector down.
	for _, name := range []string{"tone.wav", "tone.flac"} {
		t.Run(name, func(t *testing.T) {
			p := openPlayer(t, srv.url(name), Options{})
			if p.Kind() != KindFile {
				t.Fatalf("Kind = %v, want file", p.Kind())
			}
			got := samples(drain(t, p))
			if want := decodeAll(t, fixture(t, name)); !slices.Equal(got, want) {
				t.Fatalf("played %d samples, want the %d the decoder gives for the file", len(got), len(want))
			}
		})
	}
}

func TestHLSPlaysTheDecodedSegments(t *testing.T) {
	srv := newServer(t)
	srv.trim(t, "hls", 2)
	p := openPlayer(t, srv.url("hls/master.m3u8"), Options{ABR: manual(0), SampleRate: 44100})
	if p.Kind() != KindHLS {
		t.Fatalf("Kind = %v, want hls", p.Kind())
	}
	if f := p.Format(); f != (decode.Format{SampleRate: 44100, Channels: 2}) {
		t.Errorf("Format = %v", f)
	}
	chunks := drain(t, p)
	want := decodeAll(t, segments(t, "hls", 0, 0, 1))
	if got := samples(chunks); !slices.Equal(got, want) {
		t.Fatalf("played %d samples, want the %d of the segments decoded", len(got), len(want))
	}
	pl := playlist(t, "hls/v0/playlist.m3u8")
	if d, ok := p.Duration(); !ok || d != pl.StartOf(2) {
		t.Errorf("Duration = %v, %v; want the two segments' %v", d, ok, pl.StartOf(2))
	}
}

func TestVariantSwitchToAnotherRateHasNoGap(t *testing.T) {
	srv := newServer(t)
	srv.trim(t, "hls", 4)
	// Hold v2's segment 2 so that the forced switch lands at the boundary
	// after it. Segments 0 and 1 are more than the 64 KiB the decoder's
	// reader asks for to start.
	open := srv.gate("hls/v2/seg002.mp3")
	defer open()
	ev := newEvents()
	p := openPlayer(t, srv.url("hls/master.m3u8"), Options{ABR: manual(2), SampleRate: 44100, OnEvent: ev.record})
	ev.waitFor(t, "segment 2 started", func(e hls.Event) bool {
		s, ok := e.(hls.SegmentStart)
		return ok && s.Segment == 2
	})
	if err := p.HLS().ForceVariant(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	open()
	chunks := drain(t, p)

	v2, v1 := playlist(t, "hls/v2/playlist.m3u8"), playlist(t, "hls/v1/playlist.m3u8")
	switchAt := v2.StartOf(3)
	n0 := int(switchAt.Seconds() * 44100)
	n1 := int(math.Ceil((v1.StartOf(4) - v1.StartOf(3)).Seconds() * 44100))
	frames := 0
	var prevEnd time.Duration
	for i, c := range chunks {
		if c.Format != p.Format() {
			t.Fatalf("chunk %d has format %v, want %v", i, c.Format, p.Format())
		}
		if i > 0 && (c.Time-prevEnd).Abs() > time.Millisecond {
			t.Errorf("chunk %d starts at %v, %v after the previous one ended", i, c.Time, c.Time-prevEnd)
		}
		prevEnd = c.Time + c.Duration()
		frames += c.Frames()
	}
	if frames < n0+n1-2 || frames > n0+n1+2 {
		t.Errorf("played %d frames, want %d (v2 up to the switch) + %d (v1 resampled)", frames, n0, n1)
	}
	all := samples(chunks)
	before := all[(n0-44100)*2 : n0*2]
	after := all[(n0+2205)*2 : (n0+44100)*2]
	if f := frequency(before, 2, 0, 44100); math.Abs(f-660) > 2 {
		t.Errorf("tone before the switch %.1f Hz, want 660 (v2)", f)
	}
	if f := frequency(after, 2, 0, 44100); math.Abs(f-550) > 2 {
		t.Errorf("tone after the switch %.1f Hz, want 550 (v1 resampled from 48 kHz)", f)
	}
	reached := ev.waitFor(t, "reader reaching v1", func(e hls.Event) bool {
		r, ok := e.(hls.VariantReached)
		return ok && r.Variant == 1
	}).(hls.VariantReached)
	if reached.Segment != 3 {
		t.Errorf("reached v1 at segment %d, want 3", reached.Segment)
	}
}

func TestHLSSeekFetchesFromTheTargetSegment(t *testing.T) {
	srv := newServer(t)
	open := srv.gate("hls/v2/seg002.mp3")
	defer open()
	ev := newEvents()
	p := openPlayer(t, srv.url("hls/master.m3u8"), Options{ABR: manual(2), SampleRate: 44100, OnEvent: ev.record})
	ev.waitFor(t, "segment 2 started", func(e hls.Event) bool {
		s, ok := e.(hls.SegmentStart)
		return ok && s.Segment == 2
	})
	pl := playlist(t, "hls/v2/playlist.m3u8")
	target := pl.StartOf(4) + 500*time.Millisecond
	if err := p.Seek(target); err != nil {
		t.Fatal(err)
	}
	chunks := drain(t, p)
	if len(chunks) == 0 {
		t.Fatal("nothing played after the seek")
	}
	if d := (chunks[0].Time - target).Abs(); d > time.Millisecond {
		t.Errorf("first chunk at %v, want %v", chunks[0].Time, target)
	}
	frames := 0
	for _, c := range chunks {
		frames += c.Frames()
	}
	if want := int((pl.Duration() - target).Seconds() * 44100); frames < want-2 || frames > want+2 {
		t.Errorf("played %d frames after the seek, want %d", frames, want)
	}
	// The last frames of the stream are the encoder's fade-out: leave them
	// out of the frequency estimate.
	all := samples(chunks)
	if f := frequency(all[:len(all)-2*8820], 2, 0, 44100); math.Abs(f-660) > 2 {
		t.Errorf("tone %.1f Hz, want 660", f)
	}
	// Segment 2 was being fetched when the seek came: its request may or
	// may not have reached the server before the seek cancelled it.
	if got := srv.count("hls/v2/seg002.mp3"); got > 1 {
		t.Errorf("seg002 requested %d times, want at most once", got)
	}
	for k, want := range map[string]int{"seg003": 0, "seg004": 1, "seg005": 1} {
		if got := srv.count("hls/v2/" + k + ".mp3"); got != want {
			t.Errorf("%s requested %d times, want %d", k, got, want)
		}
	}
}

func TestFileSeekAndSpeed(t *testing.T) {
	srv := newServer(t)
	p := openPlayer(t, srv.url("tone.wav"), Options{})
	if err := p.Seek(1500 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	chunks := drain(t, p)
	if chunks[0].Time != 1500*time.Millisecond {
		t.Errorf("first chunk after the seek at %v, want 1.5s", chunks[0].Time)
	}
	if got := len(samples(chunks)) / 2; got != 132300-66150 {
		t.Errorf("%d frames after the seek, want %d", got, 132300-66150)
	}

	// At double speed the rest of the file plays in half the frames.
	if err := p.Seek(0); err != nil {
		t.Fatal(err)
	}
	if err := p.SetSpeed(2); err != nil {
		t.Fatal(err)
	}
	frames := len(samples(drain(t, p))) / 2
	if frames < 132300/2-2048 || frames > 132300/2+2048 {
		t.Errorf("%d frames at speed 2, want about %d", frames, 132300/2)
	}
}

func TestReadSamples(t *testing.T) {
	srv := newServer(t)
	p := openPlayer(t, srv.url("tone.wav"), Options{})
	want := decodeAll(t, fixture(t, "tone.wav"))
	var got []float32
	buf := make([]float32, 1000)
	for {
		n, err := p.ReadSamples(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Read gave %d samples, want %d", len(got), len(want))
	}
	p.Close()
	if _, err := p.ReadSamples(buf); err != ErrClosed {
		t.Errorf("Read after Close: %v, want ErrClosed", err)
	}
}

func TestDetect(t *testing.T) {
	srv := newServer(t)
	srv.alias["by-type"] = "hls/v0/playlist.m3u8"
	srv.types["by-type"] = "application/vnd.apple.mpegurl"
	srv.alias["audio"] = "tone.mp3"
	srv.types["audio"] = "audio/mpeg"
	srv.alias["sniffed"] = "hls/master.m3u8"
	srv.types["sniffed"] = "text/plain"
	srv.alias["opaque"] = "tone.wav"
	srv.types["opaque"] = "application/octet-stream"
	for path, want := range map[string]Kind{
		"hls/master.m3u8": KindHLS,
		"tone.flac":       KindFile,
		"by-type":         KindHLS,
		"audio":           KindFile,
		"sniffed":         KindHLS,
		"opaque":          KindFile,
	} {
		u := mustParse(t, srv.url(path))
		got, err := detect(context.Background(), testNet(), u, nil)
		if err != nil || got != want {
			t.Errorf("detect(%s) = %v, %v; want %v", path, got, err, want)
		}
	}
}

func TestOpenContextBoundsOnlyOpening(t *testing.T) {
	srv := newServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	p, err := Open(ctx, srv.url("tone.wav"), Options{CacheDir: t.TempDir(), Net: testNet()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	cancel()
	if got, want := samples(drain(t, p)), decodeAll(t, fixture(t, "tone.wav")); !slices.Equal(got, want) {
		t.Fatalf("played %d samples after the Open context ended, want %d", len(got), len(want))
	}

	done, stop := context.WithCancel(context.Background())
	stop()
	if _, err := Open(done, srv.url("hls/master.m3u8"), Options{CacheDir: t.TempDir(), Net: testNet()}); !errors.Is(err, context.Canceled) {
		t.Errorf("Open with a done context: %v, want context.Canceled", err)
	}
}

package hls

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/hotpath-go/hotpath/testdata/fixtures"
)

// fixture reads a file of testdata/fixtures.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(fixtures.FS, name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// adtsFrames splits an ADTS stream into frames and fails on anything else.
func adtsFrames(t testing.TB, es []byte) [][]byte {
	t.Helper()
	var frames [][]byte
	for len(es) > 0 {
		if len(es) < 7 || es[0] != 0xff || es[1]&0xf6 != 0xf0 {
			t.Fatalf("no ADTS header after %d frames (% x)", len(frames), es[:min(len(es), 8)])
		}
		n := int(es[3]&3)<<11 | int(es[4])<<3 | int(es[5])>>5
		if n < 7 || n > len(es) {
			t.Fatalf("ADTS frame %d: length %d, %d bytes left", len(frames), n, len(es))
		}
		frames = append(frames, es[:n])
		es = es[n:]
	}
	return frames
}

// TestDemuxForms checks that the TS, fMP4, byte-range fMP4 and packed ADTS
// forms of the AAC fixture all come out as the same access units, in ADTS
// frames with the same fixed header.
func TestDemuxForms(t *testing.T) {
	var x demuxer
	ts, packed, frag, ranged := []byte{}, []byte{}, []byte{}, []byte{}
	for i := range 3 {
		var err error
		if ts, err = demuxTS(ts, fixture(t, fmt.Sprintf("hls-aac/ts/seg%d.ts", i))); err != nil {
			t.Fatal(err)
		}
		seg := fixture(t, fmt.Sprintf("hls-aac/adts/seg%d.aac", i))
		n, pts, err := splitID3(seg)
		if err != nil || n != 73 {
			t.Fatalf("packed segment %d: ID3 tag of %d bytes, %v; want 73", i, n, err)
		}
		if i == 0 && pts != 126000 {
			t.Errorf("packed segment 0: PTS %d, want 126000 (1.4 s)", pts)
		}
		packed = append(packed, seg[n:]...)
	}
	in, err := parseInit(fixture(t, "hls-aac/fmp4/init.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	x.init = in
	for i := range 3 {
		if frag, err = demuxFMP4(frag, fixture(t, fmt.Sprintf("hls-aac/fmp4/seg%d.m4s", i)), x.init); err != nil {
			t.Fatal(err)
		}
	}
	// The byte-range form: the ranges of the playlist cut out of one file.
	whole := fixture(t, "hls-aac/byterange/audio.mp4")
	pl, err := ParseMedia("playlist.m3u8", nil, fixture(t, "hls-aac/byterange/playlist.m3u8"))
	if err != nil {
		t.Fatal(err)
	}
	rin, err := parseInit(whole[pl.Segments[0].Map.Range.Offset:pl.Segments[0].Map.Range.End()])
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range pl.Segments {
		if ranged, err = demuxFMP4(ranged, whole[s.Range.Offset:s.Range.End()], rin); err != nil {
			t.Fatal(err)
		}
	}

	want := adtsFrames(t, ts)
	if len(want) < 200 {
		t.Fatalf("TS gave %d ADTS frames, want about 238", len(want))
	}
	for name, es := range map[string][]byte{"packed": packed, "fmp4": frag, "byterange": ranged} {
		got := adtsFrames(t, es)
		if len(got) != len(want) {
			t.Errorf("%s: %d frames, TS %d", name, len(got), len(want))
			continue
		}
		for i := range got {
			// The payloads must match; the headers' fixed part too (the
			// buffer fullness may differ).
			if !bytes.Equal(got[i][7:], want[i][7:]) || !bytes.Equal(got[i][:4], want[i][:4]) {
				t.Errorf("%s: frame %d differs from TS's: % x vs % x", name, i, got[i][:9], want[i][:9])
				break
			}
		}
		if c := sniffCodec(es); c != AudioAAC {
			t.Errorf("%s: sniffed %v, want aac", name, c)
		}
	}
	if in.priming != 0 {
		t.Errorf("init priming = %d, want 0 (ffmpeg's edit list starts at media time 0)", in.priming)
	}
}

func TestSniff(t *testing.T) {
	for _, tc := range []struct {
		file      string
		container Container
	}{
		{"hls-aac/ts/seg0.ts", ContainerTS},
		{"hls-aac/fmp4/seg0.m4s", ContainerFMP4},
		{"hls-aac/fmp4/init.mp4", ContainerFMP4},
		{"hls-aac/adts/seg0.aac", ContainerPacked},
		{"hls-aac/mp3-22k/seg0.mp3", ContainerRaw},
		{"hls/v0/seg000.mp3", ContainerRaw},
	} {
		if got := sniffContainer(fixture(t, tc.file)); got != tc.container {
			t.Errorf("%s: container %v, want %v", tc.file, got, tc.container)
		}
	}
	if c := sniffCodec(fixture(t, "hls-aac/mp3-22k/seg1.mp3")); c != AudioMP3 {
		t.Errorf("MPEG-2 Layer III sniffed as %v", c)
	}
	if c := sniffCodec([]byte("fLaC\x00\x00")); c != AudioUnknown {
		t.Errorf("FLAC sniffed as %v", c)
	}
}

func TestContainerErrors(t *testing.T) {
	ts := fixture(t, "hls-aac/ts/seg0.ts")
	init := fixture(t, "hls-aac/fmp4/init.mp4")
	seg := fixture(t, "hls-aac/fmp4/seg0.m4s")
	for _, tc := range []struct {
		name string
		run  func() error
		msg  string
	}{
		{"ts cut", func() error { _, err := demuxTS(nil, ts[:1000]); return err }, "not whole 188-byte packets"},
		{"ts no pmt", func() error { _, err := demuxTS(nil, ts[188*2:188*3]); return err }, "without a PMT"},
		{"fmp4 no init", func() error { _, err := demuxFMP4(nil, seg, nil); return err }, "without an EXT-X-MAP"},
		{"init cut", func() error { _, err := parseInit(init[:100]); return err }, "init section"},
		{"id3 too long", func() error { _, _, err := splitID3([]byte("ID3\x04\x00\x00\x00\x00\x7f\x7f")); return err }, "ID3 tag of"},
		{"he-aac", func() error { _, err := adtsTemplate([]byte{0x2b, 0x92}); return err }, "HE-AAC"},
	} {
		err := tc.run()
		if !errors.Is(err, ErrContainer) || !bytes.Contains([]byte(err.Error()), []byte(tc.msg)) {
			t.Errorf("%s: err = %v, want ErrContainer mentioning %q", tc.name, err, tc.msg)
		}
	}
}

// BenchmarkDemuxSegment takes one 2 s segment of the AAC fixture out of
// each container; "x-realtime" is segment time per demux time.
func BenchmarkDemuxSegment(b *testing.B) {
	in, err := parseInit(fixture(b, "hls-aac/fmp4/init.mp4"))
	if err != nil {
		b.Fatal(err)
	}
	const segSeconds = 87 * 1024.0 / 44100
	for _, tc := range []struct {
		name  string
		file  string
		demux func(dst, data []byte) ([]byte, error)
	}{
		{"ts", "hls-aac/ts/seg0.ts", demuxTS},
		{"fmp4", "hls-aac/fmp4/seg0.m4s", func(dst, data []byte) ([]byte, error) { return demuxFMP4(dst, data, in) }},
		{"packed", "hls-aac/adts/seg0.aac", func(dst, data []byte) ([]byte, error) {
			n, _, err := splitID3(data)
			return append(dst, data[n:]...), err
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			data := fixture(b, tc.file)
			dst := make([]byte, 0, len(data))
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tc.demux(dst[:0], data); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(segSeconds*float64(b.N)/b.Elapsed().Seconds(), "x-realtime")
		})
	}
}

// primedInit returns the fMP4 fixture's init section with its edit list's
// media time set to n samples (ffmpeg writes 0), as encoders that signal
// their priming there do.
func primedInit(t testing.TB, n uint32) []byte {
	t.Helper()
	b := bytes.Clone(fixture(t, "hls-aac/fmp4/init.mp4"))
	i := bytes.Index(b, []byte("elst"))
	if i < 0 || b[i+4] != 0 || i+20 > len(b) {
		t.Fatal("no version 0 elst box in the fixture's init section")
	}
	binary.BigEndian.PutUint32(b[i+16:], n) // after version, flags, count, segment duration
	return b
}

func TestInitPrimingFromEditList(t *testing.T) {
	in, err := parseInit(primedInit(t, 2112))
	if err != nil {
		t.Fatal(err)
	}
	if in.priming != 2112 {
		t.Errorf("priming %d, want the edit list's 2112", in.priming)
	}
}

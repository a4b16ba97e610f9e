package decode

import (
	"bytes"
	"errors"
	"testing"
)

func TestProbeFixtures(t *testing.T) {
	for _, tc := range []struct {
		file string
		want Codec
	}{
		{"tone.mp3", CodecMP3},
		{"tone.flac", CodecFLAC},
		{"tone.wav", CodecWAV},
		{"tone_mono24.flac", CodecFLAC},
		{"tone_mono24.wav", CodecWAV},
		{"tone_mono32k.mp3", CodecMP3},
		{"hls/v1/seg000.mp3", CodecMP3}, // no tag: a bare frame sync
	} {
		r := fixtureReader(t, tc.file)
		got, err := Probe(r)
		if err != nil || got != tc.want {
			t.Errorf("Probe(%s) = %v, %v; want %v", tc.file, got, err, tc.want)
		}
		if pos, _ := r.Seek(0, 1); pos != 0 {
			t.Errorf("Probe(%s) left the reader at %d", tc.file, pos)
		}
		dec, err := NewDecoder(fixtureReader(t, tc.file))
		if err != nil {
			t.Fatalf("NewDecoder(%s): %v", tc.file, err)
		}
		var kind Codec
		switch dec.(type) {
		case *MP3Decoder:
			kind = CodecMP3
		case *FLACDecoder:
			kind = CodecFLAC
		case *WAVDecoder:
			kind = CodecWAV
		}
		if kind != tc.want {
			t.Errorf("NewDecoder(%s) made a %T", tc.file, dec)
		}
	}
}

// id3Tag returns an ID3v2.4 tag with a body of n bytes.
func id3Tag(n int) []byte {
	return append([]byte{'I', 'D', '3', 4, 0, 0, byte(n >> 21 & 0x7f), byte(n >> 14 & 0x7f), byte(n >> 7 & 0x7f), byte(n & 0x7f)}, make([]byte, n)...)
}

func TestProbeBytes(t *testing.T) {
	mp3 := fixture(t, "hls/v0/seg000.mp3")[:2048]
	flac := fixture(t, "tone.flac")[:64]
	for _, tc := range []struct {
		name string
		b    []byte
		want Codec
		err  error
	}{
		{"mp3 after junk", append([]byte("junk\x00\xff\x00"), mp3...), CodecMP3, nil},
		{"id3 then flac", append(id3Tag(100), flac...), CodecFLAC, nil},
		{"id3 longer than the buffer", id3Tag(10000)[:500], CodecMP3, nil},
		{"adts aac-lc stereo", []byte{0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc}, CodecAAC, nil},
		{"adts aac main", []byte{0xff, 0xf1, 0x10, 0x80, 0x02, 0x1f, 0xfc}, CodecUnknown, ErrUnsupported},
		{"adts aac-lc 5.1", []byte{0xff, 0xf1, 0x51, 0x80, 0x02, 0x1f, 0xfc}, CodecUnknown, ErrUnsupported},
		{"mpeg-1 layer ii", []byte{0xff, 0xfd, 0x90, 0x00, 0, 0, 0, 0}, CodecUnknown, ErrUnsupported},
		{"mpeg-2 layer iii", []byte{0xff, 0xf3, 0x40, 0xc0, 0, 0, 0, 0}, CodecUnknown, ErrUnsupported},
		{"mpeg-2.5 layer iii", []byte{0xff, 0xe3, 0x90, 0x00, 0, 0, 0, 0}, CodecUnknown, ErrUnsupported},
		{"mp4", []byte("\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00"), CodecUnknown, ErrUnsupported},
		{"ogg", []byte("OggS\x00\x02\x00\x00"), CodecUnknown, ErrUnsupported},
		{"riff avi", []byte("RIFF\x00\x00\x00\x00AVI LIST"), CodecUnknown, ErrUnsupported},
		{"text", []byte("<html><body>not audio</body></html>"), CodecUnknown, ErrNotAudio},
		{"empty", nil, CodecUnknown, ErrNotAudio},
		{"lone sync in junk", []byte("abc\xff\xfb\x90\x00 and then more text that is not a frame at all......"), CodecUnknown, ErrNotAudio},
	} {
		got, err := ProbeBytes(tc.b)
		if got != tc.want || !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
			t.Errorf("%s: ProbeBytes = %v, %v; want %v, %v", tc.name, got, err, tc.want, tc.err)
		}
	}
}

func TestProbeSkipsLargeID3(t *testing.T) {
	// A 20 kB tag (cover art) hides the FLAC signature from the first read.
	b := append(id3Tag(20000), fixture(t, "tone.flac")...)
	got, err := Probe(bytes.NewReader(b))
	if err != nil || got != CodecFLAC {
		t.Fatalf("Probe = %v, %v; want flac", got, err)
	}
}

func TestProbeCodecs(t *testing.T) {
	for _, tc := range []struct {
		codecs string
		want   Codec
		err    error
	}{
		{"mp4a.40.34", CodecMP3, nil},
		{`"mp4a.40.34"`, CodecMP3, nil},
		{"avc1.4d401e, mp4a.40.34", CodecMP3, nil},
		{"mp3", CodecMP3, nil},
		{"mp4a.6B", CodecMP3, nil},
		{"mp4a.69", CodecMP3, nil},
		{"fLaC", CodecFLAC, nil},
		{"flac", CodecFLAC, nil},
		{"mp4a.40.2", CodecAAC, nil},
		{"avc1.64001f,mp4a.67", CodecAAC, nil},
		{"mp4a.40.29", CodecUnknown, ErrUnsupported},
		{"avc1.64001f,mp4a.40.5", CodecUnknown, ErrUnsupported},
		{"ec-3", CodecUnknown, ErrUnsupported},
		{"opus", CodecUnknown, ErrUnsupported},
		{"avc1.64001f", CodecUnknown, ErrNotAudio},
		{"", CodecUnknown, ErrNotAudio},
	} {
		got, err := ProbeCodecs(tc.codecs)
		if got != tc.want || !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
			t.Errorf("ProbeCodecs(%q) = %v, %v; want %v, %v", tc.codecs, got, err, tc.want, tc.err)
		}
	}
}

func FuzzProbeBytes(f *testing.F) {
	for _, name := range []string{"tone.mp3", "tone.flac", "tone.wav", "hls/v0/seg000.mp3"} {
		b, err := fixtureBytes(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[:min(len(b), 512)])
	}
	f.Add(id3Tag(30))
	f.Add([]byte{0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ProbeBytes(b)
		if (err == nil) == (c == CodecUnknown) {
			t.Fatalf("ProbeBytes = %v, %v: a codec comes with no error, and only with none", c, err)
		}
		if err != nil && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrNotAudio) {
			t.Fatalf("ProbeBytes error %v is neither ErrUnsupported nor ErrNotAudio", err)
		}
		// Probe over a reader agrees with ProbeBytes when the tag fits.
		if id3v2Size(b) == 0 && len(b) <= probeSize {
			c2, err2 := Probe(bytes.NewReader(b))
			if c2 != c || (err == nil) != (err2 == nil) {
				t.Fatalf("Probe = %v, %v; ProbeBytes = %v, %v", c2, err2, c, err)
			}
		}
	})
}

func FuzzProbeCodecs(f *testing.F) {
	for _, s := range []string{"mp4a.40.34", "avc1.4d401e,mp4a.40.2", "fLaC", `"mp3"`, ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ProbeCodecs(s)
		if (err == nil) == (c == CodecUnknown) {
			t.Fatalf("ProbeCodecs(%q) = %v, %v", s, c, err)
		}
	})
}

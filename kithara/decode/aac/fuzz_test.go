package aac

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode feeds arbitrary access units to a decoder of each supported
// shape: it must return (an error is fine) without panicking, always append
// exactly one frame on success, and keep its output finite.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"lc44s", "short22s", "tools24s", "lc8m"} {
		b, err := os.ReadFile(filepath.Join(fixtureDir, name+".aac"))
		if err != nil {
			f.Fatal(err)
		}
		aus, _ := adtsFrames(f, b)
		for _, i := range []int{1, 2, len(aus) / 2} {
			f.Add(uint8(len(name)), aus[i])
		}
	}
	f.Add(uint8(0), []byte{})
	f.Add(uint8(1), []byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, shape uint8, au []byte) {
		cfgs := []Config{
			{ObjectType: ObjectTypeLC, SampleRate: 44100, Channels: 2, FrameLength: 1024},
			{ObjectType: ObjectTypeLC, SampleRate: 8000, Channels: 1, FrameLength: 1024},
			{ObjectType: ObjectTypeLC, SampleRate: 96000, Channels: 2, FrameLength: 1024},
			{ObjectType: ObjectTypeLC, SampleRate: 22050, Channels: 2, FrameLength: 1024},
		}
		cfg := cfgs[int(shape)%len(cfgs)]
		d, err := NewDecoder(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // twice: the second sees the first's overlap
			out, err := d.Decode(au, nil)
			if err != nil {
				if len(out) != 0 {
					t.Fatalf("error %v with %d samples", err, len(out))
				}
				continue
			}
			if len(out) != 1024*cfg.Channels {
				t.Fatalf("%d samples", len(out))
			}
		}
	})
}

// FuzzHeaders parses arbitrary bytes as an AudioSpecificConfig and as an
// ADTS header; what parses must round-trip through AppendADTSHeader.
func FuzzHeaders(f *testing.F) {
	f.Add([]byte{0x12, 0x10})
	f.Add([]byte{0x2b, 0x92, 0x08, 0x00})
	f.Add([]byte{0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseASC(b)
		h, err := ParseADTSHeader(b)
		if err != nil {
			return
		}
		if h.FrameLen < h.HeaderLen || h.RawBlocks < 1 || h.RawBlocks > 4 {
			t.Fatalf("header %+v", h)
		}
		out, err := h.Config.AppendADTSHeader(nil, h.FrameLen-h.HeaderLen)
		if err != nil {
			return
		}
		h2, err := ParseADTSHeader(out)
		if err != nil || h2.Config != h.Config || h2.FrameLen != h.FrameLen-h.HeaderLen+ADTSHeaderLen {
			t.Fatalf("round trip of %+v: %+v, %v", h, h2, err)
		}
	})
}

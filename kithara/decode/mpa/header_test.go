package mpa

import (
	"errors"
	"math"
	"testing"
)

func TestParseHeader(t *testing.T) {
	for _, tc := range []struct {
		name  string
		b     []byte
		want  Header
		size  int
		spf   int
		side  int
		error bool
	}{
		// MPEG-1, Layer III, no CRC, 128 kb/s, 44.1 kHz, padded, joint stereo with M/S.
		{name: "mpeg1", b: []byte{0xff, 0xfb, 0x92, 0x64},
			want: Header{Version: MPEG1, Bitrate: 128000, SampleRate: 44100, Padding: true, Mode: ModeJointStereo, ModeExt: 2, Channels: 2},
			size: 418, spf: 1152, side: 32},
		// MPEG-2, CRC, 32 kb/s, 22.05 kHz, mono.
		{name: "mpeg2 mono crc", b: []byte{0xff, 0xf2, 0x40, 0xc0},
			want: Header{Version: MPEG2, CRC: true, Bitrate: 32000, SampleRate: 22050, Mode: ModeMono, Channels: 1},
			size: 104, spf: 576, side: 9},
		// MPEG-2.5, 24 kb/s, 8 kHz, stereo.
		{name: "mpeg2.5", b: []byte{0xff, 0xe3, 0x38, 0x00},
			want: Header{Version: MPEG25, Bitrate: 24000, SampleRate: 8000, Mode: ModeStereo, Channels: 2},
			size: 216, spf: 576, side: 17},
		{name: "short", b: []byte{0xff, 0xfb}, error: true},
		{name: "no sync", b: []byte{0x00, 0xfb, 0x92, 0x64}, error: true},
		{name: "reserved version", b: []byte{0xff, 0xeb, 0x92, 0x64}, error: true},
		{name: "layer II", b: []byte{0xff, 0xfd, 0x92, 0x64}, error: true},
		{name: "free format", b: []byte{0xff, 0xfb, 0x02, 0x64}, error: true},
		{name: "bad bit rate", b: []byte{0xff, 0xfb, 0xf2, 0x64}, error: true},
		{name: "reserved rate", b: []byte{0xff, 0xfb, 0x9e, 0x64}, error: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := ParseHeader(tc.b)
			if tc.error {
				if !errors.Is(err, ErrHeader) {
					t.Fatalf("error %v, want ErrHeader", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			h.rateIndex = 0
			if h != tc.want {
				t.Errorf("got %+v\nwant %+v", h, tc.want)
			}
			if h.FrameSize() != tc.size || h.SamplesPerFrame() != tc.spf || h.SideInfoSize() != tc.side {
				t.Errorf("size %d spf %d side %d, want %d %d %d", h.FrameSize(), h.SamplesPerFrame(), h.SideInfoSize(), tc.size, tc.spf, tc.side)
			}
		})
	}
}

// bitWriter packs codewords for the Huffman round trip.
type bitWriter struct {
	b []byte
	n int
}

func (w *bitWriter) write(v uint32, n int) {
	for i := n - 1; i >= 0; i-- {
		if w.n%8 == 0 {
			w.b = append(w.b, 0)
		}
		if v>>i&1 == 1 {
			w.b[w.n/8] |= 0x80 >> (w.n % 8)
		}
		w.n++
	}
}

// TestHuffmanRoundTrip writes every codeword of every table, back to back,
// and checks that the lookup tables decode each to its value and length.
func TestHuffmanRoundTrip(t *testing.T) {
	for tab, c := range huffSrc {
		if len(c.code) == 0 {
			continue
		}
		lut := bigValueTables[min(tab, 31)].lut
		if tab >= 32 {
			lut = count1LUT[tab-32]
		}
		// A complete prefix code: the Kraft sum is exactly 1 (exact in
		// float64 for lengths this short).
		var kraft float64
		for _, n := range c.len {
			kraft += math.Ldexp(1, -int(n))
		}
		if kraft != 1 {
			t.Errorf("table %d: Kraft sum %v, want 1", tab, kraft)
		}
		var w bitWriter
		for i := range c.code {
			w.write(uint32(c.code[i]), int(c.len[i]))
		}
		r := bitReader{b: w.b}
		for i := range c.code {
			want := i
			if c.size > 0 {
				want = i/c.size<<4 | i%c.size
			}
			pos := r.pos
			if got := lut.decode(&r); got != want || r.pos-pos != int(c.len[i]) {
				t.Fatalf("table %d entry %d: value %#x after %d bits, want %#x after %d", tab, i, got, r.pos-pos, want, c.len[i])
			}
		}
	}
}

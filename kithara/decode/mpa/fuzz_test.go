package mpa

import (
	"errors"
	"testing"
)

// FuzzDecodeFrame feeds arbitrary bytes, cut into frames wherever a header
// parses, to one decoder: it must not panic, must append exactly one
// frame's samples or none, and must keep its reservoir bounded.
func FuzzDecodeFrame(f *testing.F) {
	for _, s := range streams {
		b := readFixture(f, s.name+".mp3")
		frames := splitFrames(f, b)
		n := 0
		for _, fr := range frames[:4] {
			n += len(fr)
		}
		f.Add(b[:n])
	}
	f.Add(monoFrame())
	f.Fuzz(func(t *testing.T, b []byte) {
		d := NewDecoder()
		var pcm []float32
		for len(b) >= HeaderSize {
			h, err := ParseHeader(b)
			if err != nil {
				b = b[1:]
				continue
			}
			before := len(pcm)
			pcm, err = d.DecodeFrame(b, pcm[:0])
			switch {
			case err == nil, errors.Is(err, ErrReservoir):
				if len(pcm) != h.SamplesPerFrame()*h.Channels {
					t.Fatalf("%d samples from one frame", len(pcm))
				}
			case len(pcm) != 0:
				t.Fatalf("%d samples with error %v (had %d)", len(pcm), err, before)
			}
			if len(d.res) > 4*maxReservoir {
				t.Fatalf("reservoir holds %d bytes", len(d.res))
			}
			b = b[min(len(b), h.FrameSize()):]
		}
	})
}

package decode

import (
	"bytes"
	"testing"
)

// BenchmarkAACDecode decodes whole AAC-LC fixtures through the ADTS
// decoder (framing, trimming, chunks) and reports the speed as a multiple
// of realtime; run with -cpu 1 for the one-core figure.
func BenchmarkAACDecode(b *testing.B) {
	for _, tc := range []struct {
		name string
		rate int
	}{{"lc44s", 44100}, {"short22s", 22050}, {"tools24s", 24000}} {
		data, ref := aacFixture(b, tc.name)
		frames := len(ref) / 2
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			rt := startRealtime(b)
			for b.Loop() {
				dec, err := NewADTSDecoder(bytes.NewReader(data), AACOptions{PrimingKnown: true})
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for {
					c, err := dec.Next()
					if err != nil {
						break
					}
					n += c.Frames()
					c.Release()
				}
				if n != frames {
					b.Fatalf("%d frames, want %d", n, frames)
				}
			}
			rt.report(framesToDuration(int64(frames), tc.rate))
		})
	}
}

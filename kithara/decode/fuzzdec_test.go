package decode

import (
	"bytes"
	"testing"
	"time"
)

// fuzzDecoder opens and drains a decoder over b: whatever the bytes, it must
// return (an error is fine) without panicking or looping.
func fuzzDecoder(t *testing.T, open func(*bytes.Reader) (Decoder, error), b []byte) {
	dec, err := open(bytes.NewReader(b))
	if err != nil {
		return
	}
	for i := 0; ; i++ {
		c, err := dec.Next()
		if err != nil {
			return
		}
		f := c.Format
		if f.Channels < 1 || f.SampleRate < 1 || len(c.Samples)%f.Channels != 0 {
			t.Fatalf("chunk %d: %v with %d samples", i, f, len(c.Samples))
		}
		if i > len(b) {
			t.Fatalf("%d chunks from %d bytes", i, len(b))
		}
	}
}

func FuzzFLACDecoder(f *testing.F) {
	flac, err := fixtureBytes("tone_mono24.flac")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(flac[:2048])
	f.Add(flac[:100])
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzDecoder(t, func(r *bytes.Reader) (Decoder, error) { return NewFLACDecoder(r) }, b)
	})
}

func FuzzWAVDecoder(f *testing.F) {
	wav, err := fixtureBytes("tone_mono24.wav")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(wav[:256])
	f.Add(makeWAV(wavFormatFloat, 32, 2, 8000, make([]byte, 64)))
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzDecoder(t, func(r *bytes.Reader) (Decoder, error) { return NewWAVDecoder(r) }, b)
	})
}

func FuzzADTSDecoder(f *testing.F) {
	for _, name := range []string{"aac/lc8m.aac", "aac/short22s.aac"} {
		b, err := fixtureBytes(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[:min(len(b), 1500)])
	}
	f.Add([]byte("ID3\x04\x00\x00\x00\x00\x00\x01x\xff\xf1\x50\x80\x02\x1f\xfc"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzDecoder(t, func(r *bytes.Reader) (Decoder, error) { return NewADTSDecoder(r, AACOptions{}) }, b)
		// And seeking around in it must not break anything either.
		d, err := NewADTSDecoder(bytes.NewReader(b), AACOptions{PrimingKnown: true})
		if err != nil {
			return
		}
		for _, ms := range []int{50, 0, 10000, 20} {
			if _, err := d.Seek(time.Duration(ms) * time.Millisecond); err != nil {
				return
			}
			if c, err := d.Next(); err == nil {
				c.Release()
			}
		}
	})
}

package mpa

import (
	"bytes"
	"io"
	"testing"

	gomp3 "github.com/hajimehoshi/go-mp3"
)

// realtime reports seconds of audio per second of wall time ("x-realtime")
// and per second of the process's CPU time ("x-realtime-cpu": what one
// dedicated core does; on a shared machine the wall-time figure drops while
// this one holds).
func realtime(b *testing.B, seconds float64) func() {
	cpu0, _ := cpuTime()
	return func() {
		audio := seconds * float64(b.N)
		b.ReportMetric(audio/b.Elapsed().Seconds(), "x-realtime")
		if cpu, ok := cpuTime(); ok && cpu > cpu0 {
			b.ReportMetric(audio/(cpu-cpu0).Seconds(), "x-realtime-cpu")
		}
	}
}

// BenchmarkDecode measures decoding speed as a multiple of real time for
// this package and, on the MPEG-1 fixture, for github.com/hajimehoshi/go-mp3
// as the baseline it replaces. Run it with -cpu 1 for the one-core figure.
func BenchmarkDecode(b *testing.B) {
	for _, s := range streams {
		data := readFixture(b, s.name+".mp3")
		frames := splitFrames(b, data)
		h, _ := ParseHeader(frames[0])
		seconds := float64(len(frames)*h.SamplesPerFrame()) / float64(h.SampleRate)
		b.Run("mpa/"+s.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			d := NewDecoder()
			pcm := make([]float32, 0, 1152*2)
			report := realtime(b, seconds)
			for b.Loop() {
				d.Reset()
				for _, f := range frames {
					var err error
					if pcm, err = d.DecodeFrame(f, pcm[:0]); err != nil {
						b.Fatal(err)
					}
				}
			}
			report()
		})
		if s.version != MPEG1 {
			continue // go-mp3 decodes only MPEG-1 correctly
		}
		b.Run("go-mp3/"+s.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			report := realtime(b, seconds)
			for b.Loop() {
				d, err := gomp3.NewDecoder(bytes.NewReader(data))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, d); err != nil {
					b.Fatal(err)
				}
			}
			report()
		})
	}
}

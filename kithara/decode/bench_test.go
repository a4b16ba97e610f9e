//go:build !hotpath

package decode

import (
	"bytes"
	"context"
	"math"
	"testing"
	"time"

	"github.com/hotpath-go/hotpath/kithara/bufpool"
)

// realtime measures how many seconds of audio a benchmark handles per
// second of wall time ("x-realtime") and per second of CPU time over all
// goroutines ("x-realtime-cpu", what one dedicated core would do; on a shared
// machine the wall-time figure drops while this one holds).
type realtime struct {
	b   *testing.B
	cpu time.Duration
}

func startRealtime(b *testing.B) realtime {
	cpu, _ := cpuTime()
	return realtime{b: b, cpu: cpu}
}

func (r realtime) report(audioPerOp time.Duration) {
	audio := audioPerOp.Seconds() * float64(r.b.N)
	r.b.ReportMetric(audio/r.b.Elapsed().Seconds(), "x-realtime")
	if cpu, ok := cpuTime(); ok && cpu > r.cpu {
		r.b.ReportMetric(audio/(cpu-r.cpu).Seconds(), "x-realtime-cpu")
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, name := range []string{"tone.wav", "tone.flac", "tone.mp3"} {
		data := fixture(b, name)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			rt := startRealtime(b)
			for b.Loop() {
				dec, err := NewDecoder(bytes.NewReader(data))
				if err != nil {
					b.Fatal(err)
				}
				frames := 0
				for {
					c, err := dec.Next()
					if err != nil {
						break
					}
					frames += c.Frames()
					c.Release()
				}
				if frames != toneFrames {
					b.Fatalf("%d frames", frames)
				}
			}
			rt.report(3 * time.Second)
		})
	}
}

func BenchmarkResample(b *testing.B) {
	for _, tc := range []struct {
		name    string
		in, out int
		speed   float64
	}{
		{"44100-48000-stereo", 44100, 48000, 1},
		{"48000-44100-stereo", 48000, 44100, 1},
		{"44100-44100-speed1.5", 44100, 44100, 1.5},
		{"44100-44100-passthrough", 44100, 44100, 1},
	} {
		b.Run(tc.name, func(b *testing.B) {
			const frames = 1152 // one MP3 frame per chunk
			src := sine(frames*64, 0, tc.in, 0.5, 440, 660)
			r := NewResampler(tc.out)
			r.SetSpeed(tc.speed)
			b.ReportAllocs()
			b.SetBytes(frames * 2 * 4)
			rt := startRealtime(b)
			i := 0
			for b.Loop() {
				in := bufpool.Float32.Get(frames * 2)
				off := (i % 64) * frames * 2
				copy(in, src[off:off+frames*2])
				r.Process(Chunk{Format: Format{tc.in, 2}, Samples: in}).Release()
				i++
			}
			rt.report(framesToDuration(frames, tc.in))
		})
	}
}

func BenchmarkPipeline(b *testing.B) {
	for _, name := range []string{"tone.wav", "tone.mp3"} {
		data := fixture(b, name)
		b.Run(name+"-to-48000", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			rt := startRealtime(b)
			for b.Loop() {
				p, err := Open(context.Background(), bytes.NewReader(data), WithOutputRate(48000))
				if err != nil {
					b.Fatal(err)
				}
				frames := 0
				for f := range p.Chunks() {
					frames += f.Data.Frames()
					f.Data.Release()
					if f.EOF {
						break
					}
				}
				if want := math.Ceil(toneFrames * 48000.0 / 44100); math.Abs(float64(frames)-want) > 1 {
					b.Fatalf("%d frames", frames)
				}
				if err := p.Close(); err != nil {
					b.Fatal(err)
				}
			}
			rt.report(3 * time.Second)
		})
	}
}

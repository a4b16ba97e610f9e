package decode

import (
	"fmt"
	"time"

	"github.com/hotpath-go/hotpath/kithara/bufpool"
)

// Format describes interleaved PCM: how many frames per second and how many
// samples per frame.
type Format struct {
	SampleRate int
	Channels   int
}

// String formats f as "44100 Hz, 2 ch".
func (f Format) String() string { return fmt.Sprintf("%d Hz, %d ch", f.SampleRate, f.Channels) }

// valid reports whether f can describe PCM at all.
func (f Format) valid() bool { return f.SampleRate > 0 && f.Channels > 0 }

// Chunk is a block of interleaved float32 PCM in [-1, 1].
//
// Samples holds Frames()*Format.Channels values, frame after frame. The
// buffer comes from bufpool.Float32 and belongs to whoever holds the chunk:
// pass it on, or call Release when done with it (forgetting to is safe, it
// only costs the pool a buffer).
type Chunk struct {
	Format  Format
	Samples []float32
	// Time is the media time of the first frame: where in the stream, at
	// speed 1, this audio was.
	Time time.Duration
}

// Frames reports the number of frames in c.
func (c Chunk) Frames() int {
	if c.Format.Channels <= 0 {
		return 0
	}
	return len(c.Samples) / c.Format.Channels
}

// Duration reports how long c plays at its sample rate.
func (c Chunk) Duration() time.Duration {
	if c.Format.SampleRate <= 0 {
		return 0
	}
	return framesToDuration(int64(c.Frames()), c.Format.SampleRate)
}

// Release returns the sample buffer to its pool. Neither c nor any copy of it
// may be used afterwards.
func (c Chunk) Release() {
	if c.Samples != nil {
		bufpool.Float32.Put(c.Samples)
	}
}

// framesToDuration converts a frame count at rate to a duration, rounding to
// the nearest nanosecond.
func framesToDuration(frames int64, rate int) time.Duration {
	// Split to keep frames*1e9 from overflowing for long streams.
	sec := frames / int64(rate)
	rem := frames % int64(rate)
	return time.Duration(sec)*time.Second + time.Duration((rem*int64(time.Second)+int64(rate)/2)/int64(rate))
}

// durationToFrames converts d to a frame count at rate, rounding to the
// nearest frame. Negative durations give 0.
func durationToFrames(d time.Duration, rate int) int64 {
	if d <= 0 {
		return 0
	}
	sec := int64(d / time.Second)
	rem := int64(d % time.Second)
	return sec*int64(rate) + (rem*int64(rate)+int64(time.Second)/2)/int64(time.Second)
}

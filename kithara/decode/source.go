//go:build !hotpath

package decode

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hotpath-go/hotpath/kithara/bufpool"
	"github.com/hotpath-go/hotpath/kithara/worker"
)

// Command steers a DecodeSource. It describes the whole target state, not a
// change, because a worker applies only the newest of several queued
// commands.
type Command struct {
	// Epoch is the consumer's epoch. A command whose epoch differs from the
	// source's is a seek to Pos, and the source's output moves to that epoch.
	Epoch uint64
	// Pos is the media time to seek to when Epoch is new.
	Pos time.Duration
	// Speed is the playback speed, clamped to [MinSpeed, MaxSpeed]; zero
	// leaves the speed as it is.
	Speed float64
}

// Block is one item of a DecodeSource's output: a chunk of PCM at the output
// rate, or the error that stopped decoding (with the PCM flushed before it).
type Block struct {
	Chunk
	Err error
}

// DecodeSource decodes and resamples on demand: each FetchNext decodes chunks
// until the resampler has output, and at the end of the stream flushes the
// resampler so its last frames are delivered with the EOF item. It is a
// worker.SyncSource and a worker.EpochSource; run it on a worker.SyncWorker.
//
// When the decoder's format changes mid-stream (an ABR switch between
// variants with different sample rates), the frames the resampler holds in
// the old format are flushed as their own block before the new format
// starts, so a switch loses no audio.
type DecodeSource struct {
	dec      Decoder
	rs       *Resampler
	channels int // output channel count; 0 keeps the decoder's

	epoch   uint64
	held    Chunk // a decoded chunk waiting behind a flush
	hasHeld bool
	done    bool  // the end or an error was reported in this epoch
	err     error // a failed seek, reported by the next fetch
}

var (
	_ worker.SyncSource[Block, Command] = (*DecodeSource)(nil)
	_ worker.EpochSource                = (*DecodeSource)(nil)
)

// NewDecodeSource returns a source that decodes with dec and resamples to
// outRate Hz with channels channels (0 keeps the decoder's channel count;
// otherwise mono is duplicated and more channels are mixed or dropped to
// fit).
func NewDecodeSource(dec Decoder, outRate, channels int) *DecodeSource {
	return &DecodeSource{dec: dec, rs: NewResampler(outRate), channels: channels}
}

// FetchNext returns the next block of output.
func (s *DecodeSource) FetchNext() worker.Fetch[Block] { return s.fetchNext() }

// fetchNext decodes until there is output to return. The decoder call is one
// statement on purpose: the profiler measures it as the decode_chunk block.
//
//hotpath:measure
func (s *DecodeSource) fetchNext() worker.Fetch[Block] {
	if s.err != nil {
		err := s.err
		s.err, s.done = nil, true
		return worker.Fetch[Block]{Data: Block{Chunk: s.empty(), Err: err}, EOF: true, Epoch: s.epoch}
	}
	if s.done {
		return worker.Fetch[Block]{Data: Block{Chunk: s.empty()}, EOF: true, Epoch: s.epoch}
	}
	for {
		var in Chunk
		if s.hasHeld {
			in, s.held, s.hasHeld = s.held, Chunk{}, false
		} else {
			//hotpath:block decode_chunk
			chunk, err := s.dec.Next()
			if err != nil {
				return s.finish(err)
			}
			in = chunk
		}
		if s.rs.Changes(in.Format) && s.rs.Pending() {
			s.held, s.hasHeld = in, true
			tail := s.rs.flush()
			if tail.Frames() == 0 {
				tail.Release()
				continue
			}
			return s.item(tail)
		}
		out := s.rs.process(in)
		if out.Frames() == 0 {
			out.Release()
			continue
		}
		return s.item(out)
	}
}

// finish ends the epoch: the resampler's tail goes out with the EOF mark,
// and with the error if decoding failed.
func (s *DecodeSource) finish(err error) worker.Fetch[Block] {
	s.done = true
	tail := s.rs.flush()
	if tail.Frames() == 0 {
		tail.Release()
		tail = s.empty()
	} else {
		tail = s.remix(tail)
	}
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return worker.Fetch[Block]{Data: Block{Chunk: tail, Err: err}, EOF: true, Epoch: s.epoch}
}

func (s *DecodeSource) item(c Chunk) worker.Fetch[Block] {
	return worker.Fetch[Block]{Data: Block{Chunk: s.remix(c)}, Epoch: s.epoch}
}

// empty is a chunk with no frames in the output format.
func (s *DecodeSource) empty() Chunk {
	ch := s.channels
	if ch == 0 {
		ch = s.dec.Format().Channels
	}
	return Chunk{Format: Format{SampleRate: s.rs.OutputRate(), Channels: ch}}
}

// HandleCommand applies a speed change and, for a new epoch, seeks.
func (s *DecodeSource) HandleCommand(cmd Command) {
	if cmd.Speed != 0 {
		s.rs.SetSpeed(cmd.Speed)
	}
	if cmd.Epoch == s.epoch {
		return
	}
	s.epoch = cmd.Epoch
	if s.hasHeld {
		s.held.Release()
		s.held, s.hasHeld = Chunk{}, false
	}
	s.rs.Reset()
	s.done, s.err = false, nil
	if _, err := s.dec.Seek(cmd.Pos); err != nil {
		s.err = fmt.Errorf("decode: seek to %v: %w", cmd.Pos, err)
	}
}

// Epoch reports the epoch of the source's current position.
func (s *DecodeSource) Epoch() uint64 { return s.epoch }

// remix converts c to the configured channel count.
func (s *DecodeSource) remix(c Chunk) Chunk {
	to := s.channels
	from := c.Format.Channels
	if to == 0 || to == from || from == 0 {
		return c
	}
	n := c.Frames()
	out := bufpool.Float32.Get(n * to)
	in := c.Samples
	switch {
	case to == 1: // average down to mono
		g := 1 / float32(from)
		for i := range n {
			var sum float32
			for _, v := range in[i*from : i*from+from] {
				sum += v
			}
			out[i] = sum * g
		}
	default: // repeat channels cyclically (mono to all), or drop the extra ones
		for i := range n {
			src, dst := in[i*from:i*from+from], out[i*to:i*to+to]
			for k := range dst {
				dst[k] = src[k%from]
			}
		}
	}
	c.Release()
	return Chunk{Format: Format{SampleRate: c.Format.SampleRate, Channels: to}, Samples: out, Time: c.Time}
}

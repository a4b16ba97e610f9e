//go:build !hotpath

package decode

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/hotpath-go/hotpath/kithara/stream"
	"github.com/hotpath-go/hotpath/kithara/worker"
)

// ErrClosed is returned by Pipeline methods after Close.
var ErrClosed = errors.New("decode: pipeline closed")

// LiveCapacity is the capacity of a Pipeline's live channel: how many blocks
// of PCM may wait for a slow consumer before decoding stops.
const LiveCapacity = 8

// Option configures a Pipeline.
type Option func(*config)

type config struct {
	rate     int
	channels int
	codec    Codec
	buffer   bool
	limit    int64
	noLive   bool
	segments bool
	delay    int
}

// WithOutputRate sets the output sample rate; by default it is the rate of
// the stream's first frame.
func WithOutputRate(hz int) Option { return func(c *config) { c.rate = hz } }

// WithChannels sets the output channel count; by default it is the stream's
// own. Mono is duplicated to more channels and more channels are averaged to
// mono, so that an ABR switch between stereo and mono variants keeps one
// output format.
func WithChannels(n int) Option { return func(c *config) { c.channels = n } }

// WithCodec skips probing: the codec is known already, from an HLS CODECS
// attribute for example.
func WithCodec(codec Codec) Option { return func(c *config) { c.codec = codec } }

// WithBuffer makes the pipeline fill a PCMBuffer, for random access by frame,
// keeping at least the newest limit frames (all of them if limit <= 0).
func WithBuffer(limit int64) Option {
	return func(c *config) { c.buffer, c.limit = true, limit }
}

// WithSegments says the stream is a concatenation of segments (an HLS
// source): an MP3 stream is then decoded with MP3Options.Segmented.
func WithSegments() Option { return func(c *config) { c.segments = true } }

// WithSegmentsFrom is WithSegments for a stream read from a later segment:
// encoderDelay is the stream's LAME encoder delay (MP3Options.EncoderDelay),
// as MP3EncoderDelay reads it from the stream's first bytes.
func WithSegmentsFrom(encoderDelay int) Option {
	return func(c *config) { c.segments, c.delay = true, encoderDelay }
}

// WithoutLive turns the live channel off: output goes only to the buffer,
// and decoding runs ahead without waiting for a consumer.
func WithoutLive() Option { return func(c *config) { c.noLive = true } }

// Pipeline decodes a stream on a background worker: decoder → resampler →
// worker.SyncWorker → a live channel and, optionally, a PCMBuffer.
//
// The live channel (capacity LiveCapacity) carries every block of the current
// epoch in order, with EOF set on the last one; when it is full, decoding
// waits, so a pipeline with a live channel needs a reader of it (use
// WithoutLive for buffer-only decoding). Seek starts a new epoch: blocks of
// earlier epochs still in the channel carry their old epoch, which the
// consumer compares with Epoch.
//
// All methods are safe for concurrent use. Close stops the worker and waits
// for it.
type Pipeline struct {
	w      *worker.SyncWorker[Block, Command]
	cmds   chan<- Command
	live   chan worker.Fetch[Block]
	buf    *PCMBuffer
	format Format
	ctx    context.Context
	cancel context.CancelFunc
	pumped chan struct{} // closed when the pump goroutine has returned
	closer io.Closer     // a reader the pipeline made and must close
	abort  func()        // unblocks that reader's pending read

	sendMu sync.Mutex // serialises commands, so the newest state is sent last
	mu     sync.Mutex // guards state and epochs, and orders buffer writes against seeks
	state  Command
	epochs worker.EpochValidator

	closeOnce sync.Once
	closeErr  error
}

// OpenSource decodes a stream.Source: it reads it through a
// stream.SyncReader, which prefetches ahead of the decoder, probes the codec
// (unless WithCodec says it) and starts the pipeline. Close closes the reader.
func OpenSource(ctx context.Context, src stream.Source, opts ...Option) (*Pipeline, error) {
	// The reader gets a context of its own, which Close cancels: a decoder
	// blocked on bytes that have not arrived must not hold Close up.
	rctx, abort := context.WithCancel(ctx)
	r := stream.NewSyncReader(rctx, src)
	p, err := Open(ctx, r, opts...)
	if err != nil {
		abort()
		_ = r.Close()
		return nil, err
	}
	p.closer, p.abort = r, abort
	return p, nil
}

// Open decodes the stream in r: it probes the codec (unless WithCodec says
// it), opens the decoder and starts the pipeline. Reads of r happen on the
// pipeline's worker goroutine; if they can block, Close waits for the one in
// progress, so r should be a reader that ctx or Close unblocks (OpenSource
// arranges that).
func Open(ctx context.Context, r io.ReadSeeker, opts ...Option) (*Pipeline, error) {
	var cfg config
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	codec := cfg.codec
	if codec == CodecUnknown {
		c, err := Probe(r)
		if err != nil {
			return nil, err
		}
		codec = c
	}
	var dec Decoder
	var err error
	if codec == CodecMP3 && cfg.segments {
		dec, err = NewMP3DecoderWith(r, MP3Options{Segmented: true, EncoderDelay: cfg.delay})
	} else {
		dec, err = NewDecoderFor(codec, r)
	}
	if err != nil {
		return nil, err
	}
	return NewPipeline(ctx, dec, opts...), nil
}

// NewPipeline starts a pipeline over dec. The pipeline runs until Close or
// until ctx is done.
func NewPipeline(ctx context.Context, dec Decoder, opts ...Option) *Pipeline {
	var cfg config
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	in := dec.Format()
	out := Format{SampleRate: cfg.rate, Channels: cfg.channels}
	if out.SampleRate <= 0 {
		out.SampleRate = in.SampleRate
	}
	if out.Channels <= 0 {
		out.Channels = in.Channels
	}
	src := NewDecodeSource(dec, out.SampleRate, out.Channels)
	w := worker.NewSyncWorker(src, worker.WithDataCapacity(LiveCapacity))
	ctx, cancel := context.WithCancel(ctx)
	pumped := make(chan struct{})
	p := &Pipeline{
		w:      w,
		cmds:   w.Commands(),
		format: out,
		ctx:    ctx,
		cancel: cancel,
		pumped: pumped,
		state:  Command{Speed: 1},
	}
	if !cfg.noLive {
		//hotpath:channel label=decode_live
		live := make(chan worker.Fetch[Block], LiveCapacity)
		p.live = live
	}
	if cfg.buffer {
		p.buf = NewPCMBuffer(out, cfg.limit)
	}
	//hotpath:go label=decode_worker
	go func() { _ = w.Run(ctx) }() // it ends when ctx is cancelled; Close waits on w.Done
	//hotpath:go label=decode_pump
	go p.pump()
	return p
}

// pump moves the worker's output to the buffer and the live channel,
// dropping blocks of stale epochs and repeated end marks.
func (p *Pipeline) pump() {
	defer close(p.pumped)
	if p.live != nil {
		defer close(p.live)
	}
	ended := false // the current epoch's end has been delivered
	epoch := uint64(0)
	for f := range p.w.Data() {
		p.mu.Lock()
		current := p.epochs.Valid(f.Epoch)
		if current && p.buf != nil {
			_ = p.buf.Append(f.Data.Chunk) // the source emits the buffer's format
			if f.EOF {
				p.buf.Finish(f.Data.Err)
			}
		}
		p.mu.Unlock()
		if f.Epoch != epoch {
			epoch, ended = f.Epoch, false
		}
		// A command after the end (a speed change) wakes the worker, which
		// reports the end again: pass it on once.
		if !current || (ended && f.EOF && f.Data.Frames() == 0) || p.live == nil {
			f.Data.Release()
			continue
		}
		ended = ended || f.EOF
		select {
		case p.live <- f:
		case <-p.ctx.Done():
			f.Data.Release()
			for f := range p.w.Data() { // until the worker, stopping too, closes it
				f.Data.Release()
			}
			return
		}
	}
}

// Chunks returns the live channel, or nil under WithoutLive. It is closed
// after Close.
func (p *Pipeline) Chunks() <-chan worker.Fetch[Block] { return p.live }

// Buffer returns the PCM buffer, or nil without WithBuffer. It holds the
// current epoch only: Seek resets it.
func (p *Pipeline) Buffer() *PCMBuffer { return p.buf }

// Format reports the output format.
func (p *Pipeline) Format() Format { return p.format }

// Epoch reports the current epoch; live blocks of any other are stale.
func (p *Pipeline) Epoch() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.epochs.Epoch()
}

// Speed reports the speed last set.
func (p *Pipeline) Speed() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state.Speed
}

// SetSpeed sets the playback speed, clamped to [MinSpeed, MaxSpeed]. It takes
// effect from the next block decoded; blocks already queued keep the old
// speed.
func (p *Pipeline) SetSpeed(s float64) error {
	return p.command(func(st *Command) { st.Speed = clampSpeed(s) })
}

// Seek moves playback to media time t and starts a new epoch, which it
// returns. The buffer is reset to origin t at once; the first block of the
// new epoch starts at t, or at the end of the stream if t is past it.
func (p *Pipeline) Seek(t time.Duration) (uint64, error) {
	var epoch uint64
	err := p.command(func(st *Command) {
		epoch = p.epochs.Next()
		st.Epoch, st.Pos = epoch, max(t, 0)
		if p.buf != nil {
			p.buf.Reset(st.Pos)
		}
	})
	return epoch, err
}

// command updates the target state and sends it to the worker.
func (p *Pipeline) command(update func(*Command)) error {
	p.sendMu.Lock()
	defer p.sendMu.Unlock()
	if p.ctx.Err() != nil {
		return ErrClosed
	}
	p.mu.Lock()
	update(&p.state)
	cmd := p.state
	p.mu.Unlock()
	select {
	case p.cmds <- cmd:
		return nil
	case <-p.w.Done():
		return ErrClosed
	}
}

// Close stops the pipeline and waits for its goroutines; it closes the live
// channel and, for OpenSource, the reader. Later calls return the first
// call's result.
func (p *Pipeline) Close() error {
	p.closeOnce.Do(func() {
		p.cancel()
		if p.abort != nil {
			p.abort()
		}
		<-p.w.Done()
		<-p.pumped
		if p.closer != nil {
			if err := p.closer.Close(); err != nil {
				p.closeErr = fmt.Errorf("decode: close reader: %w", err)
			}
		}
	})
	return p.closeErr
}

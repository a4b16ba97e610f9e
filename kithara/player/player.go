//go:build !hotpath

// Package player opens an audio URL — an HLS presentation or a progressive
// MP3, FLAC or WAV file — and plays it to interleaved float32 PCM at one
// output format, with seeks, speed changes and, for HLS, adaptive bitrate.
//
// It is the small facade over the rest of the Kithara port: kithara/hls or
// kithara/file fetch the bytes through the kithara/assets cache, and
// kithara/decode's Pipeline decodes and resamples them on a worker.
package player

//go:generate go tool hotpathgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/hotpath-go/hotpath/kithara/assets"
	"github.com/hotpath-go/hotpath/kithara/decode"
	"github.com/hotpath-go/hotpath/kithara/file"
	"github.com/hotpath-go/hotpath/kithara/hls"
	"github.com/hotpath-go/hotpath/kithara/hls/abr"
	knet "github.com/hotpath-go/hotpath/kithara/net"
	"github.com/hotpath-go/hotpath/kithara/stream"
	"github.com/hotpath-go/hotpath/kithara/worker"
)

// Options configure Open. Either CacheDir or Store is required.
type Options struct {
	// CacheDir is the directory of the byte cache, opened (and closed with
	// the Player) when Store is nil.
	CacheDir string
	// Store is a cache the caller owns and shares between players.
	Store *assets.Store
	// Net fetches; nil means a knet.HttpClient behind knet.WithRetry with
	// the default policy.
	Net knet.Net
	// Header is sent with the requests for a progressive file.
	Header http.Header
	// SampleRate is the output rate in Hz; 0 means the rate of the first
	// audio frame. An HLS variant switch to another rate is resampled to it.
	SampleRate int
	// Channels is the output channel count; 0 means the stream's own for a
	// file and 2 for HLS, so that variants with other layouts keep one
	// output format.
	Channels int
	// ABR configures the HLS variant choice: abr.Auto (the zero value) or
	// abr.Manual with a fixed variant.
	ABR abr.Options
	// KeyProcessor transforms HLS AES-128 keys after they are fetched.
	KeyProcessor hls.KeyProcessor
	// OnEvent receives the HLS events (see hls.Options.OnEvent).
	OnEvent func(hls.Event)
}

// Player plays one URL. Next, Read, Seek and SetSpeed are meant for one
// consumer goroutine; Close may be called from any.
type Player struct {
	ctx      context.Context // the life of the background work
	cancel   context.CancelFunc
	kind     Kind
	hls      *hls.HlsSource
	file     *file.Source
	store    *assets.Store // non-nil when the Player opened it
	codec    decode.Codec
	format   decode.Format
	duration time.Duration
	// mp3Delay is the LAME encoder delay the first segment of an MP3 HLS
	// declares, for decoders opened at later segments; 0 if none.
	mp3Delay int

	mu   sync.Mutex // guards the fields below; Next waits without it
	pipe *decode.Pipeline
	// base is the presentation time of the pipeline's time 0: an HLS seek
	// opens a pipeline at the start of a segment.
	base   time.Duration
	speed  float64
	closed bool
	// end is the error ending the current pipeline's output (io.EOF at the
	// end), returned once the audio before it is out.
	end error

	rest decode.Chunk // what Read has not handed out of the last chunk
}

// ErrClosed reports use of a closed Player.
var ErrClosed = errors.New("player: closed")

// Open detects what rawURL holds (see Kind), starts fetching it and opens
// the decoder. ctx bounds the opening only: once Open returns, fetching and
// decoding run in the background until Close.
//
//hotpath:measure
func Open(ctx context.Context, rawURL string, opts Options) (*Player, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("player: open %s: %w", rawURL, err)
	}
	n := opts.Net
	if n == nil {
		n = knet.WithRetry(knet.NewHttpClient(knet.Options{}), knet.DefaultRetryPolicy())
	}
	// The background work outlives ctx; ctx only cancels it while opening.
	life, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	p := &Player{ctx: life, cancel: cancel, speed: 1}
	store := opts.Store
	if store == nil {
		if opts.CacheDir == "" {
			return nil, errors.New("player: Options.CacheDir or Options.Store is required")
		}
		if store, err = assets.Open(opts.CacheDir, assets.Options{}); err != nil {
			return nil, fmt.Errorf("player: open cache: %w", err)
		}
		p.store = store
	}
	if err := p.open(life, u, n, store, opts); err != nil {
		p.Close()
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("player: open %s: %w", rawURL, err)
	}
	return p, nil
}

// open does Open's work once the cache is there.
func (p *Player) open(ctx context.Context, u *url.URL, n knet.Net, store *assets.Store, opts Options) error {
	kind, err := detect(ctx, n, u)
	if err != nil {
		return err
	}
	p.kind = kind
	var src stream.Source
	var dopts []decode.Option
	switch kind {
	case KindHLS:
		h, err := hls.Open(ctx, u.String(), hls.Options{
			Store: store, Net: n, ABR: opts.ABR, KeyProcessor: opts.KeyProcessor, OnEvent: opts.OnEvent,
		})
		if err != nil {
			return err
		}
		p.hls, src = h, h
		// Segments may each start with an ID3 tag and a Xing/LAME frame.
		dopts = append(dopts, decode.WithSegments())
		variant := h.Master().Variants[opts.ABR.Initial]
		if c, err := decode.ProbeCodecs(variant.Codecs); err == nil {
			p.codec = c
		} else if variant.Codecs != "" && !errors.Is(err, decode.ErrNotAudio) {
			return err
		}
		pl, err := h.MediaPlaylist(ctx, opts.ABR.Initial)
		if err != nil {
			return err
		}
		p.duration = pl.Duration()
		if opts.Channels == 0 {
			opts.Channels = 2
		}
	case KindFile:
		f, err := file.Open(ctx, u.String(), store, n, file.Options{Header: opts.Header})
		if err != nil {
			return err
		}
		p.file, src = f, f
	}
	if p.codec != decode.CodecUnknown {
		dopts = append(dopts, decode.WithCodec(p.codec))
	}
	if opts.SampleRate > 0 {
		dopts = append(dopts, decode.WithOutputRate(opts.SampleRate))
	}
	if opts.Channels > 0 {
		dopts = append(dopts, decode.WithChannels(opts.Channels))
	}
	pipe, err := decode.OpenSource(ctx, src, dopts...)
	if err != nil {
		return err
	}
	p.pipe, p.format = pipe, pipe.Format()
	if p.hls != nil {
		// The decoder has read the stream's first bytes: they are there.
		head := make([]byte, 4<<10)
		n, _ := p.hls.ReadAt(head, 0)
		p.mp3Delay, _ = decode.MP3EncoderDelay(head[:n])
	}
	return nil
}

// Kind reports what the URL holds.
func (p *Player) Kind() Kind { return p.kind }

// Format reports the output format: every chunk has it.
func (p *Player) Format() decode.Format { return p.format }

// HLS returns the HLS source for variant control, or nil for a file.
func (p *Player) HLS() *hls.HlsSource { return p.hls }

// Duration reports the presentation's duration when it is known: from the
// playlist for HLS.
func (p *Player) Duration() (time.Duration, bool) {
	return p.duration, p.kind == KindHLS
}

// Next returns the next chunk of PCM, whose Time is its presentation time.
// The caller owns the chunk (see decode.Chunk.Release). At the end it
// returns io.EOF; a failure of fetching or decoding is returned once the
// audio before it has been delivered.
//
//hotpath:measure
func (p *Player) Next(ctx context.Context) (decode.Chunk, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		if p.closed {
			return decode.Chunk{}, ErrClosed
		}
		if p.end != nil {
			return decode.Chunk{}, p.end
		}
		pipe := p.pipe
		var (
			f  worker.Fetch[decode.Block]
			ok bool
		)
		// Wait without the lock, so that Close can stop the pipeline.
		p.mu.Unlock()
		select {
		case f, ok = <-pipe.Chunks():
		case <-ctx.Done():
			p.mu.Lock()
			return decode.Chunk{}, ctx.Err()
		}
		p.mu.Lock()
		if !ok || pipe != p.pipe || f.Epoch != pipe.Epoch() {
			f.Data.Release()
			continue
		}
		switch {
		case f.Data.Err != nil:
			p.end = f.Data.Err
		case f.EOF:
			p.end = io.EOF
		}
		if c := f.Data.Chunk; c.Frames() > 0 {
			c.Time += p.base
			return c, nil
		}
	}
}

// Read fills dst with interleaved samples in Format and returns how many
// it wrote, a whole number of frames unless dst is shorter than one. It
// returns io.EOF at the end.
func (p *Player) Read(dst []float32) (int, error) {
	n := 0
	for n < len(dst) {
		if len(p.rest.Samples) == 0 {
			p.rest.Release()
			c, err := p.Next(p.ctx)
			if err != nil {
				p.rest = decode.Chunk{}
				if n > 0 && errors.Is(err, io.EOF) {
					return n, nil
				}
				return n, err
			}
			p.rest = c
		}
		m := copy(dst[n:], p.rest.Samples)
		p.rest.Samples = p.rest.Samples[m:]
		n += m
	}
	return n, nil
}

// Seek moves playback to presentation time t. For HLS it restarts the
// download at the segment that plays at t and opens a decoder there, so
// the segments in between are never fetched; a file seeks in the decoder.
func (p *Player) Seek(t time.Duration) error {
	p.rest.Release()
	p.rest = decode.Chunk{}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	if p.kind != KindHLS {
		p.end = nil
		_, err := p.pipe.Seek(t)
		return err
	}
	off, start, err := p.hls.SeekTime(p.ctx, t)
	if err != nil {
		return err
	}
	opts := []decode.Option{decode.WithOutputRate(p.format.SampleRate), decode.WithChannels(p.format.Channels), decode.WithSegmentsFrom(p.mp3Delay)}
	if p.codec != decode.CodecUnknown {
		opts = append(opts, decode.WithCodec(p.codec))
	}
	pipe, err := decode.OpenSource(p.ctx, offsetSource{src: p.hls, off: off}, opts...)
	if err != nil {
		return err
	}
	if err := pipe.SetSpeed(p.speed); err != nil {
		pipe.Close()
		return err
	}
	if t > start {
		if _, err := pipe.Seek(t - start); err != nil {
			pipe.Close()
			return err
		}
	}
	old := p.pipe
	p.pipe, p.base, p.end = pipe, start, nil
	return old.Close()
}

// SetSpeed sets the playback speed, clamped to decode.MinSpeed..MaxSpeed.
func (p *Player) SetSpeed(s float64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	p.speed = s
	return p.pipe.SetSpeed(s)
}

// Close stops decoding and fetching and releases the cache.
func (p *Player) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	pipe := p.pipe
	p.mu.Unlock()
	var errs []error
	if pipe != nil {
		errs = append(errs, pipe.Close())
	}
	if p.hls != nil {
		errs = append(errs, p.hls.Close())
	}
	if p.file != nil {
		errs = append(errs, p.file.Close())
	}
	if p.store != nil {
		errs = append(errs, p.store.Close())
	}
	p.cancel()
	return errors.Join(errs...)
}

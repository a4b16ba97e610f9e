//go:build !hotpath

// Package player opens an audio URL — an HLS presentation (MP3 or AAC-LC,
// in raw, packed, MPEG-TS or fMP4 segments) or a progressive MP3, FLAC or
// WAV file — and plays it to interleaved PCM at one output format, with
// seeks, speed changes and, for HLS, adaptive bitrate. A Player is an
// io.Reader of that PCM as little-endian bytes (float32 or int16).
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
	// Header is sent with every request: a progressive file's, and an HLS
	// presentation's playlists, keys, init sections and segments.
	Header http.Header
	// PCM is the sample encoding Read (the io.Reader) produces: PCMFloat32
	// (the zero value) or PCMInt16. ReadSamples always gives float32.
	PCM PCMEncoding
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
	format   decode.Format
	duration time.Duration
	// durationKnown is set for a file whose decoder knows its length.
	durationKnown bool

	pcm PCMEncoding
	// mp3Delay is the LAME encoder delay the first segment of an MP3 HLS
	// declares, for decoders opened at later segments; 0 if none.
	mp3Delay int

	mu   sync.Mutex // guards the fields below; Next waits without it
	pipe *decode.Pipeline
	// dec is the decoder the pipeline runs: its reads are aborted and it
	// is closed with the pipeline.
	dec ownedDecoder
	// base is the presentation time of the pipeline's time 0: an HLS seek
	// opens a pipeline at the start of a segment.
	base   time.Duration
	speed  float64
	closed bool
	// end is the error ending the current pipeline's output (io.EOF at the
	// end), returned once the audio before it is out.
	end error

	rest decode.Chunk // what Read has not handed out of the last chunk
	// pcmBuf holds the encoded bytes of a sample Read took from rest but
	// could not hand out whole (p ended inside it).
	pcmBuf []byte
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
	if opts.PCM != PCMFloat32 && opts.PCM != PCMInt16 {
		cancel()
		return nil, fmt.Errorf("player: open %s: unknown PCM encoding %d", rawURL, int(opts.PCM))
	}
	p := &Player{ctx: life, cancel: cancel, speed: 1, pcm: opts.PCM}
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
	kind, err := detect(ctx, n, u, opts.Header)
	if err != nil {
		return err
	}
	p.kind = kind
	var dopts []decode.Option
	if opts.SampleRate > 0 {
		dopts = append(dopts, decode.WithOutputRate(opts.SampleRate))
	}
	switch kind {
	case KindHLS:
		h, err := hls.Open(ctx, u.String(), hls.Options{
			Store: store, Net: n, ABR: opts.ABR, KeyProcessor: opts.KeyProcessor, OnEvent: opts.OnEvent,
			Header: opts.Header,
		})
		if err != nil {
			return err
		}
		p.hls = h
		pl, err := h.MediaPlaylist(ctx, opts.ABR.Initial)
		if err != nil {
			return err
		}
		p.duration = pl.Duration()
		if opts.Channels == 0 {
			opts.Channels = 2
		}
		dec, err := newHLSDecoder(ctx, h, 0, 0)
		if err != nil {
			return err
		}
		p.dec = dec
		// The decoder has found the stream's first bytes: they are there.
		head := make([]byte, 4<<10)
		n, _ := h.ReadAt(head, 0)
		p.mp3Delay, _ = decode.MP3EncoderDelay(head[:n])
	case KindFile:
		f, err := file.Open(ctx, u.String(), store, n, file.Options{Header: opts.Header})
		if err != nil {
			return err
		}
		p.file = f
		dec, err := openStream(ctx, f)
		if err != nil {
			return err
		}
		p.dec = dec
		p.duration, p.durationKnown = dec.Duration()
	}
	if opts.Channels > 0 {
		dopts = append(dopts, decode.WithChannels(opts.Channels))
	}
	p.pipe = decode.NewPipeline(ctx, p.dec, dopts...)
	p.format = p.pipe.Format()
	return nil
}

// Kind reports what the URL holds.
func (p *Player) Kind() Kind { return p.kind }

// Format reports the output format: every chunk has it.
func (p *Player) Format() decode.Format { return p.format }

// HLS returns the HLS source for variant control, or nil for a file.
func (p *Player) HLS() *hls.HlsSource { return p.hls }

// Duration reports the presentation's duration when it is known: from the
// playlist for HLS, from the decoder for a file (a FLAC or WAV header, an
// MP3's Xing frame).
func (p *Player) Duration() (time.Duration, bool) {
	return p.duration, p.kind == KindHLS || p.durationKnown
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

// ReadSamples fills dst with interleaved float32 samples in Format and
// returns how many it wrote, a whole number of frames unless dst is shorter
// than one. It returns io.EOF at the end. Use it or Read, not both.
func (p *Player) ReadSamples(dst []float32) (int, error) {
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
	p.rest, p.pcmBuf = decode.Chunk{}, p.pcmBuf[:0]
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
	dec, err := newHLSDecoder(p.ctx, p.hls, off, p.mp3Delay)
	if err != nil {
		return err
	}
	pipe := decode.NewPipeline(p.ctx, dec, decode.WithOutputRate(p.format.SampleRate), decode.WithChannels(p.format.Channels))
	if err := pipe.SetSpeed(p.speed); err != nil {
		_ = closePipe(pipe, dec)
		return err
	}
	if t > start {
		if _, err := pipe.Seek(t - start); err != nil {
			_ = closePipe(pipe, dec)
			return err
		}
	}
	oldPipe, oldDec := p.pipe, p.dec
	p.pipe, p.dec, p.base, p.end = pipe, dec, start, nil
	return closePipe(oldPipe, oldDec)
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
	pipe, dec := p.pipe, p.dec
	p.mu.Unlock()
	var errs []error
	errs = append(errs, closePipe(pipe, dec))
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

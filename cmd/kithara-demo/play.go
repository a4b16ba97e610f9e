//go:build !hotpath

package main

//go:generate go tool hotpathgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/hotpath-go/hotpath/kithara/hls"
	"github.com/hotpath-go/hotpath/kithara/hls/abr"
	knet "github.com/hotpath-go/hotpath/kithara/net"
	"github.com/hotpath-go/hotpath/kithara/player"
)

// playback is one run of the player over a URL.
type playback struct {
	url     string
	fixture bool // url is the built-in fixture server's presentation
	cache   string
	seek    seekFlag
	speed   float64
}

// unknownMidway is where the half-way actions happen when the duration is
// not known (a progressive file whose decoder cannot tell).
const unknownMidway = time.Second

// play plays the URL to the end, changing the speed and seeking once
// half-way, and returns what it played.
func (pl *playback) play(ctx context.Context) (*summary, error) {
	start := time.Now()
	tr := newCountingTransport()
	defer tr.CloseIdleConnections()
	rec := &recorder{}
	opts := player.Options{
		CacheDir: pl.cache,
		Net:      knet.WithRetry(knet.NewHttpClient(knet.Options{Client: &http.Client{Transport: tr}}), knet.DefaultRetryPolicy()),
		OnEvent:  rec.record,
	}
	if pl.fixture {
		// Start at the fixture's top variant, which the server throttles,
		// so that ABR has a reason to switch down.
		opts.ABR = abr.Options{Mode: abr.Auto, Initial: 2}
	}
	p, err := open(ctx, pl.url, opts)
	if err != nil {
		return nil, err
	}
	defer p.Close()

	sum := &summary{url: pl.url, kind: p.Kind(), format: p.Format(), speed: 1}
	sum.duration, sum.durationKnown = p.Duration()
	if h := p.HLS(); h != nil {
		sum.variants = h.Master().Variants
	}
	midway := unknownMidway
	if sum.durationKnown {
		midway = sum.duration / 2
	}
	target := pl.seek.at
	if pl.seek.auto {
		target = midway + midway/2
	}
	acted := false
	for {
		//hotpath:block next_chunk
		c, err := p.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("play %s: after %d frames: %w", pl.url, sum.frames, err)
		}
		sum.frames += int64(c.Frames())
		at := c.Time
		c.Release()
		if acted || at < midway {
			continue
		}
		acted = true
		if pl.speed != 1 {
			if err := p.SetSpeed(pl.speed); err != nil {
				return nil, fmt.Errorf("set speed %g: %w", pl.speed, err)
			}
			sum.speed, sum.speedAt = pl.speed, at
		}
		if !pl.seek.off {
			if err := seek(p, target); err != nil {
				return nil, fmt.Errorf("seek to %v: %w", target, err)
			}
			sum.seeks = append(sum.seeks, seekRecord{from: at, to: target})
		}
	}
	if err := p.Close(); err != nil {
		return nil, fmt.Errorf("close the player: %w", err)
	}
	sum.events = rec.take()
	sum.requests, sum.bytes = tr.requests.Load(), tr.bytes.Load()
	sum.wall = time.Since(start)
	return sum, nil
}

// open opens the player: it detects the kind of URL, reads the playlists
// or starts the download, and opens the decoder on the first bytes.
//
//hotpath:measure
func open(ctx context.Context, url string, opts player.Options) (*player.Player, error) {
	return player.Open(ctx, url, opts)
}

// seek moves the player: for HLS that restarts the download at the target
// segment and opens a decoder there, which waits for its first bytes.
//
//hotpath:measure
func seek(p *player.Player, t time.Duration) error {
	return p.Seek(t)
}

// recorder keeps the HLS events, which arrive on the driver's goroutine.
type recorder struct {
	mu     sync.Mutex
	events []hls.Event
}

func (r *recorder) record(e hls.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) take() []hls.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.events
}

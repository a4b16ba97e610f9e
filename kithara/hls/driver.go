//go:build !hotpath

package hls

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hotpath-go/hotpath/kithara/hls/abr"
)

// Driver constants.
const (
	// sampleBytes is how many bytes make one throughput sample.
	sampleBytes = 32_000
	// DefaultMaxBufferAhead is how far ahead of the reader the driver
	// fetches by default.
	DefaultMaxBufferAhead = 60 * time.Second
	// commandQueue is the capacity of the driver's command channel.
	commandQueue = 8
)

// commandKind says what a command asks of the driver.
type commandKind int

// Driver commands.
const (
	// cmdSeek restarts fetching at command.segment.
	cmdSeek commandKind = iota + 1
	// cmdForceVariant fixes the variant to command.variant from the next
	// segment boundary on (ABR goes to manual mode).
	cmdForceVariant
	// cmdAutoVariant hands the variant back to ABR.
	cmdAutoVariant
)

// command steers an HlsDriver; HlsSource sends them (SeekSegment,
// ForceVariant, AutoVariant).
type command struct {
	kind    commandKind
	segment int
	variant int
	// run is the index run a seek fills; HlsSource starts it so that it
	// can return the seek's offset before the driver gets there.
	run uint64
}

// HlsDriver is the download loop behind an HlsSource: it walks the segments
// of the variant ABR chooses, fetches them (and init sections, and keys)
// through the cache, feeds throughput samples to the ABR controller, applies
// its decisions at segment boundaries, publishes every finished segment to
// the segment index and reports what it does as events. It takes commands
// on a channel: seek to a segment, force a variant, return to ABR.
//
// It ports Kithara's SegmentStream. Its loop runs in one goroutine per
// source, and each download in a goroutine of its own, so that a command is
// taken while a download is in flight and a seek can cancel it.
type HlsDriver struct {
	playlists *playlistManager
	fetch     *fetchManager
	keys      *keyManager
	abr       *abr.Controller
	index     *segmentIndex
	cmds      chan command
	emit      func(Event)
	now       func() time.Time
	maxAhead  time.Duration

	// Loop state, owned by run's goroutine.
	variant int
	segment int
	runID   uint64
	lastMap *InitSection
	demux   demuxer
	idle    bool // at the end, or failed: wait for a command
}

// Variant returns the variant the driver fetches (or fetches next).
func (d *HlsDriver) Variant() int { return d.abr.Current() }

// Estimate returns ABR's throughput estimate in bits per second, and false
// before the first counted sample.
func (d *HlsDriver) Estimate() (float64, bool) { return d.abr.Estimate() }

// BufferAhead returns the presentation time fetched ahead of the reader.
func (d *HlsDriver) BufferAhead() time.Duration { return d.index.bufferAhead() }

// errSeek cancels a download that a seek made useless.
var errSeek = errors.New("hls: download abandoned for a seek")

// run fetches until ctx is done, and returns ctx's error.
//
//hotpath:measure
func (d *HlsDriver) run(ctx context.Context) error {
	d.emit(VariantApplied{From: -1, To: d.variant, Segment: d.segment, Reason: abr.ReasonInitial})
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		d.drainCommands()
		if d.idle {
			if err := d.wait(ctx, nil); err != nil {
				return err
			}
			continue
		}
		pl, err := d.playlists.mediaPlaylist(ctx, d.variant)
		if err != nil {
			d.failRun(-1, err)
			continue
		}
		if d.segment >= len(pl.Segments) {
			d.index.finish(d.runID)
			d.emit(EndOfStream{})
			d.idle = true
			continue
		}
		if d.maxAhead > 0 && d.index.bufferAhead() >= d.maxAhead && !d.index.readerStarving() {
			if err := d.wait(ctx, d.index.progress); err != nil {
				return err
			}
			continue
		}
		// A command that came while the reader caught up (a ForceVariant
		// sent before reading, say) belongs to this boundary, not the next.
		if d.drainCommands() {
			continue
		}
		if d.switchVariant() {
			continue // the new variant's playlist first
		}
		d.step(ctx, pl)
	}
}

// switchVariant applies the ABR decision at the boundary before the next
// segment. It reports whether the variant changed.
func (d *HlsDriver) switchVariant() bool {
	dec := d.abr.Decide(d.index.bufferAhead())
	if !dec.Changed || !d.abr.Apply(dec) {
		return false
	}
	d.emit(VariantApplied{From: d.variant, To: dec.Target, Segment: d.segment, Reason: dec.Reason})
	d.variant = dec.Target
	return true
}

// result is the outcome of one download goroutine.
type result struct {
	got fetched
	err error
}

// step fetches and publishes the init section the next segment needs, if
// any, and the segment. Commands that arrive meanwhile are applied; a seek
// abandons the download.
func (d *HlsDriver) step(ctx context.Context, pl *MediaPlaylist) {
	seg := &pl.Segments[d.segment]
	t0 := pl.StartOf(d.segment)
	if seg.Map != nil && (d.lastMap == nil || d.lastMap.URI.String() != seg.Map.URI.String()) {
		r, ok := d.download(ctx, -1, func(ctx context.Context) (fetched, error) {
			dec, err := d.keys.decrypter(ctx, seg.Map.Key, 0)
			if err != nil {
				return fetched{}, err
			}
			return d.fetch.fetchInit(ctx, seg.Map, dec)
		})
		if !ok {
			return
		}
		keep, err := d.demux.initSection(r)
		d.fetch.commitLater(r)
		if err != nil {
			d.failRun(-1, fmt.Errorf("init section %s: %w", segmentName(seg.Map.URI), err))
			return
		}
		if keep {
			d.publish(-1, r, t0, 0)
		}
		d.lastMap = seg.Map
	}
	s := &sampler{d: d, mark: d.now()}
	r, ok := d.download(ctx, d.segment, func(ctx context.Context) (fetched, error) {
		dec, err := d.keys.decrypter(ctx, seg.Key, seg.Sequence)
		if err != nil {
			return fetched{}, err
		}
		return d.fetch.fetchSegment(ctx, seg, dec, s.add)
	})
	if !ok {
		return
	}
	s.flush()
	r, err := d.demux.segment(r)
	d.fetch.commitLater(r)
	if err != nil {
		d.failRun(d.segment, fmt.Errorf("segment %d (%s): %w", seg.Sequence, segmentName(seg.URI), err))
		return
	}
	d.publish(d.segment, r, t0, seg.Duration)
	d.segment++
	d.emit(BufferLevel{Ahead: d.index.bufferAhead()})
}

// download runs fetch in a goroutine of its own while applying commands.
// It returns false when the download failed or a seek or ctx abandoned it.
func (d *HlsDriver) download(ctx context.Context, segment int, fetch func(context.Context) (fetched, error)) (fetched, bool) {
	d.emit(SegmentStart{Variant: d.variant, Segment: segment, Offset: d.index.nextOffset(d.runID)})
	dctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	done := make(chan result, 1)
	go func() {
		got, err := fetch(dctx)
		done <- result{got, err}
	}()
	var seek *command
	for {
		select {
		case r := <-done:
			if r.err == nil && (seek != nil || ctx.Err() != nil) {
				d.fetch.commitLater(r.got) // fetched whole, though no longer wanted
			}
			switch {
			case seek != nil:
				d.apply(*seek)
				return fetched{}, false
			case ctx.Err() != nil:
				return fetched{}, false
			case r.err != nil:
				d.failRun(segment, r.err)
				return fetched{}, false
			}
			return r.got, true
		case c := <-d.cmds:
			if c.kind == cmdSeek {
				seek = &c
				cancel(errSeek)
				continue
			}
			d.apply(c)
		case <-ctx.Done():
			cancel(ctx.Err())
			if r := <-done; r.err == nil {
				d.fetch.commitLater(r.got)
			}
			return fetched{}, false
		}
	}
}

// publish hands a finished download to the index and reports it.
func (d *HlsDriver) publish(segment int, r fetched, t0, dur time.Duration) {
	e := entry{end: r.size, variant: d.variant, segment: segment, res: r.res, t0: t0, dur: dur,
		data: r.data, codec: r.codec, priming: r.priming}
	off, ok := d.index.publish(d.runID, e)
	if !ok {
		return
	}
	d.emit(SegmentComplete{Variant: d.variant, Segment: segment, Offset: off, Bytes: r.size, Elapsed: r.elapsed, Cached: r.cached})
}

// failRun reports a failed download; readers past the end of the run get
// err, and the driver waits for a command (a seek may recover).
func (d *HlsDriver) failRun(segment int, err error) {
	d.emit(ErrorEvent{Variant: d.variant, Segment: segment, Err: err})
	d.index.fail(d.runID, err)
	d.idle = true
}

// drainCommands applies the commands already queued and reports whether
// there were any.
func (d *HlsDriver) drainCommands() (applied bool) {
	for {
		select {
		case c := <-d.cmds:
			d.apply(c)
			applied = true
		default:
			return applied
		}
	}
}

// wait blocks until a command arrives (and applies it), wake fires or ctx
// is done.
func (d *HlsDriver) wait(ctx context.Context, wake <-chan struct{}) error {
	select {
	case c := <-d.cmds:
		d.apply(c)
	case <-wake:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// apply carries out a command between downloads.
func (d *HlsDriver) apply(c command) {
	switch c.kind {
	case cmdSeek:
		if c.run == 0 {
			c.run, _ = d.index.startRun(c.segment)
		}
		d.runID, d.segment = c.run, max(c.segment, 0)
		d.lastMap, d.idle = nil, false
	case cmdForceVariant:
		if err := d.abr.SetManual(c.variant); err != nil {
			d.emit(ErrorEvent{Variant: c.variant, Segment: -1, Err: err})
		}
	case cmdAutoVariant:
		d.abr.SetAuto()
	}
}

// sampler turns the byte counts of one download into throughput samples of
// sampleBytes each, fed to ABR and reported as events.
type sampler struct {
	d     *HlsDriver
	mark  time.Time
	bytes int64
}

func (s *sampler) add(n int) {
	s.bytes += int64(n)
	if s.bytes >= sampleBytes {
		s.flush()
	}
}

// flush takes a sample of the bytes since the last one. Samples under
// abr.MinSampleBytes are reported but ignored by the estimator.
func (s *sampler) flush() {
	if s.bytes == 0 {
		return
	}
	now := s.d.now()
	sample := abr.Sample{Bytes: s.bytes, Duration: now.Sub(s.mark)}
	s.d.abr.AddSample(sample)
	s.d.emit(ThroughputSample{Bytes: sample.Bytes, Elapsed: sample.Duration, BitsPerSecond: sample.BitsPerSecond()})
	s.mark, s.bytes = now, 0
}

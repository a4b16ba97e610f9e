//go:build !hotpath

package hls

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/hotpath-go/hotpath/kithara/assets"
	"github.com/hotpath-go/hotpath/kithara/hls/abr"
	knet "github.com/hotpath-go/hotpath/kithara/net"
	"github.com/hotpath-go/hotpath/kithara/stream"
)

// Options configure Open.
type Options struct {
	// Store is the cache the presentation is fetched through. Required.
	Store *assets.Store
	// Net fetches; nil means a knet.HttpClient with default options behind
	// knet.WithRetry and the default retry policy.
	Net knet.Net
	// ABR configures the variant choice; its zero value is automatic
	// adaptation from variant 0 with the abr package's defaults.
	ABR abr.Options
	// KeyProcessor, when set, transforms every AES-128 key after it is
	// fetched (DRM unwrapping).
	KeyProcessor KeyProcessor
	// Header is sent with every request: playlists, keys, init sections
	// and segments.
	Header http.Header
	// KeyHeader holds extra headers for key requests (authorisation), sent
	// after Header's.
	KeyHeader http.Header
	// OnEvent receives the events of the presentation, one call at a time,
	// from the driver's and the reader's goroutines. It must not block and
	// must not call back into the source.
	OnEvent func(Event)
	// MaxBufferAhead is how much presentation time the driver fetches ahead
	// of the reader: 0 means DefaultMaxBufferAhead, a negative value no
	// limit.
	MaxBufferAhead time.Duration
	// Now is the clock for throughput samples; nil means time.Now.
	Now func() time.Time
}

// HlsSource is an HLS VOD presentation as one contiguous byte space (see
// stream.Source): the segments of the variants ABR chooses, end to end, in
// playback order, readable while the driver is still fetching. The segments
// are out of their containers (see the package doc): a decoder of the
// elementary stream reads it front to back and meets variant switches with
// the same codec as format changes in the stream; a switch to another codec
// ends a CodecRun.
//
// Seeks are by segment or by time, because only the driver can tell where a
// segment will land: SeekSegment returns the offset to read from.
type HlsSource struct {
	index     *segmentIndex
	driver    *HlsDriver
	playlists *playlistManager
	lease     *assets.Lease
	cancel    context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once

	mu sync.Mutex // serialises seeks
}

var _ stream.Source = (*HlsSource)(nil)

// Open fetches the playlist at rawURL (a master playlist, or a media
// playlist taken as the only variant) and the initial variant's media
// playlist, and starts fetching segments in the background. The driver runs
// until Close or until ctx is done. Playlist errors are returned here, with
// the playlist's name and line (see ParseError).
func Open(ctx context.Context, rawURL string, opts Options) (*HlsSource, error) {
	if opts.Store == nil {
		return nil, errors.New("hls: Options.Store is required")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("hls: open %s: %w", rawURL, err)
	}
	root, err := assets.RootForURL(u)
	if err != nil {
		return nil, fmt.Errorf("hls: open %s: %w", rawURL, err)
	}
	n := opts.Net
	if n == nil {
		n = knet.WithRetry(knet.NewHttpClient(knet.Options{}), knet.DefaultRetryPolicy())
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	maxAhead := opts.MaxBufferAhead
	if maxAhead == 0 {
		maxAhead = DefaultMaxBufferAhead
	}
	emit := serialEmitter(opts.OnEvent)

	lease, err := opts.Store.Acquire(root)
	if err != nil {
		return nil, fmt.Errorf("hls: open %s: %w", rawURL, err)
	}
	fetch := &fetchManager{net: n, lease: lease, now: now, header: opts.Header}
	fetch.onCommitErr = func(err error) { emit(ErrorEvent{Variant: -1, Segment: -1, Err: err}) }
	playlists, err := loadPlaylists(ctx, fetch, u)
	if err == nil {
		err = checkInitial(opts.ABR, len(playlists.master.Variants))
	}
	if err == nil {
		_, err = playlists.mediaPlaylist(ctx, opts.ABR.Initial)
	}
	var ctrl *abr.Controller
	if err == nil {
		abrOpts := opts.ABR
		if abrOpts.Now == nil {
			abrOpts.Now = now
		}
		ctrl, err = abr.New(playlists.master.Bandwidths(), abrOpts)
	}
	if err != nil {
		// The playlists fetched so far are being written to the cache in
		// the background: let them finish before the lease goes, so that
		// nothing writes into the store after Open has returned.
		fetch.waitCommits()
		lease.Close()
		return nil, fmt.Errorf("hls: open %s: %w", rawURL, err)
	}

	index := newSegmentIndex(emit)
	//hotpath:channel label=hls_commands
	cmds := make(chan command, commandQueue)
	d := &HlsDriver{
		playlists: playlists,
		fetch:     fetch,
		keys:      newKeyManager(fetch, opts.KeyProcessor, opts.KeyHeader, emit),
		abr:       ctrl,
		index:     index,
		cmds:      cmds,
		emit:      emit,
		now:       now,
		maxAhead:  maxAhead,
		variant:   ctrl.Current(),
		runID:     index.currentRun(),
	}
	dctx, cancel := context.WithCancel(ctx)
	s := &HlsSource{index: index, driver: d, playlists: playlists, lease: lease, cancel: cancel, done: make(chan struct{})}
	//hotpath:go label=hls_driver
	go func() {
		defer close(s.done)
		d.run(dctx)
	}()
	return s, nil
}

// checkInitial rejects an initial variant the presentation does not have,
// before its playlist is asked for.
func checkInitial(o abr.Options, variants int) error {
	if o.Initial < 0 || o.Initial >= variants {
		return fmt.Errorf("initial variant %d out of range [0, %d)", o.Initial, variants)
	}
	return nil
}

// serialEmitter makes calls of f one at a time; nil f discards events.
func serialEmitter(f func(Event)) func(Event) {
	if f == nil {
		return func(Event) {}
	}
	var mu sync.Mutex
	return func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		f(e)
	}
}

// WaitRange blocks until bytes [start, end) are published, the data ends
// inside the range (nil; ReadAt then returns the short count), start is at
// or past the end of the presentation (io.EOF), fetching failed before the
// range (the error), or ctx is done.
func (s *HlsSource) WaitRange(ctx context.Context, start, end int64) error {
	return s.index.WaitRange(ctx, start, end)
}

// ReadAt reads published bytes; it never waits. A read that reaches bytes
// not published yet returns the short count and storage.ErrUnavailable.
func (s *HlsSource) ReadAt(p []byte, off int64) (int, error) {
	return s.index.ReadAt(p, off)
}

// Len reports the length of the byte space once the last segment is
// published.
func (s *HlsSource) Len() (int64, bool) {
	return s.index.Len()
}

// Driver returns the driver that fetches for the source.
func (s *HlsSource) Driver() *HlsDriver { return s.driver }

// Master returns the master playlist (a one-variant stand-in when the URL
// was a media playlist).
func (s *HlsSource) Master() *MasterPlaylist {
	return s.playlists.master
}

// MediaPlaylist returns the media playlist of a variant, fetching it when
// needed.
func (s *HlsSource) MediaPlaylist(ctx context.Context, variant int) (*MediaPlaylist, error) {
	return s.playlists.mediaPlaylist(ctx, variant)
}

// SeekSegment returns the offset at which segment k of the presentation
// starts (at the init section before it, when it has one). When the bytes
// there are already laid out, or are the driver's next, it changes nothing;
// otherwise it starts a new stretch of the byte space for k and restarts
// the driver there. k is clamped to the segments of the presentation.
func (s *HlsSource) SeekSegment(ctx context.Context, k int) (int64, error) {
	pl, err := s.playlists.mediaPlaylist(ctx, s.driver.abr.Current())
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seekSegmentLocked(ctx, pl, k)
}

// seekSegmentLocked does SeekSegment's work under s.mu; pl is any variant's
// playlist (they have the same number of segments).
func (s *HlsSource) seekSegmentLocked(ctx context.Context, pl *MediaPlaylist, k int) (int64, error) {
	k = min(max(k, 0), len(pl.Segments)-1)
	if off, ok := s.index.segmentOffset(k); ok {
		return off, nil
	}
	id, base := s.index.startRun(k)
	if err := s.send(ctx, command{kind: cmdSeek, segment: k, run: id}); err != nil {
		return 0, err
	}
	return base, nil
}

// SeekTime returns the offset of the segment that plays at t, and the
// presentation time at which the bytes at that offset start, restarting the
// driver as SeekSegment does when that segment is not laid out.
//
// Variants need not cut their segments at the same times (an MP3 frame
// lasts 1152 samples, so a 44.1 kHz and a 48 kHz variant end their segments
// a few milliseconds apart), and the byte space holds segments of whichever
// variant ABR chose for each. So a laid-out segment is found by its own
// start and duration, and the time returned is always that of the segment
// actually at the offset: SeekTime waits, when it has to, until the driver
// has published it. A segment fetched for the seek may come from another
// variant than the one whose playlist chose it, when ABR switches at that
// boundary; t then lies a few milliseconds outside it, and the start
// returned is still the one of the bytes at the offset, which is what a
// caller decoding from there and skipping t-start needs.
func (s *HlsSource) SeekTime(ctx context.Context, t time.Duration) (int64, time.Duration, error) {
	t = max(t, 0)
	pl, err := s.playlists.mediaPlaylist(ctx, s.driver.abr.Current())
	if err != nil {
		return 0, 0, err
	}
	s.mu.Lock()
	off, ok := s.index.timeOffset(t)
	if !ok {
		off, err = s.seekSegmentLocked(ctx, pl, pl.SegmentAt(t))
	}
	s.mu.Unlock()
	if err != nil {
		return 0, 0, err
	}
	start, err := s.index.segmentStart(ctx, off)
	if err != nil {
		return 0, 0, fmt.Errorf("hls: seek to %v: %w", t, err)
	}
	return off, start, nil
}

// ForceVariant fixes the variant from the next segment boundary on,
// switching ABR to manual mode.
func (s *HlsSource) ForceVariant(ctx context.Context, variant int) error {
	if variant < 0 || variant >= len(s.playlists.master.Variants) {
		return fmt.Errorf("hls: variant %d out of range [0, %d)", variant, len(s.playlists.master.Variants))
	}
	return s.send(ctx, command{kind: cmdForceVariant, variant: variant})
}

// AutoVariant hands the variant choice back to ABR.
func (s *HlsSource) AutoVariant(ctx context.Context) error {
	return s.send(ctx, command{kind: cmdAutoVariant})
}

// send queues a command for the driver.
func (s *HlsSource) send(ctx context.Context, c command) error {
	select {
	case s.driver.cmds <- c:
		return nil
	case <-s.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops the driver, fails pending and later reads with ErrClosed and
// releases the cache lease.
func (s *HlsSource) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.cancel()
		<-s.done
		s.driver.fetch.waitCommits()
		s.index.close()
		err = s.lease.Close()
	})
	return err
}

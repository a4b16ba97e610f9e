package file

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"

	"github.com/hotpath-go/hotpath/kithara/assets"
	knet "github.com/hotpath-go/hotpath/kithara/net"
	"github.com/hotpath-go/hotpath/kithara/storage"
)

// Options configures Open. The zero value is ready to use.
type Options struct {
	// Header is sent with every request (authorization, a user agent).
	Header http.Header
	// Logger receives debug records about the download. Nil discards them.
	Logger *slog.Logger
}

// Source is one URL, cached or downloading, as a stream.Source. It is safe
// for concurrent use. Close it when done.
type Source struct {
	url   string // as given, for requests
	name  string // redacted, for messages
	lease *assets.Lease
	res   *storage.StreamingResource

	// declared is the length the server announced, -1 until one is known.
	// It answers Len before the resource is committed.
	declared atomic.Int64

	cancel    context.CancelFunc
	done      chan struct{} // closed when the download goroutine has returned
	err       error         // download outcome, written before done is closed
	closeOnce sync.Once
	closeErr  error
}

// Open returns a Source for rawURL backed by store. When the store holds the
// resource complete, no request is made. Otherwise, unless another Source in
// this process is already downloading the same URL, Open probes the length
// with HEAD and starts the download; ctx bounds that probe only, and the
// download runs until it ends or the Source is closed.
func Open(ctx context.Context, rawURL string, store *assets.Store, client knet.Net, opts Options) (*Source, error) {
	u, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	root, err := assets.RootForURL(u)
	if err != nil {
		return nil, fmt.Errorf("file: open %s: %w", u.Redacted(), err)
	}
	lease, err := store.Acquire(root)
	if err != nil {
		return nil, fmt.Errorf("file: open %s: %w", u.Redacted(), err)
	}
	res, err := lease.OpenStreaming(assets.KeyForURL(u))
	if err != nil {
		lease.Close()
		return nil, fmt.Errorf("file: open %s: %w", u.Redacted(), err)
	}
	s := &Source{url: rawURL, name: u.Redacted(), lease: lease, res: res, cancel: func() {}, done: make(chan struct{})}
	s.declared.Store(-1)

	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if res.Status() == storage.StatusCommitted || !res.ClaimWriter() {
		// A cache hit, or another Source is filling the resource: there is
		// nothing to download here.
		log.Debug("file: no download", "url", u.Redacted(), "status", res.Status())
		close(s.done)
		return s, nil
	}

	if n, err := probeLength(ctx, client, rawURL, opts.Header); err != nil {
		if ctx.Err() != nil {
			res.Fail(err)
			lease.Close()
			return nil, fmt.Errorf("file: open %s: %w", u.Redacted(), err)
		}
		log.Debug("file: HEAD failed, length unknown until the body ends", "url", u.Redacted(), "err", err)
	} else {
		s.declared.Store(n)
	}

	dctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	s.cancel = func() { cancel(ErrStopped) }
	d := &download{src: s, net: client, header: opts.Header, log: log}
	go d.run(dctx)
	return s, nil
}

// parseURL accepts absolute http and https URLs with a host.
func parseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %w", ErrInvalidURL, raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Hostname() == "" {
		return nil, fmt.Errorf("%w %q: want an absolute http or https URL", ErrInvalidURL, raw)
	}
	return u, nil
}

// probeLength asks for the resource's length with HEAD. It returns an error
// when the length stays unknown; the caller decides whether that matters.
func probeLength(ctx context.Context, client knet.Net, rawURL string, header http.Header) (int64, error) {
	meta, err := client.Head(ctx, rawURL, header)
	if err != nil {
		return 0, err
	}
	if meta.ContentLength < 0 {
		return 0, errors.New("HEAD without Content-Length")
	}
	return meta.ContentLength, nil
}

// WaitRange blocks until bytes [start, end) can be read, following the
// stream.Source contract. The end of the file is only known for sure once the
// download is committed, so a range at or past the declared length waits for
// that (and gets io.EOF) or for the download's failure: a reader never sees a
// clean end of a file that failed.
func (s *Source) WaitRange(ctx context.Context, start, end int64) error {
	return s.res.WaitRange(ctx, start, end)
}

// ReadAt reads bytes that are already available; it never waits.
func (s *Source) ReadAt(p []byte, off int64) (int, error) {
	return s.res.ReadAt(p, off)
}

// Len reports the length: the committed one, or before that the one the
// server declared, which the download then verifies.
func (s *Source) Len() (n int64, known bool) {
	if n, ok := s.res.Len(); ok {
		return n, true
	}
	if n := s.declared.Load(); n >= 0 {
		return n, true
	}
	return 0, false
}

// Status reports the state of the underlying resource.
func (s *Source) Status() storage.Status { return s.res.Status() }

// Done is closed when this Source's download has ended, or at once when the
// Source did not need to download.
func (s *Source) Done() <-chan struct{} { return s.done }

// Err returns the download's error once Done is closed: nil for a committed
// download or one this Source did not run.
func (s *Source) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// Close stops the download, waits for its goroutine and releases the cache
// lease. A download stopped half-way fails its resource with ErrStopped, so
// readers sharing it see the error rather than wait forever. Close is
// idempotent.
func (s *Source) Close() error {
	s.closeOnce.Do(func() {
		s.cancel()
		<-s.done
		if err := s.lease.Close(); err != nil {
			s.closeErr = fmt.Errorf("file: close %s: %w", s.name, err)
		}
	})
	return s.closeErr
}

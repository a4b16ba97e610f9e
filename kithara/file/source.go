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
// with HEAD and starts the download: it returns once the GET has answered,
// and fails when that answer is an HTTP error (a [*knet.HTTPError]) or ctx
// is done first. The body then streams into the cache until it ends or the
// Source is closed; ctx does not bound it.
func Open(ctx context.Context, rawURL string, store *assets.Store, client knet.Net, opts Options) (*Source, error) {
	u, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	name := u.Redacted()
	root, err := assets.RootForURL(u)
	if err != nil {
		return nil, fmt.Errorf("file: open %s: %w", name, err)
	}
	lease, err := store.Acquire(root)
	if err != nil {
		return nil, fmt.Errorf("file: open %s: %w", name, err)
	}
	res, err := lease.OpenStreaming(assets.KeyForURL(u))
	if err != nil {
		lease.Close()
		return nil, fmt.Errorf("file: open %s: %w", name, err)
	}
	s := &Source{url: rawURL, name: name, lease: lease, res: res, cancel: func() {}, done: make(chan struct{})}
	s.declared.Store(-1)

	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if res.Status() == storage.StatusCommitted || !res.ClaimWriter() {
		// A cache hit, or another Source is filling the resource: there is
		// nothing to download here.
		log.Debug("file: no download", "url", name, "status", res.Status())
		close(s.done)
		return s, nil
	}

	if n, err := probeLength(ctx, client, rawURL, opts.Header); err != nil {
		if ctx.Err() != nil {
			return nil, s.abandon(netError("open", err))
		}
		// Servers that refuse HEAD (405, or 403 for URLs signed for GET
		// only) are common: only the GET's answer decides.
		log.Debug("file: HEAD failed, length unknown until the body ends", "url", name, "err", err)
	} else {
		s.declared.Store(n)
	}

	// The body outlives ctx, which only bounds waiting for the answer.
	dctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() { cancel(context.Cause(ctx)) })
	st, err := client.GetStream(dctx, rawURL, opts.Header)
	if !stop() && err == nil {
		// ctx ended as the answer came: the body is cancelled already.
		st.Body.Close()
		cancel(nil)
		return nil, s.abandon(s.urlError("open", context.Cause(ctx)))
	}
	if err != nil {
		cancel(nil)
		return nil, s.abandon(netError("open", err))
	}
	if err := s.checkLength(st.ContentLength); err != nil {
		st.Body.Close()
		cancel(nil)
		return nil, s.abandon(err)
	}
	s.cancel = func() { cancel(ErrStopped) }
	d := &download{src: s, body: st.Body, log: log}
	go d.run(dctx)
	return s, nil
}

// abandon fails the resource with err, so that Sources sharing it stop
// waiting, releases the lease and returns err.
func (s *Source) abandon(err error) error {
	s.res.Fail(err)
	s.lease.Close()
	return err
}

// checkLength checks the length a GET declared (-1: none) against the one
// HEAD did, and makes it the declared length.
func (s *Source) checkLength(n int64) error {
	if n < 0 {
		return nil
	}
	if want := s.declared.Load(); want >= 0 && want != n {
		return s.urlError("open", fmt.Errorf("%w: HEAD said %d bytes, GET says %d", ErrLengthMismatch, want, n))
	}
	s.declared.Store(n)
	return nil
}

// netError wraps an error of the Net for op. The Net's errors name the URL
// (see knet.HTTPError), so the wrapper does not repeat it.
func netError(op string, err error) error {
	return fmt.Errorf("file: %s: %w", op, err)
}

// urlError wraps an error that does not name the URL for op.
func (s *Source) urlError(op string, err error) error {
	return fmt.Errorf("file: %s %s: %w", op, s.name, err)
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

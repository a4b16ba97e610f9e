package file

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/hotpath-go/hotpath/kithara/assets"
	knet "github.com/hotpath-go/hotpath/kithara/net"
	"github.com/hotpath-go/hotpath/kithara/storage"
	"github.com/hotpath-go/hotpath/kithara/stream"
)

var _ stream.Source = (*Source)(nil)

func TestBytesReadEqualBytesServed(t *testing.T) {
	data := payload(300<<10 + 17)
	srv, reqs := serve(t, content(data))
	src := openSource(t, srv.URL+"/music/audio.mp3", newStore(t, t.TempDir()), newClient(t))

	r := stream.NewSyncReader(context.Background(), src)
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes (err %v), want the %d served", len(got), err, len(data))
	}
	waitDone(t, src)
	if src.Err() != nil || src.Status() != storage.StatusCommitted {
		t.Fatalf("download ended with %v, status %v", src.Err(), src.Status())
	}
	if n, ok := src.Len(); !ok || n != int64(len(data)) {
		t.Fatalf("Len() = %d, %v", n, ok)
	}
	if reqs.head.Load() != 1 || reqs.get.Load() != 1 {
		t.Fatalf("%d HEAD and %d GET requests, want 1 and 1", reqs.head.Load(), reqs.get.Load())
	}
}

// TestReadingOvertakesDownloading serves the first part of the body and holds
// the rest until the test lets it go: the reader gets the first part while the
// download is still running, then waits for the rest.
func TestReadingOvertakesDownloading(t *testing.T) {
	data := payload(200 << 10)
	const first = 70 << 10
	gate := make(chan struct{})
	released := sync.OnceFunc(func() { close(gate) })
	t.Cleanup(released) // the handler must return before the server closes
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		declare(w, len(data))
		if r.Method == http.MethodHead {
			return
		}
		w.Write(data[:first])
		w.(http.Flusher).Flush()
		select {
		case <-gate:
		case <-r.Context().Done():
			return
		}
		w.Write(data[first:])
	})
	src := openSource(t, srv.URL+"/a.mp3", newStore(t, t.TempDir()), newClient(t))
	ctx := context.Background()

	if err := src.WaitRange(ctx, 0, first); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, first)
	if n, err := src.ReadAt(buf, 0); n != first || err != nil || !bytes.Equal(buf, data[:first]) {
		t.Fatalf("ReadAt of the first part = %d, %v", n, err)
	}
	if src.Status() != storage.StatusInProgress {
		t.Fatalf("status %v while the server holds the rest of the body", src.Status())
	}
	if n, ok := src.Len(); !ok || n != int64(len(data)) {
		t.Fatalf("Len() before the end = %d, %v; want the declared length", n, ok)
	}

	type result struct {
		b   []byte
		err error
	}
	rest := make(chan result, 1)
	go func() {
		r := stream.NewSyncReader(ctx, src)
		defer r.Close()
		b, err := io.ReadAll(r)
		rest <- result{b, err}
	}()
	released()
	res := <-rest
	if res.err != nil || !bytes.Equal(res.b, data) {
		t.Fatalf("read %d bytes (err %v) after the rest arrived, want %d", len(res.b), res.err, len(data))
	}
}

func TestCachedReReadMakesNoRequest(t *testing.T) {
	data := payload(100 << 10)
	srv, reqs := serve(t, content(data))
	dir := t.TempDir()
	client := newClient(t)
	rawURL := srv.URL + "/cached.mp3"

	store := newStore(t, dir)
	src := openSource(t, rawURL, store, client)
	waitDone(t, src)
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	before := reqs.total()

	again := openSource(t, rawURL, store, client)
	if got, err := readAll(context.Background(), again); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("cached read: %d bytes, %v", len(got), err)
	}
	again.Close()
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}

	// A new store on the same directory, as after a restart.
	restarted := openSource(t, rawURL, newStore(t, dir), client)
	if got, err := readAll(context.Background(), restarted); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read after restart: %d bytes, %v", len(got), err)
	}
	if n := reqs.total() - before; n != 0 {
		t.Fatalf("%d requests for a cached file, want 0", n)
	}
}

func TestSourcesOfOneURLShareOneDownload(t *testing.T) {
	data := payload(64<<10 + 5)
	gate := make(chan struct{})
	release := sync.OnceFunc(func() { close(gate) })
	t.Cleanup(release)
	srv, reqs := serve(t, heldBody(data, gate))
	store, client := newStore(t, t.TempDir()), newClient(t)
	a := openSource(t, srv.URL+"/x.mp3", store, client)
	b := openSource(t, srv.URL+"/x.mp3", store, client)
	release()
	for _, src := range []*Source{b, a} {
		if got, err := readAll(context.Background(), src); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("read %d bytes, %v", len(got), err)
		}
	}
	if reqs.get.Load() != 1 {
		t.Fatalf("%d GET requests for two sources of one URL, want 1", reqs.get.Load())
	}
}

// TestBadServersFailTheResource covers servers whose bodies do not match what
// they declare. The resource must end failed, never committed, and the next
// Open must download again.
func TestBadServersFailTheResource(t *testing.T) {
	data := payload(4000)
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    error
	}{
		{"truncated body", func(w http.ResponseWriter, r *http.Request) {
			declare(w, len(data))
			if r.Method == http.MethodGet {
				w.Write(data[:1000]) // the server then drops the connection
			}
		}, io.ErrUnexpectedEOF},
		{"HEAD shorter than a chunked body", func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodHead {
				declare(w, 1000)
				return
			}
			w.WriteHeader(http.StatusOK)
			w.Write(data[:2000])
			w.(http.Flusher).Flush() // chunked: no Content-Length
			w.Write(data[2000:])
		}, ErrLengthMismatch},
		{"HEAD longer than a chunked body", func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodHead {
				declare(w, 5000)
				return
			}
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			w.Write(data)
		}, ErrLengthMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, reqs := serve(t, tt.handler)
			store, client := newStore(t, t.TempDir()), newClient(t)
			src := openSource(t, srv.URL+"/bad.mp3", store, client)

			_, err := readAll(context.Background(), src)
			if !errors.Is(err, storage.ErrFailed) {
				t.Fatalf("read error %v, want a failed resource", err)
			}
			waitDone(t, src)
			if !errors.Is(src.Err(), tt.want) {
				t.Fatalf("download error %v, want %v", src.Err(), tt.want)
			}
			if src.Status() != storage.StatusFailed {
				t.Fatalf("status %v, want failed", src.Status())
			}
			src.Close()

			gets := reqs.get.Load()
			retry := openSource(t, srv.URL+"/bad.mp3", store, client)
			waitDone(t, retry)
			if retry.Status() == storage.StatusCommitted || reqs.get.Load() == gets {
				t.Fatalf("after a failure, reopening gave %v with %d new GETs", retry.Status(), reqs.get.Load()-gets)
			}
		})
	}
}

func TestServerWithoutHeadOrLength(t *testing.T) {
	data := payload(50 << 10)
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			http.Error(w, "no HEAD here", http.StatusMethodNotAllowed)
			return
		}
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush() // chunked: no length at all
		w.Write(data)
	})
	src := openSource(t, srv.URL+"/stream", newStore(t, t.TempDir()), newClient(t))
	if got, err := readAll(context.Background(), src); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes, %v", len(got), err)
	}
	if n, ok := src.Len(); !ok || n != int64(len(data)) {
		t.Fatalf("Len() after the end = %d, %v", n, ok)
	}
}

func TestCloseStopsTheDownload(t *testing.T) {
	data := payload(32 << 10)
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		declare(w, 10*len(data))
		if r.Method == http.MethodHead {
			return
		}
		w.Write(data)
		w.(http.Flusher).Flush()
		<-r.Context().Done() // never sends the rest
	})
	src, err := Open(context.Background(), srv.URL+"/slow.mp3", newStore(t, t.TempDir()), newClient(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.WaitRange(context.Background(), 0, int64(len(data))); err != nil {
		t.Fatal(err)
	}
	waiter := make(chan error, 1)
	go func() { waiter <- src.WaitRange(context.Background(), 0, int64(len(data))+1) }()
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(src.Err(), ErrStopped) {
		t.Fatalf("download error after Close = %v, want ErrStopped", src.Err())
	}
	if err := <-waiter; err == nil {
		t.Fatal("a waiter for bytes that never came returned nil after Close")
	}
	if err := src.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
}

func TestMalformedURL(t *testing.T) {
	srv, reqs := serve(t, content(payload(10)))
	store, client := newStore(t, t.TempDir()), newClient(t)
	for _, raw := range []string{"", "::not a url", "/relative/a.mp3", "ftp://example.com/a.mp3", "http://", "http:///a.mp3", "mailto:x@y", "http://[::1/a.mp3"} {
		if _, err := Open(context.Background(), raw, store, client, Options{}); !errors.Is(err, ErrInvalidURL) {
			t.Errorf("Open(%q) = %v, want ErrInvalidURL", raw, err)
		}
	}
	if reqs.total() != 0 || srv == nil {
		t.Fatalf("%d requests for malformed URLs", reqs.total())
	}
	if n, _ := store.Usage(); n != 0 {
		t.Fatalf("malformed URLs left %d assets", n)
	}
}

func TestCancelledOpen(t *testing.T) {
	block := make(chan struct{})
	t.Cleanup(func() { close(block) })
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	})
	store, client := newStore(t, t.TempDir()), newClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := Open(ctx, srv.URL+"/a.mp3", store, client, Options{})
		errc <- err
	}()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Open with a cancelled context = %v", err)
	}
	if got := store.Entries(); len(got) != 0 && got[0].Pins != 0 {
		t.Fatalf("a cancelled Open kept its lease: %+v", got)
	}
}

func TestKeysFollowAssets(t *testing.T) {
	data := payload(10)
	srv, _ := serve(t, content(data))
	dir := t.TempDir()
	store := newStore(t, dir)
	src := openSource(t, srv.URL+"/path/to/song.flac?x=1", store, newClient(t))
	waitDone(t, src)
	u, _ := url.Parse(srv.URL + "/path/to/song.flac?x=1")
	root, _ := assets.RootForURL(u)
	if got := store.Entries(); len(got) != 1 || got[0].Root != root || got[0].Bytes != int64(len(data)) {
		t.Fatalf("Entries() = %+v, want one asset %s of %d bytes", got, root, len(data))
	}
}

func TestOpenContextBoundsOnlyTheOpening(t *testing.T) {
	data := payload(20 << 10)
	gate := make(chan struct{})
	release := sync.OnceFunc(func() { close(gate) })
	t.Cleanup(release)
	srv, _ := serve(t, heldBody(data, gate))
	ctx, cancel := context.WithCancel(context.Background())
	src, err := Open(ctx, srv.URL+"/a.mp3", newStore(t, t.TempDir()), newClient(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	cancel()
	release()
	waitDone(t, src)
	if src.Err() != nil || src.Status() != storage.StatusCommitted {
		t.Fatalf("download after the Open context was cancelled: %v, %v", src.Err(), src.Status())
	}
}

// TestHTTPErrorFailsOpen checks that Open itself fails when the GET is
// answered with an HTTP error, with the *knet.HTTPError in the chain and a
// message that names the URL once and no cache path.
func TestHTTPErrorFailsOpen(t *testing.T) {
	for _, status := range []int{http.StatusNotFound, http.StatusForbidden, http.StatusInternalServerError} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			srv, reqs := serve(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(status)
			})
			dir := t.TempDir()
			store := newStore(t, dir)
			rawURL := srv.URL + "/missing.mp3"
			src, err := Open(context.Background(), rawURL, store, newClient(t), Options{})
			if err == nil {
				src.Close()
				t.Fatal("Open succeeded")
			}
			var he *knet.HTTPError
			if !errors.As(err, &he) || he.Status != status {
				t.Fatalf("Open = %v, want an *knet.HTTPError with status %d", err, status)
			}
			if msg := err.Error(); strings.Count(msg, rawURL) != 1 || strings.Contains(msg, dir) {
				t.Errorf("Open = %q, want the URL once and no cache path", msg)
			}
			if reqs.get.Load() != 1 {
				t.Errorf("%d GET requests, want 1", reqs.get.Load())
			}
			for _, e := range store.Entries() {
				if e.Pins != 0 {
					t.Errorf("a failed Open kept its lease: %+v", e)
				}
			}
		})
	}
}

func TestOpenChecksTheLengthsDeclared(t *testing.T) {
	data := payload(4000)
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			declare(w, 8000)
			return
		}
		content(data)(w, r)
	})
	dir := t.TempDir()
	rawURL := srv.URL + "/changing.mp3"
	_, err := Open(context.Background(), rawURL, newStore(t, dir), newClient(t), Options{})
	if !errors.Is(err, ErrLengthMismatch) {
		t.Fatalf("Open = %v, want ErrLengthMismatch", err)
	}
	if msg := err.Error(); strings.Count(msg, rawURL) != 1 || strings.Contains(msg, dir) {
		t.Errorf("Open = %q, want the URL once and no cache path", msg)
	}
}

// TestDownloadErrorSaysEachThingOnce reads a body the server cuts short
// through a SyncReader, as a decoder does: the error names the URL once, and
// not the cache file, which did nothing wrong.
func TestDownloadErrorSaysEachThingOnce(t *testing.T) {
	data := payload(4000)
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		declare(w, len(data))
		if r.Method == http.MethodGet {
			w.Write(data[:1000]) // the server then drops the connection
		}
	})
	dir := t.TempDir()
	rawURL := srv.URL + "/cut.mp3"
	src := openSource(t, rawURL, newStore(t, dir), newClient(t))
	r := stream.NewSyncReader(context.Background(), src)
	defer r.Close()
	got, err := io.ReadAll(r)
	if !errors.Is(err, io.ErrUnexpectedEOF) || !bytes.Equal(got, data[:len(got)]) {
		t.Fatalf("ReadAll = %d bytes, %v; want the bytes served, then io.ErrUnexpectedEOF", len(got), err)
	}
	if msg := err.Error(); strings.Count(msg, rawURL) != 1 || strings.Contains(msg, dir) {
		t.Errorf("read error %q, want the URL once and no cache path", msg)
	}
}

package file

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotpath-go/hotpath/kithara/assets"
	knet "github.com/hotpath-go/hotpath/kithara/net"
)

// guard bounds waits for things that must happen; it only trips on a bug.
const guard = 10 * time.Second

func payload(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*31 + i>>9)
	}
	return p
}

// counter counts requests by method.
type counter struct{ head, get atomic.Int32 }

func (c *counter) total() int32 { return c.head.Load() + c.get.Load() }

// serve starts a loopback server that counts requests and hands them to h.
func serve(t testing.TB, h http.HandlerFunc) (*httptest.Server, *counter) {
	t.Helper()
	c := &counter{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodHead:
			c.head.Add(1)
		case http.MethodGet:
			c.get.Add(1)
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, c
}

// content serves data with HEAD, ranges and a Content-Length.
func content(data []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "audio.mp3", time.Time{}, bytes.NewReader(data))
	}
}

// declare writes a response header announcing n bytes.
func declare(w http.ResponseWriter, n int) {
	w.Header().Set("Content-Length", strconv.Itoa(n))
	w.WriteHeader(http.StatusOK)
}

// newClient returns an HttpClient whose resumes do not sleep.
func newClient(t testing.TB) *knet.HttpClient {
	t.Helper()
	c := knet.NewHttpClient(knet.Options{Resume: &knet.RetryPolicy{
		MaxRetries: 2,
		Sleep:      func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
	}})
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func newStore(t testing.TB, dir string) *assets.Store {
	t.Helper()
	s, err := assets.Open(dir, assets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openSource(t testing.TB, rawURL string, store *assets.Store, client knet.Net) *Source {
	t.Helper()
	src, err := Open(context.Background(), rawURL, store, client, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

func waitDone(t testing.TB, src *Source) {
	t.Helper()
	select {
	case <-src.Done():
	case <-time.After(guard):
		t.Fatal("download did not end")
	}
}

// readAll reads the whole source with WaitRange and ReadAt, the way a
// stream consumer does.
func readAll(ctx context.Context, src *Source) ([]byte, error) {
	var out []byte
	buf := make([]byte, 16<<10)
	for off := int64(0); ; {
		if err := src.WaitRange(ctx, off, off+int64(len(buf))); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, err
		}
		n, err := src.ReadAt(buf, off)
		out = append(out, buf[:n]...)
		off += int64(n)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, err
		}
	}
}

// heldBody serves data with its length, but holds a GET's body after the
// response header until gate is closed.
func heldBody(data []byte, gate <-chan struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		declare(w, len(data))
		if r.Method == http.MethodHead {
			return
		}
		w.(http.Flusher).Flush()
		select {
		case <-gate:
		case <-r.Context().Done():
			return
		}
		w.Write(data)
	}
}

//go:build !hotpath

package player

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/hotpath-go/hotpath/kithara/decode"
	"github.com/hotpath-go/hotpath/kithara/hls"
	knet "github.com/hotpath-go/hotpath/kithara/net"
	"github.com/hotpath-go/hotpath/testdata/fixtures"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// server serves the fixtures on loopback, counts requests per path, and can
// hold a path's requests at a gate until the test opens it.
type server struct {
	*httptest.Server
	mu     sync.Mutex
	hits   map[string]int
	gates  map[string]chan struct{}
	types  map[string]string // path -> Content-Type override
	alias  map[string]string // path -> fixture path
	bodies map[string][]byte // path -> body replacing the fixture
}

func newServer(t testing.TB) *server {
	t.Helper()
	s := &server{hits: map[string]int{}, gates: map[string]chan struct{}{}, types: map[string]string{}, alias: map[string]string{}, bodies: map[string][]byte{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, "/")
	s.mu.Lock()
	if r.Method == http.MethodGet {
		s.hits[p]++
	}
	gate, ctype, body := s.gates[p], s.types[p], s.bodies[p]
	if a, ok := s.alias[p]; ok {
		p = a
	}
	s.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-r.Context().Done():
			return
		}
	}
	if body == nil {
		var err error
		if body, err = fs.ReadFile(fixtures.FS, p); err != nil {
			http.NotFound(w, r)
			return
		}
	}
	if ctype != "" {
		w.Header().Set("Content-Type", ctype)
	}
	http.ServeContent(w, r, p, time.Time{}, bytes.NewReader(body))
}

func (s *server) url(p string) string { return s.URL + "/" + p }

func (s *server) count(p string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[p]
}

// trim makes the server cut the media playlists of dir to their first n
// segments. MP3 decodes slowly under the race detector; shorter
// presentations keep the tests quick while crossing segment boundaries.
func (s *server) trim(t *testing.T, dir string, n int) {
	t.Helper()
	for v := range 3 {
		name := fmt.Sprintf("%s/v%d/playlist.m3u8", dir, v)
		var out []string
		segs := 0
		for _, line := range strings.Split(string(fixture(t, name)), "\n") {
			if strings.HasPrefix(line, "#EXTINF") {
				segs++
			}
			if segs > n && !strings.HasPrefix(line, "#EXT-X-ENDLIST") {
				continue
			}
			out = append(out, line)
		}
		s.mu.Lock()
		s.bodies[name] = []byte(strings.Join(out, "\n"))
		s.mu.Unlock()
	}
}

// gate holds requests for p until the returned function is called.
func (s *server) gate(p string) (open func()) {
	ch := make(chan struct{})
	s.mu.Lock()
	s.gates[p] = ch
	s.mu.Unlock()
	var once sync.Once
	return func() { once.Do(func() { close(ch) }) }
}

// events records HLS events and lets a test wait for one.
type events struct {
	mu   sync.Mutex
	all  []hls.Event
	wake chan struct{}
}

func newEvents() *events { return &events{wake: make(chan struct{})} }

func (e *events) record(ev hls.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.all = append(e.all, ev)
	close(e.wake)
	e.wake = make(chan struct{})
}

func (e *events) waitFor(t *testing.T, what string, match func(hls.Event) bool) hls.Event {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		e.mu.Lock()
		for _, ev := range e.all {
			if match(ev) {
				e.mu.Unlock()
				return ev
			}
		}
		wake := e.wake
		e.mu.Unlock()
		select {
		case <-wake:
		case <-timeout:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func testNet() knet.Net {
	p := knet.DefaultRetryPolicy()
	p.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	return knet.WithRetry(knet.NewHttpClient(knet.Options{}), p)
}

// openPlayer opens rawURL with a fresh cache and closes it at cleanup.
func openPlayer(t *testing.T, rawURL string, opts Options) *Player {
	t.Helper()
	if opts.Store == nil && opts.CacheDir == "" {
		opts.CacheDir = t.TempDir()
	}
	if opts.Net == nil {
		opts.Net = testNet()
	}
	p, err := Open(context.Background(), rawURL, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// drain returns every chunk the player delivers until io.EOF.
func drain(t *testing.T, p *Player) []decode.Chunk {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out []decode.Chunk
	for {
		c, err := p.Next(ctx)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("Next after %d chunks: %v", len(out), err)
		}
		out = append(out, c)
	}
}

// samples concatenates the samples of chunks.
func samples(chunks []decode.Chunk) []float32 {
	var out []float32
	for _, c := range chunks {
		out = append(out, c.Samples...)
	}
	return out
}

// decodeAll decodes b directly, for comparison with what the player plays.
func decodeAll(t *testing.T, b []byte) []float32 {
	t.Helper()
	dec, err := decode.NewDecoder(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var out []float32
	for {
		c, err := dec.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c.Samples...)
		c.Release()
	}
}

// fixture returns a fixture file, or the concatenation of segments of an
// HLS variant.
func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(fixtures.FS, name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func segments(t *testing.T, dir string, variant int, ks ...int) []byte {
	t.Helper()
	var out []byte
	for _, k := range ks {
		out = append(out, fixture(t, fmt.Sprintf("%s/v%d/seg%03d.mp3", dir, variant, k))...)
	}
	return out
}

// frequency estimates the frequency of a sine in one channel of
// interleaved samples from its upward zero crossings.
func frequency(s []float32, channels, channel, rate int) float64 {
	first, last, n := -1, -1, 0
	for i := channels; i < len(s); i += channels {
		a, b := s[i-channels+channel], s[i+channel]
		if a < 0 && b >= 0 {
			if first < 0 {
				first = i / channels
			} else {
				n++
			}
			last = i / channels
		}
	}
	if n == 0 {
		return 0
	}
	return float64(n) * float64(rate) / float64(last-first)
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

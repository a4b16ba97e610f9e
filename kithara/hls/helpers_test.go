//go:build !hotpath

package hls

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"go.uber.org/goleak"

	"github.com/hotpath-go/hotpath/kithara/assets"
	knet "github.com/hotpath-go/hotpath/kithara/net"
	"github.com/hotpath-go/hotpath/kithara/stream"
	"github.com/hotpath-go/hotpath/testdata/fixtures"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testServer serves a file tree on loopback, counts requests per path and
// lets a test inject statuses, replacement bodies and throttling.
type testServer struct {
	*httptest.Server
	files fs.FS

	mu       sync.Mutex
	hits     map[string]int
	status   map[string]int    // path -> status to answer with
	bodies   map[string][]byte // path -> body replacing the file
	throttle func(path string) (chunk int, pause time.Duration)
}

func newTestServer(t testing.TB, files fs.FS) *testServer {
	t.Helper()
	s := &testServer{files: files, hits: map[string]int{}, status: map[string]int{}, bodies: map[string][]byte{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// fixtureServer serves testdata/fixtures.
func fixtureServer(t *testing.T) *testServer {
	return newTestServer(t, fixtures.FS)
}

func (s *testServer) serve(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, "/")
	s.mu.Lock()
	s.hits[p]++
	status, body := s.status[p], s.bodies[p]
	throttle := s.throttle
	s.mu.Unlock()
	if status != 0 {
		http.Error(w, http.StatusText(status), status)
		return
	}
	if body == nil {
		var err error
		if body, err = fs.ReadFile(s.files, p); err != nil {
			http.NotFound(w, r)
			return
		}
	}
	chunk, pause := 0, time.Duration(0)
	if throttle != nil {
		chunk, pause = throttle(p)
	}
	if chunk <= 0 {
		http.ServeContent(w, r, p, time.Time{}, bytes.NewReader(body))
		return
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	for len(body) > 0 {
		n := min(chunk, len(body))
		if _, err := w.Write(body[:n]); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		body = body[n:]
		select {
		case <-time.After(pause):
		case <-r.Context().Done():
			return
		}
	}
}

func (s *testServer) url(p string) string { return s.URL + "/" + p }

func (s *testServer) count(p string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[p]
}

func (s *testServer) setStatus(p string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status[p] = status
}

func (s *testServer) setBody(p string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bodies[p] = body
}

// countPrefix sums the requests for paths starting with prefix.
func (s *testServer) countPrefix(prefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for p, c := range s.hits {
		if strings.HasPrefix(p, prefix) {
			n += c
		}
	}
	return n
}

// noSleepNet is an HTTP client whose retries do not wait, so that tests of
// retried failures take no wall-clock time.
func noSleepNet() knet.Net {
	p := knet.DefaultRetryPolicy()
	p.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	resume := p
	return knet.WithRetry(knet.NewHttpClient(knet.Options{Resume: &resume}), p)
}

// openStore opens a fresh cache in a temporary directory.
func openStore(t *testing.T) *assets.Store {
	t.Helper()
	st, err := assets.Open(t.TempDir(), assets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// events records what a source reports and lets a test wait for an event.
type events struct {
	mu   sync.Mutex
	all  []Event
	wake chan struct{}
}

func newEvents() *events { return &events{wake: make(chan struct{})} }

func (e *events) record(ev Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.all = append(e.all, ev)
	close(e.wake)
	e.wake = make(chan struct{})
}

func (e *events) snapshot() []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Event(nil), e.all...)
}

// waitFor blocks until an event satisfies match, and returns it. The
// timeout only guards against a hang.
func (e *events) waitFor(t *testing.T, what string, match func(Event) bool) Event {
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
			t.Fatalf("timed out waiting for %s; events:\n%s", what, describe(e.snapshot()))
		}
	}
}

// completed returns the SegmentComplete events of media segments.
func (e *events) completed() []SegmentComplete {
	var out []SegmentComplete
	for _, ev := range e.snapshot() {
		if sc, ok := ev.(SegmentComplete); ok && sc.Segment >= 0 {
			out = append(out, sc)
		}
	}
	return out
}

func describe(evs []Event) string {
	var b strings.Builder
	for _, ev := range evs {
		fmt.Fprintf(&b, "  %T%+v\n", ev, ev)
	}
	return b.String()
}

// readAll reads the whole byte space of src through a SyncReader, as a
// decoder would.
func readAll(t *testing.T, src stream.Source) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r := stream.NewSyncReader(ctx, src)
	defer r.Close()
	return io.ReadAll(r)
}

// trail lists the synthetic segments in b, in order, as "v<variant>/<n>"
// ("v<variant>/init" for an init section).
func trail(b []byte) string {
	var out []string
	for off := 0; off+9 <= len(b); {
		v, k, n := b[off], binary.BigEndian.Uint32(b[off+1:]), int(binary.BigEndian.Uint32(b[off+5:]))
		if k == initMarker {
			out = append(out, fmt.Sprintf("v%d/init", v))
		} else {
			out = append(out, fmt.Sprintf("v%d/%d", v, k))
		}
		if n < 9 {
			out = append(out, "<corrupt>")
			break
		}
		off += n
	}
	return strings.Join(out, " ")
}

// readFrom reads n bytes at off the way a prefetcher does: it waits for a
// few KiB at a time, so that a driver that waits for the reader progresses.
func readFrom(t *testing.T, src stream.Source, off int64, n int) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	buf := make([]byte, n)
	for done := 0; done < n; {
		pos := off + int64(done)
		if err := src.WaitRange(ctx, pos, pos+int64(min(4096, n-done))); err != nil {
			t.Fatalf("WaitRange at %d: %v", pos, err)
		}
		m, err := src.ReadAt(buf[done:min(n, done+4096)], pos)
		if m == 0 {
			t.Fatalf("ReadAt at %d: %v", pos, err)
		}
		done += m
	}
	return buf
}

// fixtureSegments returns the bytes of segments of a fixture variant.
func fixtureSegments(t *testing.T, dir string, variant int, segments ...int) []byte {
	t.Helper()
	var out []byte
	for _, k := range segments {
		b, err := fs.ReadFile(fixtures.FS, fmt.Sprintf("%s/v%d/seg%03d.mp3", dir, variant, k))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b...)
	}
	return out
}

// synthetic builds an HLS presentation of synthetic segments in Kithara's
// test format: a header [variant u8][segment u32][len u32] (big-endian)
// followed by filler, so that any byte tells where it came from.
type synthetic struct {
	bandwidths []uint64
	segments   int
	size       int           // bytes per segment
	duration   time.Duration // EXTINF of every segment
	// withInit gives every variant an init section (EXT-X-MAP), a segment
	// of 64 bytes whose header has segment number initMarker.
	withInit bool
}

// initMarker is the segment number in the header of a synthetic init
// section.
const initMarker = 0xffffffff

func (p synthetic) files() fs.FS {
	m := fstest.MapFS{}
	var master strings.Builder
	master.WriteString("#EXTM3U\n")
	for v, bw := range p.bandwidths {
		fmt.Fprintf(&master, "#EXT-X-STREAM-INF:BANDWIDTH=%d\nv%d/index.m3u8\n", bw, v)
		var media strings.Builder
		fmt.Fprintf(&media, "#EXTM3U\n#EXT-X-TARGETDURATION:%d\n", int(p.duration.Seconds()+0.999))
		if p.withInit {
			media.WriteString("#EXT-X-MAP:URI=\"init.bin\"\n")
			m[fmt.Sprintf("v%d/init.bin", v)] = &fstest.MapFile{Data: syntheticSegment(v, initMarker, 64)}
		}
		for k := range p.segments {
			fmt.Fprintf(&media, "#EXTINF:%.3f,\nseg%d.bin\n", p.duration.Seconds(), k)
			m[fmt.Sprintf("v%d/seg%d.bin", v, k)] = &fstest.MapFile{Data: syntheticSegment(v, k, p.size)}
		}
		media.WriteString("#EXT-X-ENDLIST\n")
		m[fmt.Sprintf("v%d/index.m3u8", v)] = &fstest.MapFile{Data: []byte(media.String())}
	}
	m["master.m3u8"] = &fstest.MapFile{Data: []byte(master.String())}
	return m
}

func syntheticSegment(variant, segment, size int) []byte {
	b := make([]byte, size)
	b[0] = byte(variant)
	binary.BigEndian.PutUint32(b[1:], uint32(segment))
	binary.BigEndian.PutUint32(b[5:], uint32(size))
	for i := 9; i < size; i++ {
		b[i] = byte(variant*31 + segment*7 + i)
	}
	return b
}

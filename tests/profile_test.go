//go:build hotpath

package tests

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotpath-go/hotpath/kithara/assets"
	"github.com/hotpath-go/hotpath/kithara/decode"
	knet "github.com/hotpath-go/hotpath/kithara/net"
	hotpath "github.com/hotpath-go/hotpath/runtime"
	"github.com/hotpath-go/hotpath/runtime/hotpathtest"
)

// The report rows the suite reads, by the names hotpathgen gives them
// (`hotpathgen list ./kithara/... ./tests` prints them).
const (
	kithara = "github.com/hotpath-go/hotpath/kithara/"

	fnAsyncRunWorker = kithara + "worker.(*AsyncWorker[...]).runWorker"
	fnSyncRunWorker  = kithara + "worker.(*SyncWorker[...]).runWorker"

	fnPrefetchFetchNext = kithara + "stream.(*BytePrefetchSource).fetchNext"
	blkWaitRange        = "wait_range"
	fnRecvChunk         = kithara + "stream.(*SyncReader).recvChunk"

	fnGetStream = kithara + "net.(*HttpClient).GetStream"

	fnResWriteAt   = kithara + "storage.(*StreamingResource).WriteAt"
	fnResReadAt    = kithara + "storage.(*StreamingResource).ReadAt"
	fnResWaitRange = kithara + "storage.(*StreamingResource).WaitRange"

	fnDecodeFetchNext = kithara + "decode.(*DecodeSource).fetchNext"
	blkDecodeChunk    = "decode_chunk"
	fnProcess         = kithara + "decode.(*Resampler).process"
	fnFlush           = kithara + "decode.(*Resampler).flush"

	fnDriverRun    = kithara + "hls.(*HlsDriver).run"
	fnFetchSegment = kithara + "hls.(*fetchManager).fetchSegment"
	fnKeyLoad      = kithara + "hls.(*keyManager).load"
	fnDecrypt      = kithara + "hls.(*Decrypter).Update"
	fnParseMaster  = kithara + "hls.ParseMaster"
	fnParseMedia   = kithara + "hls.ParseMedia"
	fnDecide       = kithara + "hls/abr.(*Controller).Decide"

	fnPlayerOpen = kithara + "player.Open"
	fnPlayerNext = kithara + "player.(*Player).Next"

	fnDrain        = "github.com/hotpath-go/hotpath/tests.drain[...]"
	fnAwaitEpoch   = "github.com/hotpath-go/hotpath/tests.awaitEpoch[...]"
	fnSeekRead     = "github.com/hotpath-go/hotpath/tests.seekRead"
	fnSeekPlayback = "github.com/hotpath-go/hotpath/tests.seekPlayback"
)

// Channel rows: a label and the file of its make site. Report.Chan finds a
// row by label alone; the file makes sure that the row is the site's the
// test is about.
type site struct{ label, file string }

var (
	asyncData = site{"worker_data", "kithara/worker/async.go"}
	asyncCmds = site{"worker_commands", "kithara/worker/async.go"}
	syncData  = site{"sync_worker_data", "kithara/worker/sync.go"}
	syncCmds  = site{"sync_worker_commands", "kithara/worker/sync.go"}
	hlsCmds   = site{"hls_commands", "kithara/hls/source.go"}
	pcmLive   = site{"decode_live", "kithara/decode/pipeline.go"}
)

// profilePercentiles are the percentiles of seed section 3.1.
var profilePercentiles = []float64{50, 90, 95, 99}

// profileGuard starts the guard of the running test (seed section 3.1):
// percentiles 50, 90, 95 and 99, named after the test so that the
// profile-pr workflow's compare matches the runs of one test with each
// other. The report goes where HOTPATH_OUTPUT and HOTPATH_FORMAT say, which
// is how that workflow collects one JSON report per test; without them it
// is a table in the test's log (go test -v shows it, and so does a
// failure). Stop it with stopProfile to read the report.
//
// The suite's assertions need every row, so HOTPATH_FOCUS and HOTPATH_LIMIT
// are cleared for the test.
func profileGuard(t *testing.T) *hotpath.Guard {
	t.Helper()
	t.Setenv("HOTPATH_FOCUS", "")
	t.Setenv("HOTPATH_LIMIT", "")
	var table bytes.Buffer
	// Registered before hotpathtest's own cleanup, so it runs after the
	// guard has stopped: a test that fails early still logs its report.
	t.Cleanup(func() {
		if table.Len() > 0 {
			t.Log("\n" + table.String())
		}
	})
	return hotpathtest.Start(t, hotpath.Options{Name: t.Name(), Percentiles: profilePercentiles, Writer: &table})
}

// stopProfile stops g, returns its report and checks what every report of
// the suite holds: the test's name, the percentiles asked for, and rows
// whose numbers agree with each other (percentiles ordered within
// [min, max], every call timed, no channel deeper than its capacity).
func stopProfile(t *testing.T, g *hotpath.Guard) *hotpath.Report {
	t.Helper()
	rep := hotpathtest.Stop(t, g)
	if rep.Name != t.Name() {
		t.Errorf("report named %q, want the test's name %q", rep.Name, t.Name())
	}
	want := profilePercentiles
	if os.Getenv("HOTPATH_PERCENTILES") != "" {
		want = rep.Percentiles // overridden on purpose
	}
	if !slices.Equal(rep.Percentiles, want) {
		t.Errorf("report percentiles %v, want %v", rep.Percentiles, want)
	}
	if rep.ElapsedNS <= 0 {
		t.Errorf("report elapsed %d ns", rep.ElapsedNS)
	}
	for i := range rep.Functions {
		f := &rep.Functions[i]
		if f.Calls == 0 {
			t.Errorf("%s: a row with no calls", f.Name)
		}
		if rep.SampleEvery <= 1 && f.Timed != f.Calls {
			t.Errorf("%s: %d of %d calls timed without sampling", f.Name, f.Timed, f.Calls)
		}
		if f.Timed > 0 {
			checkPercentiles(t, f.Name, rep.Percentiles, f.Percentiles, f.MinNS, f.MaxNS)
			if f.AvgNS < f.MinNS || f.AvgNS > f.MaxNS {
				t.Errorf("%s: avg %d ns outside [%d, %d]", f.Name, f.AvgNS, f.MinNS, f.MaxNS)
			}
		}
	}
	for i := range rep.Channels {
		c := &rep.Channels[i]
		name := c.Label + " (" + c.Site + ")"
		for _, b := range []hotpath.BlockedStats{c.SendBlocked, c.RecvBlocked} {
			if len(b.Percentiles) != len(rep.Percentiles) {
				t.Errorf("%s: blocked percentiles %v, want %v", name, b.Percentiles, rep.Percentiles)
			}
			if b.Count > 0 {
				checkPercentiles(t, name+" blocked", rep.Percentiles, b.Percentiles, 0, b.MaxNS)
			}
		}
		if c.MaxDepth > c.Capacity {
			t.Errorf("%s: max depth %d over capacity %d", name, c.MaxDepth, c.Capacity)
		}
	}
	return rep
}

// checkPercentiles checks that ps has every percentile in order, within
// [lo, hi].
func checkPercentiles(t *testing.T, name string, list []float64, ps map[string]int64, lo, hi int64) {
	t.Helper()
	prev := lo
	for _, p := range list {
		key := "p" + fmt.Sprint(p)
		v, ok := ps[key]
		switch {
		case !ok:
			t.Errorf("%s: no %s", name, key)
		case v < prev || v > hi:
			t.Errorf("%s: %s = %d ns, want within [%d, %d]", name, key, v, prev, hi)
		default:
			prev = v
		}
	}
}

// row returns the report row of a function or block, failing the test when
// it is missing.
func row(t *testing.T, rep *hotpath.Report, name string) *hotpath.FuncRow {
	t.Helper()
	f := rep.Func(name)
	if f == nil {
		var have []string
		for _, r := range rep.Functions {
			have = append(have, r.Name)
		}
		t.Fatalf("no report row %s; rows: %s", name, strings.Join(have, ", "))
	}
	return f
}

// wantCalls checks a row's exact call count.
func wantCalls(t *testing.T, rep *hotpath.Report, name string, n int) {
	t.Helper()
	if got := row(t, rep, name).Calls; got != uint64(n) {
		t.Errorf("%s: %d calls, want %d", name, got, n)
	}
}

// wantCallsAtLeast checks a lower bound on a row's call count.
func wantCallsAtLeast(t *testing.T, rep *hotpath.Report, name string, n int) {
	t.Helper()
	if got := row(t, rep, name).Calls; got < uint64(n) {
		t.Errorf("%s: %d calls, want at least %d", name, got, n)
	}
}

// wantTimed checks that a row holds durations: a maximum and percentiles
// above zero. A row whose calls HOTPATH_SAMPLE left untimed has none.
func wantTimed(t *testing.T, rep *hotpath.Report, name string) *hotpath.FuncRow {
	t.Helper()
	f := row(t, rep, name)
	lo := f.Percentiles["p"+fmt.Sprint(rep.Percentiles[0])]
	hi := f.Percentiles["p"+fmt.Sprint(rep.Percentiles[len(rep.Percentiles)-1])]
	if f.Timed > 0 && (f.MaxNS <= 0 || lo <= 0 || hi < lo) {
		t.Errorf("%s: max %d ns, percentiles %v; want durations", name, f.MaxNS, f.Percentiles)
	}
	return f
}

// wantNoRow checks that a function did not run in the window.
func wantNoRow(t *testing.T, rep *hotpath.Report, name string) {
	t.Helper()
	if f := rep.Func(name); f != nil {
		t.Errorf("%s ran %d times, want never", name, f.Calls)
	}
}

// wantBlock checks that a block row sits in the function that encloses it
// and returns it.
func wantBlock(t *testing.T, rep *hotpath.Report, name, parent string) *hotpath.FuncRow {
	t.Helper()
	b := row(t, rep, name)
	if b.Kind != "block" || b.Parent != parent {
		t.Errorf("%s: kind %q in %q, want a block in %s", name, b.Kind, b.Parent, parent)
	}
	return b
}

// chanAt returns the channel row of a make site, failing the test when it
// is missing.
func chanAt(t *testing.T, rep *hotpath.Report, s site) *hotpath.ChanRow {
	t.Helper()
	for i := range rep.Channels {
		c := &rep.Channels[i]
		if c.Label == s.label && strings.Contains(c.Site, "/"+s.file+":") {
			return c
		}
	}
	var have []string
	for _, c := range rep.Channels {
		have = append(have, c.Label+" at "+c.Site)
	}
	t.Fatalf("no channel row %s at %s; rows: %s", s.label, s.file, strings.Join(have, ", "))
	return nil
}

// wantBalanced checks that everything sent on a site's channels was
// received, and returns the row.
func wantBalanced(t *testing.T, rep *hotpath.Report, s site) *hotpath.ChanRow {
	t.Helper()
	c := chanAt(t, rep, s)
	if c.Sent != c.Received {
		t.Errorf("%s at %s: %d sent, %d received; want them equal once drained", s.label, s.file, c.Sent, c.Received)
	}
	return c
}

// wantTraffic checks a site's exact message counts.
func wantTraffic(t *testing.T, rep *hotpath.Report, s site, sent, received int) *hotpath.ChanRow {
	t.Helper()
	c := chanAt(t, rep, s)
	if c.Sent != uint64(sent) || c.Received != uint64(received) {
		t.Errorf("%s at %s: %d sent, %d received; want %d and %d", s.label, s.file, c.Sent, c.Received, sent, received)
	}
	return c
}

// delta is what a report's function rows gained since an earlier snapshot
// of the same guard: the calls and total time of one phase of a test.
type delta struct{ calls, totalNS int64 }

func deltaOf(before, after *hotpath.Report, name string) delta {
	var d delta
	if f := after.Func(name); f != nil {
		d = delta{int64(f.Calls), f.TotalNS}
	}
	if f := before.Func(name); f != nil {
		d.calls -= int64(f.Calls)
		d.totalNS -= f.TotalNS
	}
	return d
}

// variantBytes returns the concatenated clear segments of an HLS fixture
// variant, from segment first to last inclusive.
func variantBytes(t testing.TB, variant, first, last int) []byte {
	t.Helper()
	var b []byte
	for k := first; k <= last; k++ {
		b = append(b, fixture(t, fmt.Sprintf("hls/v%d/seg%03d.mp3", variant, k))...)
	}
	return b
}

// server serves the fixtures (or other files) on loopback and records what
// it is asked for. A hook sees every request first and may answer it.
type server struct {
	*httptest.Server
	hook func(w http.ResponseWriter, r *http.Request) bool

	mu       sync.Mutex
	hits     map[string]int
	inflight int
	peak     int
	conns    atomic.Int64
}

// newServer starts a server for fsys, closed when the test ends. hook may
// be nil.
func newServer(t testing.TB, fsys fs.FS, hook func(w http.ResponseWriter, r *http.Request) bool) *server {
	t.Helper()
	s := &server{hook: hook, hits: map[string]int{}}
	files := http.FileServerFS(fsys)
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		s.inflight++
		s.peak = max(s.peak, s.inflight)
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			s.inflight--
			s.mu.Unlock()
		}()
		if s.hook != nil && s.hook(w, r) {
			return
		}
		files.ServeHTTP(w, r)
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// url returns the address of a path on the server.
func (s *server) url(path string) string { return s.URL + "/" + strings.TrimPrefix(path, "/") }

// count returns how often a path was asked for.
func (s *server) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits["/"+strings.TrimPrefix(path, "/")]
}

// total returns the number of requests whose path has the prefix.
func (s *server) total(prefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for p, c := range s.hits {
		if strings.HasPrefix(p, "/"+strings.TrimPrefix(prefix, "/")) {
			n += c
		}
	}
	return n
}

// peakInflight returns the most requests the server handled at once.
func (s *server) peakInflight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak
}

// newClient returns an HTTP client whose idle connections are closed when
// the test ends, so that goleak sees no connection goroutines left.
func newClient(t testing.TB, opts knet.Options) *knet.HttpClient {
	c := knet.NewHttpClient(opts)
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// newStore opens a cache in a temporary directory, closed when the test
// ends.
func newStore(t testing.TB) *assets.Store {
	t.Helper()
	st, err := assets.Open(t.TempDir(), assets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	return st
}

// barrier holds its callers until n of them have arrived, or until limit
// passes; it reports whether all n arrived. Servers use it to prove that
// requests ran concurrently.
type barrier struct {
	n       int
	limit   time.Duration
	mu      sync.Mutex
	arrived int
	all     chan struct{}
}

func newBarrier(n int, limit time.Duration) *barrier {
	return &barrier{n: n, limit: limit, all: make(chan struct{})}
}

func (b *barrier) wait() bool {
	b.mu.Lock()
	b.arrived++
	if b.arrived == b.n {
		close(b.all)
	}
	b.mu.Unlock()
	t := time.NewTimer(b.limit)
	defer t.Stop()
	select {
	case <-b.all:
		return true
	case <-t.C:
		return false
	}
}

// pcm is decoded audio gathered from chunks.
type pcm struct {
	format  decode.Format
	samples []float32
	chunks  int
}

func (p *pcm) add(c decode.Chunk) {
	if p.chunks == 0 {
		p.format = c.Format
	}
	p.samples = append(p.samples, c.Samples...)
	p.chunks++
}

func (p *pcm) frames() int {
	if p.format.Channels == 0 {
		return 0
	}
	return len(p.samples) / p.format.Channels
}

// channel returns one channel of the audio.
func (p *pcm) channel(c int) []float32 {
	out := make([]float32, 0, p.frames())
	for i := c; i < len(p.samples); i += p.format.Channels {
		out = append(out, p.samples[i])
	}
	return out
}

// references holds the fixtures decoded by reference, by name: several
// tests compare with the same one, and decoding is the slow part of the
// suite under the race detector.
var references sync.Map // string -> *pcm

// reference returns a single-file fixture decoded on its own, with a
// decoder of the codec given: the PCM a pipeline's output is compared
// with. The result is shared and must not be modified.
func reference(t testing.TB, c decode.Codec, name string) *pcm {
	t.Helper()
	if p, ok := references.Load(name); ok {
		return p.(*pcm)
	}
	dec, err := decode.NewDecoderFor(c, bytes.NewReader(fixture(t, name)))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := references.LoadOrStore(name, decodeAll(t, dec))
	return p.(*pcm)
}

// decodeAll decodes a whole stream with a fresh decoder.
func decodeAll(t testing.TB, dec decode.Decoder) *pcm {
	t.Helper()
	p := &pcm{}
	for {
		c, err := dec.Next()
		if errors.Is(err, io.EOF) {
			return p
		}
		if err != nil {
			t.Fatal(err)
		}
		p.add(c)
	}
}

// zeroCrossingHz estimates the frequency of a sine from its upward zero
// crossings.
func zeroCrossingHz(x []float32, rate int) float64 {
	first, last, n := -1, -1, 0
	for i := 1; i < len(x); i++ {
		if x[i-1] < 0 && x[i] >= 0 {
			if first < 0 {
				first = i
			}
			last = i
			n++
		}
	}
	if n < 2 {
		return 0
	}
	return float64(n-1) * float64(rate) / float64(last-first)
}

// wantHz checks the frequency of a stretch of audio.
func wantHz(t *testing.T, what string, x []float32, rate int, hz float64) {
	t.Helper()
	if got := zeroCrossingHz(x, rate); math.Abs(got-hz) > 1 {
		t.Errorf("%s: %.2f Hz, want %g", what, got, hz)
	}
}

// eventLog records HLS events for a test.
type eventLog[E any] struct {
	mu     sync.Mutex
	events []E
}

func (l *eventLog[E]) add(e E) {
	l.mu.Lock()
	l.events = append(l.events, e)
	l.mu.Unlock()
}

func (l *eventLog[E]) snapshot() []E {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.events)
}

// knetOptions are the options of the suite's HTTP clients: the defaults,
// with resumption spaced by a millisecond instead of 100 ms.
func knetOptions() knet.Options {
	p := knet.DefaultRetryPolicy()
	p.BaseDelay = time.Millisecond
	return knet.Options{Resume: &p}
}

package prom

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	hotpath "github.com/hotpath-go/hotpath/runtime"
	"github.com/hotpath-go/hotpath/runtime/hotpathimpl"
	"github.com/hotpath-go/hotpath/runtime/internal/liveroutes"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// run numbers the targets of each test run, so that -count N runs do not
// see the numbers of the runs before (the runtime's numbers count from the
// process start, and Funcs stay registered).
var run atomic.Int64

type targets struct {
	fast, slow *hotpathimpl.Func
	queue      *hotpathimpl.ChanSite
}

// newTargets declares targets the way generated code does.
func newTargets(prefix string) targets {
	n := run.Add(1)
	p := fmt.Sprintf("%s%d.", prefix, n)
	return targets{
		fast:  &hotpathimpl.Func{Name: p + "fast", Symbol: "example.com/p.fast", File: "p.go", Line: 10},
		slow:  &hotpathimpl.Func{Name: p + "slow", Symbol: "example.com/p.slow", File: "p.go", Line: 20},
		queue: &hotpathimpl.ChanSite{Label: p + "queue", Type: "chan int", Site: "example.com/p/p.go:30"},
	}
}

// work makes exact activity in a synctest bubble: fast takes 100 µs +
// i µs on its i-th call (1000 calls), slow 3 ms (10 calls), and one receive
// on the queue waits 2 s.
func (tg targets) work(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for i := range 1000 {
			s := tg.fast.Begin()
			time.Sleep(100*time.Microsecond + time.Duration(i)*time.Microsecond)
			s.End()
		}
		for range 10 {
			s := tg.slow.Begin()
			time.Sleep(3 * time.Millisecond)
			s.End()
		}
		q := hotpathimpl.Track(tg.queue, make(chan int, 1))
		hotpathimpl.Send(q, 1)
		hotpathimpl.Recv(q)
		go func() { hotpathimpl.Recv(q) }()
		synctest.Wait()
		time.Sleep(2 * time.Second)
		hotpathimpl.Send(q, 2)
		synctest.Wait()
	})
}

func gather(t *testing.T, c prometheus.Collector) map[string]*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

// metric returns the family's metric whose label name has value, or nil.
func metric(mf *dto.MetricFamily, name, value string, more ...string) *dto.Metric {
	if mf == nil {
		return nil
	}
next:
	for _, m := range mf.Metric {
		want := map[string]string{name: value}
		for i := 0; i+1 < len(more); i += 2 {
			want[more[i]] = more[i+1]
		}
		for _, lp := range m.Label {
			if v, ok := want[lp.GetName()]; ok && v != lp.GetValue() {
				continue next
			}
			delete(want, lp.GetName())
		}
		if len(want) == 0 {
			return m
		}
	}
	return nil
}

// nativeCounts decodes a native histogram's spans and deltas into counts
// by bucket key.
func nativeCounts(h *dto.Histogram) map[int]uint64 {
	out := map[int]uint64{}
	k, i, cur := 0, 0, int64(0)
	for si, s := range h.PositiveSpan {
		if si == 0 {
			k = int(s.GetOffset())
		} else {
			k += int(s.GetOffset())
		}
		for range s.GetLength() {
			cur += h.PositiveDelta[i]
			out[k] = uint64(cur)
			i++
			k++
		}
	}
	return out
}

func TestCollector(t *testing.T) {
	tg := newTargets("promtest")
	tg.work(t)
	schema := int32(8)
	fams := gather(t, NewCollector(Options{NativeSchema: &schema, NativeMaxBuckets: -1}))

	calls := metric(fams["hotpath_function_calls_total"], "function", tg.fast.Name)
	if calls.GetCounter().GetValue() != 1000 {
		t.Errorf("calls of fast: %v, want 1000", calls)
	}
	if m := metric(fams["hotpath_function_calls_total"], "function", tg.slow.Name); m.GetCounter().GetValue() != 10 {
		t.Errorf("calls of slow: %v", m)
	}
	h := metric(fams["hotpath_function_duration_seconds"], "function", tg.fast.Name).GetHistogram()
	if h.GetSampleCount() != 1000 {
		t.Errorf("sample count %d", h.GetSampleCount())
	}
	// Sum of 100+i µs for i < 1000: 0.1 s + 499500 µs.
	if want := 0.5995; math.Abs(h.GetSampleSum()-want) > 1e-9 {
		t.Errorf("sample sum %v, want %v", h.GetSampleSum(), want)
	}
	// Classic buckets: durations 100..1099 µs. A duration counts at the
	// highest value of its HDR bucket, which is above the round values
	// 100 µs, 250 µs, ...: 100..249 µs is 150 calls, ..499 µs 400, ..999
	// µs 900, all 1000 by 2.5 ms.
	want := map[float64]uint64{1e-4: 0, 2.5e-4: 150, 5e-4: 400, 1e-3: 900, 2.5e-3: 1000, 10: 1000, 1e-5: 0}
	for _, b := range h.Bucket {
		if w, ok := want[b.GetUpperBound()]; ok && b.GetCumulativeCount() != w {
			t.Errorf("classic bucket le=%g: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), w)
		}
	}
	// Native buckets: every duration falls in the bucket whose bounds
	// hold it.
	if h.GetSchema() != 8 {
		t.Errorf("schema %d, want 8", h.GetSchema())
	}
	got := nativeCounts(h)
	wantNative := map[int]uint64{}
	for i := range 1000 {
		v := float64(100_000+i*1000) / 1e9
		wantNative[nativeKey(v, 8)]++
	}
	if fmt.Sprint(got) != fmt.Sprint(wantNative) {
		// HDR buckets that straddle a native boundary may move a value
		// to the next bucket; allow that, but nothing else.
		var total uint64
		for k, n := range got {
			total += n
			if wantNative[k] == 0 && wantNative[k-1] == 0 {
				t.Errorf("native bucket %d has %d values, none expected there", k, n)
			}
		}
		if total != 1000 {
			t.Errorf("native buckets hold %d values, want 1000", total)
		}
	}
	// Channels.
	q := tg.queue.Label
	for _, c := range []struct {
		fam  string
		lbl  []string
		want float64
	}{
		{"hotpath_channel_sent_total", nil, 2},
		{"hotpath_channel_received_total", nil, 2},
		{"hotpath_channel_blocked_total", []string{"op", "recv"}, 1},
		{"hotpath_channel_blocked_seconds_total", []string{"op", "recv"}, 2},
		{"hotpath_channel_blocked_seconds_total", []string{"op", "send"}, 0},
		{"hotpath_channel_max_depth", nil, 1},
	} {
		m := metric(fams[c.fam], "channel", q, c.lbl...)
		if m == nil {
			t.Errorf("no %s{channel=%q %v}", c.fam, q, c.lbl)
			continue
		}
		v := m.GetCounter().GetValue()
		if m.Gauge != nil {
			v = m.GetGauge().GetValue()
		}
		if v != c.want {
			t.Errorf("%s{channel=%q %v} = %v, want %v", c.fam, q, c.lbl, v, c.want)
		}
	}
	// No allocation numbers without an allocation-mode guard.
	if fams["hotpath_function_alloc_bytes_total"] != nil {
		t.Errorf("alloc numbers without allocation mode")
	}
}

func TestNativeKey(t *testing.T) {
	for _, schema := range []int32{-4, -1, 0, 1, 3, 8} {
		for _, v := range []float64{1e-9, 1e-6, 0.001, 0.5, 1, 2, 3, 1024, 3600, math.Sqrt2, 1.0001e-7} {
			k := nativeKey(v, schema)
			if !(upper(k-1, schema) < v && v <= upper(k, schema)) {
				t.Errorf("schema %d: %g in bucket %d = (%g, %g]", schema, v, k, upper(k-1, schema), upper(k, schema))
			}
		}
	}
	if k := nativeKey(1, 3); k != 0 {
		t.Errorf("1 in bucket %d, want 0", k)
	}
	if k := nativeKey(2, 0); k != 1 {
		t.Errorf("2 at schema 0 in bucket %d, want 1", k)
	}
}

func TestNativeResolutionReduction(t *testing.T) {
	tg := newTargets("promred")
	tg.work(t)
	fams := gather(t, NewCollector(Options{NativeMaxBuckets: 20}))
	h := metric(fams["hotpath_function_duration_seconds"], "function", tg.fast.Name).GetHistogram()
	counts := nativeCounts(h)
	if len(counts) > 20 {
		t.Errorf("%d native buckets, cap 20", len(counts))
	}
	if h.GetSchema() >= 3 {
		t.Errorf("schema %d not reduced", h.GetSchema())
	}
	var total uint64
	for k, n := range counts {
		total += n
		// Durations are within (100 µs, 1.1 ms].
		if upper(k, h.GetSchema()) < 100e-6 || upper(k-1, h.GetSchema()) > 1.1e-3 {
			t.Errorf("bucket %d at schema %d is outside the durations", k, h.GetSchema())
		}
	}
	if total != 1000 {
		t.Errorf("native total %d", total)
	}
}

func TestNewCollectorRejectsBadBuckets(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "not increasing") {
			t.Errorf("panic %v", r)
		}
	}()
	NewCollector(Options{Buckets: []float64{1, 1}})
}

func TestFunctionLabelsUnique(t *testing.T) {
	got := functionLabels([]hotpath.FuncStats{
		{Name: "body", Parent: "p.A"}, {Name: "body", Parent: "p.B"}, {Name: "p.C"},
	})
	if want := "[body in p.A body in p.B p.C]"; fmt.Sprint(got) != want {
		t.Errorf("labels %v, want %s", got, want)
	}
}

// TestHandlerNegotiates checks /metrics as the live listener serves it:
// the route is added, and text, OpenMetrics and protobuf are served as
// asked.
func TestHandlerNegotiates(t *testing.T) {
	tg := newTargets("promhttp")
	tg.work(t)
	var h http.Handler
	for _, r := range liveroutes.All() {
		if r.Pattern == "GET /metrics" {
			h = r.Handler
		}
	}
	if h == nil {
		t.Fatal("importing the package added no GET /metrics live route")
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, tc := range []struct {
		accept, wantType string
	}{
		{"", "text/plain"},
		{"application/openmetrics-text;version=1.0.0", "application/openmetrics-text"},
		{"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited", "application/vnd.google.protobuf"},
	} {
		req, _ := http.NewRequest("GET", srv.URL, nil)
		if tc.accept != "" {
			req.Header.Set("Accept", tc.accept)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tc.wantType) {
			t.Errorf("Accept %q: Content-Type %q, want %s", tc.accept, ct, tc.wantType)
		}
		switch tc.wantType {
		case "text/plain":
			line := fmt.Sprintf("hotpath_function_calls_total{function=%q} 1000", tg.fast.Name)
			if !bytes.Contains(body, []byte(line)) {
				t.Errorf("text exposition lacks %q", line)
			}
		case "application/vnd.google.protobuf":
			dec := expfmt.NewDecoder(bytes.NewReader(body), expfmt.NewFormat(expfmt.TypeProtoDelim))
			found := false
			for {
				var mf dto.MetricFamily
				if err := dec.Decode(&mf); err != nil {
					break
				}
				if mf.GetName() == "hotpath_function_duration_seconds" {
					if m := metric(&mf, "function", tg.fast.Name); m != nil && len(m.GetHistogram().PositiveSpan) > 0 {
						found = true
					}
				}
			}
			if !found {
				t.Errorf("protobuf exposition lacks fast's native histogram")
			}
		}
	}
}

func TestAllocCounters(t *testing.T) {
	for _, v := range []string{"HOTPATH_FORMAT", "HOTPATH_OUTPUT", "HOTPATH_FOCUS", "HOTPATH_LIMIT", "HOTPATH_ALLOC", "HOTPATH_SAMPLE"} {
		t.Setenv(v, "")
	}
	g := hotpath.Start(hotpath.Options{Alloc: true, Format: hotpath.FormatNone, Focus: "nothing"})
	for range 100 {
		allocWork()
	}
	fams := gather(t, NewCollector())
	if err := g.Stop(); err != nil {
		t.Fatal(err)
	}
	m := metric(fams["hotpath_function_alloc_bytes_total"], "function", allocFunc.Name)
	if m == nil {
		t.Fatalf("no hotpath_function_alloc_bytes_total for %s in allocation mode", allocFunc.Name)
	}
	// 100 allocations of 4 KiB; heap sampling makes the figure an
	// estimate.
	if v := m.GetCounter().GetValue(); v < 200<<10 || v > 800<<10 {
		t.Errorf("alloc bytes %v, want about %d", v, 400<<10)
	}
	if m.GetCounter().GetCreatedTimestamp() == nil {
		t.Errorf("alloc counter without created timestamp")
	}
	// After the guard stops, the family is gone.
	if fams := gather(t, NewCollector()); fams["hotpath_function_alloc_bytes_total"] != nil {
		t.Errorf("alloc numbers after the allocation-mode guard stopped")
	}
}

// allocFunc measures allocWork; allocation mode attributes heap samples to
// it by its Symbol, which must be the real function's.
var allocFunc = hotpathimpl.Func{Name: "promalloc.work", Symbol: "github.com/hotpath-go/hotpath/runtime/export/prom.allocWork",
	File: "prom_test.go"}

var allocSink [][]byte

//go:noinline
func allocWork() {
	defer allocFunc.Begin().End()
	allocSink = append(allocSink, make([]byte, 1<<12))
}

// kinds are a goroutine site and two mutex sites, declared as generated
// code does.
type kinds struct {
	workers    *hotpathimpl.GoSite
	store, rw  *hotpathimpl.MutexSite
	holdWorker chan struct{}
}

func newKinds(prefix string) kinds {
	p := fmt.Sprintf("%s%d.", prefix, run.Add(1))
	return kinds{
		workers:    &hotpathimpl.GoSite{Label: p + "worker", Func: "example.com/p.Run", Site: "example.com/p/p.go:40"},
		store:      &hotpathimpl.MutexSite{Label: p + "Store.mu", Type: "sync.Mutex", Site: "example.com/p/p.go:50"},
		rw:         &hotpathimpl.MutexSite{Label: p + "cache", Type: "sync.RWMutex", Site: "example.com/p/p.go:60"},
		holdWorker: make(chan struct{}),
	}
}

// work makes exact activity: four worker goroutines, alive at once, of
// which one stays alive (until the test's cleanup), one ends by
// runtime.Goexit and two return; store is locked twice, the second Lock
// waiting for the first holder; rw is read-held 500 ms, then write-held
// 250 ms, exactly (a synctest bubble).
func (k kinds) work(t *testing.T) {
	t.Cleanup(func() { close(k.holdWorker) })
	go hotpathimpl.GoFunc0R0(k.workers, func() { <-k.holdWorker }).Run()
	for k.workers.State() == nil || k.workers.State().Snapshot().Alive() != 1 {
		time.Sleep(time.Millisecond)
	}
	// A goroutine waiting for a sync.Mutex is not durably blocked, so
	// contention is made on the real clock: the waiter waits about 50 ms.
	var mu sync.Mutex
	hotpathimpl.MutexLock(k.store, &mu)
	done := make(chan struct{})
	go func() {
		hotpathimpl.MutexLock(k.store, &mu)
		hotpathimpl.MutexUnlock(k.store, &mu)
		close(done)
	}()
	time.Sleep(50 * time.Millisecond)
	hotpathimpl.MutexUnlock(k.store, &mu)
	<-done
	synctest.Test(t, func(t *testing.T) {
		for i := range 3 {
			go hotpathimpl.GoFunc0R0(k.workers, func() {
				time.Sleep(time.Second)
				if i == 0 {
					runtime.Goexit()
				}
			}).Run()
		}
		var rw sync.RWMutex
		hotpathimpl.RWMutexRLock(k.rw, &rw)
		time.Sleep(500 * time.Millisecond)
		hotpathimpl.RWMutexRUnlock(k.rw, &rw)
		hotpathimpl.RWMutexLock(k.rw, &rw)
		time.Sleep(250 * time.Millisecond)
		hotpathimpl.RWMutexUnlock(k.rw, &rw)
		time.Sleep(time.Second) // the workers end
		synctest.Wait()
	})
}

func TestCollectorGoroutinesAndMutexes(t *testing.T) {
	k := newKinds("promkinds")
	k.work(t)
	fams := gather(t, NewCollector())
	value := func(fam, name, label string, more ...string) (float64, bool) {
		m := metric(fams[fam], name, label, more...)
		if m == nil {
			return 0, false
		}
		if m.Gauge != nil {
			return m.GetGauge().GetValue(), true
		}
		return m.GetCounter().GetValue(), true
	}
	w := k.workers.Label
	for _, c := range []struct {
		fam  string
		want float64
	}{
		{"hotpath_goroutines_started_total", 4},
		{"hotpath_goroutines_finished_total", 3},
		{"hotpath_goroutines_panicked_total", 0},
		{"hotpath_goroutines_alive", 1},
		{"hotpath_goroutines_peak_alive", 4},
	} {
		if v, ok := value(c.fam, "goroutine", w); !ok || v != c.want {
			t.Errorf("%s{goroutine=%q} = %v (found %v), want %v", c.fam, w, v, ok, c.want)
		}
	}
	for _, c := range []struct {
		fam, mutex, mode string
		want             float64
	}{
		{"hotpath_mutex_acquisitions_total", k.store.Label, "lock", 2},
		{"hotpath_mutex_contended_total", k.store.Label, "lock", 1},
		{"hotpath_mutex_acquisitions_total", k.rw.Label, "lock", 1},
		{"hotpath_mutex_acquisitions_total", k.rw.Label, "rlock", 1},
		{"hotpath_mutex_contended_total", k.rw.Label, "rlock", 0},
		{"hotpath_mutex_wait_seconds_total", k.rw.Label, "rlock", 0},
		{"hotpath_mutex_hold_seconds_total", k.rw.Label, "lock", 0.25},
		{"hotpath_mutex_hold_seconds_total", k.rw.Label, "rlock", 0.5},
	} {
		if v, ok := value(c.fam, "mutex", c.mutex, "mode", c.mode); !ok || v != c.want {
			t.Errorf("%s{mutex=%q,mode=%q} = %v (found %v), want %v", c.fam, c.mutex, c.mode, v, ok, c.want)
		}
	}
	// The first Lock was held across a 50 ms sleep; the contended Lock
	// waited during it. The two are timed at different instants on the
	// real clock, so the wait may come out longer than the hold by as much
	// as the scheduler took to wake the waiter (a second allows for a
	// loaded machine); what is checked is that both are seconds, not
	// nanoseconds or minutes.
	wait, _ := value("hotpath_mutex_wait_seconds_total", "mutex", k.store.Label, "mode", "lock")
	hold, _ := value("hotpath_mutex_hold_seconds_total", "mutex", k.store.Label, "mode", "lock")
	if !(hold >= 0.049 && hold < 5 && wait > 0 && wait < hold+1) {
		t.Errorf("store: wait %v s, hold %v s; want 49 ms <= hold < 5 s, 0 < wait < hold + 1 s", wait, hold)
	}
	// A sync.Mutex has no rlock series.
	if _, ok := value("hotpath_mutex_acquisitions_total", "mutex", k.store.Label, "mode", "rlock"); ok {
		t.Errorf("rlock series for the sync.Mutex %s", k.store.Label)
	}
}

func TestSiteLabelsUnique(t *testing.T) {
	rows := []hotpath.GoRow{{Label: "a", Site: "p.go:1"}, {Label: "b", Site: "p.go:2"}, {Label: "a", Site: "q.go:3"}}
	got := siteLabels(rows, func(r *hotpath.GoRow) (string, string) { return r.Label, r.Site })
	if want := []string{"a at p.go:1", "b", "a at q.go:3"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("siteLabels = %q, want %q", got, want)
	}
}

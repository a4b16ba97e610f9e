// Package prom exports what hotpath measures as Prometheus metrics: a
// [prometheus.Collector] that reads one runtime snapshot per scrape, so
// measuring costs nothing more while nobody scrapes.
//
// Nothing registers itself with a registry: register the collector where
// the program's metrics are served,
//
//	reg := prometheus.NewRegistry()
//	reg.MustRegister(prom.NewCollector())
//	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// Importing the package also adds GET /metrics to hotpath's live listener
// (HOTPATH_HTTP), served from a registry of its own that holds one
// collector. The route exists exactly in the programs that import this
// package, which keeps client_golang out of the others.
//
// The metric families (docs/EXPORT.md):
//
//	hotpath_function_calls_total{function}                counter
//	hotpath_function_duration_seconds{function}           histogram, classic and native buckets
//	hotpath_function_alloc_bytes_total{function}          counter, while an allocation-mode guard runs
//	hotpath_function_alloc_objects_total{function}        counter, while an allocation-mode guard runs
//	hotpath_channel_sent_total{channel}                   counter
//	hotpath_channel_received_total{channel}               counter
//	hotpath_channel_blocked_total{channel,op}             counter: operations that waited
//	hotpath_channel_blocked_seconds_total{channel,op}     counter: time they waited
//	hotpath_channel_max_depth{channel}                    gauge
//	hotpath_goroutines_started_total{goroutine}           counter
//	hotpath_goroutines_finished_total{goroutine}          counter: ended without a panic
//	hotpath_goroutines_panicked_total{goroutine}          counter: ended by a panic
//	hotpath_goroutines_alive{goroutine}                   gauge
//	hotpath_goroutines_peak_alive{goroutine}              gauge
//	hotpath_mutex_acquisitions_total{mutex,mode}          counter, mode lock or rlock
//	hotpath_mutex_contended_total{mutex,mode}             counter: acquisitions that waited
//	hotpath_mutex_wait_seconds_total{mutex,mode}          counter: time they waited
//	hotpath_mutex_hold_seconds_total{mutex,mode}          counter: time the lock was held
//
// Every number counts from the process start, as Prometheus counters do;
// the allocation counters count from the start of the allocation-mode guard
// and carry its start as their created timestamp.
package prom

import (
	"fmt"
	"net/http"
	"strconv"

	hotpath "github.com/hotpath-go/hotpath/runtime"
	"github.com/hotpath-go/hotpath/runtime/export/internal/expbucket"
	"github.com/hotpath-go/hotpath/runtime/internal/exportbridge"
	"github.com/hotpath-go/hotpath/runtime/internal/liveroutes"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
)

// Options configure a Collector. The zero value is the default.
type Options struct {
	// Buckets are the classic histogram's upper bounds in seconds,
	// increasing; default DefaultBuckets.
	Buckets []float64
	// NativeSchema is the native histograms' resolution: buckets grow by
	// a factor of 2^(2^-NativeSchema), from 2^-4 = 16 (schema -4) to
	// 2^(1/256) (schema 8). Default 3 (a factor of 1.09, what
	// client_golang's own histograms use for a bucket factor of 1.1).
	// Outside -4..8 it is clamped.
	NativeSchema *int32
	// NativeMaxBuckets caps a native histogram's buckets: beyond it the
	// schema is lowered until the buckets fit, as client_golang does.
	// Default 160; negative means no cap.
	NativeMaxBuckets int
}

// DefaultBuckets are the classic histogram's upper bounds: 1, 2.5 and 5
// times each power of ten from 1 µs to 10 s.
var DefaultBuckets = []float64{
	1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4,
	1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
}

// zeroThreshold is client_golang's default for the native zero bucket; no
// duration falls in it (the runtime's histograms start at 1 ns).
const zeroThreshold = 2.938735877055719e-39

// Collector is a prometheus.Collector of hotpath's numbers. It is safe for
// concurrent use; every Collect reads one snapshot.
type Collector struct {
	buckets    []float64
	bucketsNS  []int64 // expbucket.FloorNS of each bound
	schema     int32
	maxBuckets int

	calls, duration, allocBytes, allocObjects   *prometheus.Desc
	sent, received, blocked, blockedSec, maxDep *prometheus.Desc
	goStarted, goFinished, goPanicked           *prometheus.Desc
	goAlive, goPeak                             *prometheus.Desc
	muAcq, muContended, muWait, muHold          *prometheus.Desc
}

// NewCollector returns a collector with the given options (at most one;
// none for the defaults). It panics when Buckets are not increasing.
func NewCollector(opts ...Options) *Collector {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	c := &Collector{buckets: DefaultBuckets, schema: 3, maxBuckets: 160}
	if o.Buckets != nil {
		for i := 1; i < len(o.Buckets); i++ {
			if !(o.Buckets[i] > o.Buckets[i-1]) {
				panic(fmt.Sprintf("prom: Buckets not increasing at %d: %v", i, o.Buckets))
			}
		}
		c.buckets = append([]float64(nil), o.Buckets...)
	}
	for _, b := range c.buckets {
		c.bucketsNS = append(c.bucketsNS, expbucket.FloorNS(b))
	}
	if o.NativeSchema != nil {
		c.schema = min(max(*o.NativeSchema, -4), 8)
	}
	if o.NativeMaxBuckets != 0 {
		c.maxBuckets = o.NativeMaxBuckets
	}
	fn, ch, chOp := []string{"function"}, []string{"channel"}, []string{"channel", "op"}
	c.calls = prometheus.NewDesc("hotpath_function_calls_total",
		"Calls of a measured function or block: every call with exact sampling (HOTPATH_SAMPLE=N), an estimate of N per timed call with HOTPATH_SAMPLE=~N.", fn, nil)
	c.duration = prometheus.NewDesc("hotpath_function_duration_seconds",
		"Durations of the timed calls of a measured function or block.", fn, nil)
	c.allocBytes = prometheus.NewDesc("hotpath_function_alloc_bytes_total",
		"Heap bytes allocated while the function or block was on the stack (allocation mode), since the allocation-mode guard started.", fn, nil)
	c.allocObjects = prometheus.NewDesc("hotpath_function_alloc_objects_total",
		"Heap objects allocated while the function or block was on the stack (allocation mode), since the allocation-mode guard started.", fn, nil)
	c.sent = prometheus.NewDesc("hotpath_channel_sent_total",
		"Messages sent on the channels made at a //hotpath:channel site.", ch, nil)
	c.received = prometheus.NewDesc("hotpath_channel_received_total",
		"Messages received from the channels made at a //hotpath:channel site.", ch, nil)
	c.blocked = prometheus.NewDesc("hotpath_channel_blocked_total",
		"Channel operations that waited for another goroutine.", chOp, nil)
	c.blockedSec = prometheus.NewDesc("hotpath_channel_blocked_seconds_total",
		"Time channel operations waited for another goroutine.", chOp, nil)
	c.maxDep = prometheus.NewDesc("hotpath_channel_max_depth",
		"Largest number of messages queued in a site's channels since the process started.", ch, nil)
	g, mu := []string{"goroutine"}, []string{"mutex", "mode"}
	c.goStarted = prometheus.NewDesc("hotpath_goroutines_started_total",
		"Goroutines started by a //hotpath:go statement.", g, nil)
	c.goFinished = prometheus.NewDesc("hotpath_goroutines_finished_total",
		"Goroutines of a //hotpath:go statement that ended without a panic (returned or called runtime.Goexit).", g, nil)
	c.goPanicked = prometheus.NewDesc("hotpath_goroutines_panicked_total",
		"Goroutines of a //hotpath:go statement that ended by a panic.", g, nil)
	c.goAlive = prometheus.NewDesc("hotpath_goroutines_alive",
		"Goroutines of a //hotpath:go statement that have begun and not ended.", g, nil)
	c.goPeak = prometheus.NewDesc("hotpath_goroutines_peak_alive",
		"Largest number of a //hotpath:go statement's goroutines alive at once since the process started.", g, nil)
	c.muAcq = prometheus.NewDesc("hotpath_mutex_acquisitions_total",
		"Locks taken on the mutexes of a //hotpath:mutex site (mode lock: Lock and successful TryLock; rlock: RLock and successful TryRLock).", mu, nil)
	c.muContended = prometheus.NewDesc("hotpath_mutex_contended_total",
		"Acquisitions of a //hotpath:mutex site's mutexes that waited for the lock.", mu, nil)
	c.muWait = prometheus.NewDesc("hotpath_mutex_wait_seconds_total",
		"Time the contended acquisitions of a //hotpath:mutex site's mutexes waited for the lock.", mu, nil)
	c.muHold = prometheus.NewDesc("hotpath_mutex_hold_seconds_total",
		"Time a //hotpath:mutex site's mutexes were held, over the holds released (rlock: read-held periods, from the first reader in to the last out).", mu, nil)
	return c
}

// Describe sends the descriptors of every family the collector can send.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.calls, c.duration, c.allocBytes, c.allocObjects,
		c.sent, c.received, c.blocked, c.blockedSec, c.maxDep,
		c.goStarted, c.goFinished, c.goPanicked, c.goAlive, c.goPeak,
		c.muAcq, c.muContended, c.muWait, c.muHold} {
		ch <- d
	}
}

// Collect takes a snapshot and sends its metrics.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.collect(hotpath.TakeSnapshot(), ch)
}

func (c *Collector) collect(s *hotpath.Snapshot, ch chan<- prometheus.Metric) {
	funcs := s.Funcs(nil)
	names := functionLabels(funcs)
	var buf []kv // native buckets, reused by every histogram
	for i := range funcs {
		f := &funcs[i]
		ch <- prometheus.MustNewConstMetric(c.calls, prometheus.CounterValue, float64(f.Calls), names[i])
		var h prometheus.Metric
		h, buf = c.histogram(f, names[i], buf)
		ch <- h
	}
	if rep, start, ok := exportbridge.AllocWindow[*hotpath.Report](); ok {
		labels := map[[2]string]string{}
		for i := range funcs {
			labels[[2]string{funcs[i].Name, funcs[i].Parent}] = names[i]
		}
		for i := range rep.Functions {
			row := &rep.Functions[i]
			name, ok := labels[[2]string{row.Name, row.Parent}]
			if !ok {
				continue
			}
			ch <- prometheus.MustNewConstMetricWithCreatedTimestamp(c.allocBytes, prometheus.CounterValue,
				float64(row.AllocBytes), start, name)
			ch <- prometheus.MustNewConstMetricWithCreatedTimestamp(c.allocObjects, prometheus.CounterValue,
				float64(row.AllocObjects), start, name)
		}
	}
	chans := s.Chans(nil)
	labels := channelLabels(chans)
	for i := range chans {
		cs := &chans[i]
		l := labels[i]
		ch <- prometheus.MustNewConstMetric(c.sent, prometheus.CounterValue, float64(cs.Sent), l)
		ch <- prometheus.MustNewConstMetric(c.received, prometheus.CounterValue, float64(cs.Received), l)
		for _, op := range []struct {
			name string
			b    *hotpath.Blocked
		}{{"send", &cs.SendBlocked}, {"recv", &cs.RecvBlocked}} {
			ch <- prometheus.MustNewConstMetric(c.blocked, prometheus.CounterValue, float64(op.b.Count), l, op.name)
			ch <- prometheus.MustNewConstMetric(c.blockedSec, prometheus.CounterValue, float64(op.b.TotalNS)/1e9, l, op.name)
		}
		ch <- prometheus.MustNewConstMetric(c.maxDep, prometheus.GaugeValue, float64(cs.MaxDepth), l)
	}
	goros := s.Goroutines(nil)
	gl := siteLabels(goros, func(r *hotpath.GoRow) (string, string) { return r.Label, r.Site })
	for i := range goros {
		g, l := &goros[i], gl[i]
		ch <- prometheus.MustNewConstMetric(c.goStarted, prometheus.CounterValue, float64(g.Started), l)
		ch <- prometheus.MustNewConstMetric(c.goFinished, prometheus.CounterValue, float64(g.Finished), l)
		ch <- prometheus.MustNewConstMetric(c.goPanicked, prometheus.CounterValue, float64(g.Panicked), l)
		ch <- prometheus.MustNewConstMetric(c.goAlive, prometheus.GaugeValue, float64(g.Alive), l)
		ch <- prometheus.MustNewConstMetric(c.goPeak, prometheus.GaugeValue, float64(g.PeakAlive), l)
	}
	mutexes := s.Mutexes(nil)
	ml := siteLabels(mutexes, func(r *hotpath.MutexRow) (string, string) { return r.Label, r.Site })
	for i := range mutexes {
		m, l := &mutexes[i], ml[i]
		c.mutexMode(ch, l, "lock", &m.Lock)
		if m.RLock != nil {
			c.mutexMode(ch, l, "rlock", m.RLock)
		}
	}
}

// mutexMode sends the numbers of one mode of a mutex site.
func (c *Collector) mutexMode(ch chan<- prometheus.Metric, label, mode string, m *hotpath.MutexStats) {
	ch <- prometheus.MustNewConstMetric(c.muAcq, prometheus.CounterValue, float64(m.Acquisitions), label, mode)
	ch <- prometheus.MustNewConstMetric(c.muContended, prometheus.CounterValue, float64(m.Contended), label, mode)
	ch <- prometheus.MustNewConstMetric(c.muWait, prometheus.CounterValue, float64(m.Wait.TotalNS)/1e9, label, mode)
	ch <- prometheus.MustNewConstMetric(c.muHold, prometheus.CounterValue, float64(m.Hold.TotalNS)/1e9, label, mode)
}

// functionLabels returns the function label of each row: its name, made
// unique where two rows share one (blocks with the same label in different
// functions) by adding the enclosing function.
func functionLabels(funcs []hotpath.FuncStats) []string {
	seen := make(map[string]int, len(funcs))
	for i := range funcs {
		seen[funcs[i].Name]++
	}
	out := make([]string, len(funcs))
	used := make(map[string]bool, len(funcs))
	for i := range funcs {
		f := &funcs[i]
		l := f.Name
		if seen[l] > 1 && f.Parent != "" {
			l = f.Name + " in " + f.Parent
		}
		for n := 2; used[l]; n++ {
			l = f.Name + "#" + strconv.Itoa(n)
		}
		used[l] = true
		out[i] = l
	}
	return out
}

// channelLabels returns the channel label of each site: its label, with
// the site added where two sites share a label.
func channelLabels(chans []hotpath.ChanStats) []string {
	seen := make(map[string]int, len(chans))
	for i := range chans {
		seen[chans[i].Label]++
	}
	out := make([]string, len(chans))
	for i := range chans {
		out[i] = chans[i].Label
		if seen[out[i]] > 1 {
			out[i] += " at " + chans[i].Site
		}
	}
	return out
}

// siteLabels returns the label of each goroutine or mutex site, with the
// site added where two sites share a label, as channelLabels does.
func siteLabels[R any](rows []R, key func(*R) (label, site string)) []string {
	seen := make(map[string]int, len(rows))
	for i := range rows {
		l, _ := key(&rows[i])
		seen[l]++
	}
	out := make([]string, len(rows))
	for i := range rows {
		l, site := key(&rows[i])
		out[i] = l
		if seen[l] > 1 {
			out[i] += " at " + site
		}
	}
	return out
}

// histogram is a duration histogram with classic and native buckets, made
// from the runtime's HDR buckets.
type histogram struct {
	desc  *prometheus.Desc
	label string
	h     *dto.Histogram
}

func (h *histogram) Desc() *prometheus.Desc { return h.desc }

func (h *histogram) Write(m *dto.Metric) error {
	m.Label = prometheus.MakeLabelPairs(h.desc, []string{h.label})
	m.Histogram = h.h
	return nil
}

func (c *Collector) histogram(f *hotpath.FuncStats, label string, buf []kv) (prometheus.Metric, []kv) {
	// One walk over the HDR buckets fills the classic counts and the
	// native buckets at the collector's schema.
	n := len(c.buckets)
	counts := make([]uint64, n)
	var count uint64
	i := 0
	nb := buf[:0]
	// Durations compare with the bounds in integer nanoseconds, exactly as
	// their values in seconds would (expbucket.FloorNS).
	bound := int64(-1) // the upper bound of the last native bucket
	for b := range f.Durations.Buckets() {
		count += b.Count
		// An HDR bucket counts below a bound when its highest value
		// does, which is how the runtime's percentiles read it too.
		for i < n && c.bucketsNS[i] < b.High {
			i++
		}
		if i < n {
			counts[i] += b.Count
		}
		if b.High <= bound {
			nb[len(nb)-1].n += b.Count
			continue
		}
		k := nativeKey(float64(b.High)/1e9, c.schema)
		bound = expbucket.FloorNS(upper(k, c.schema))
		nb = append(nb, kv{k, b.Count})
	}
	h := &histogram{desc: c.duration, label: label, h: &dto.Histogram{}}
	sum := float64(f.TotalNS) / 1e9
	h.h.SampleCount = &count
	h.h.SampleSum = &sum
	h.h.Bucket = classicBuckets(counts, c.buckets)
	native := nativeBuckets(nb, c.schema, c.maxBuckets)
	h.h.Schema = &native.schema
	zt, zc := zeroThreshold, uint64(0)
	h.h.ZeroThreshold, h.h.ZeroCount = &zt, &zc
	h.h.PositiveSpan, h.h.PositiveDelta = native.spans, native.deltas
	if len(h.h.PositiveSpan) == 0 {
		// An empty native histogram still needs a span to be told from a
		// classic one, as client_golang writes it.
		off, n := int32(0), uint32(0)
		h.h.PositiveSpan = []*dto.BucketSpan{{Offset: &off, Length: &n}}
	}
	return h, nb
}

// classicBuckets returns the classic buckets of the counts at each bound
// (in seconds), made cumulative in place.
func classicBuckets(counts []uint64, bounds []float64) []*dto.Bucket {
	n := len(bounds)
	out := make([]*dto.Bucket, n)
	store := make([]dto.Bucket, n)
	ubs := append([]float64(nil), bounds...)
	for i := range n {
		if i > 0 {
			counts[i] += counts[i-1]
		}
		store[i].CumulativeCount, store[i].UpperBound = &counts[i], &ubs[i]
		out[i] = &store[i]
	}
	return out
}

// kv is a native bucket: its key and count.
type kv struct {
	k int
	n uint64
}

type native struct {
	schema int32
	spans  []*dto.BucketSpan
	deltas []int64
}

// nativeKey returns the index of the native bucket that holds v (> 0) at
// the schema: bucket k holds (2^((k-1)/2^schema), 2^(k/2^schema)].
func nativeKey(v float64, schema int32) int { return expbucket.Key(v, schema) }

// upper returns the upper bound of native bucket k.
func upper(k int, schema int32) float64 { return expbucket.Upper(k, schema) }

// nativeBuckets encodes native buckets (increasing keys at the schema) as
// spans and deltas. When more than maxBuckets are given the schema goes
// down, merging pairs of buckets, until they fit (or the schema is -4).
// It reuses the memory of buckets.
func nativeBuckets(buckets []kv, schema int32, maxBuckets int) native {
	for maxBuckets >= 0 && len(buckets) > maxBuckets && schema > -4 {
		schema--
		merged := buckets[:0]
		for _, b := range buckets {
			b.k = (b.k + 1) >> 1
			if n := len(merged); n > 0 && merged[n-1].k == b.k {
				merged[n-1].n += b.n
				continue
			}
			merged = append(merged, b)
		}
		buckets = merged
	}
	out := native{schema: schema, deltas: make([]int64, 0, len(buckets))}
	var prev int64
	for i, b := range buckets {
		gap := b.k
		if i > 0 {
			gap = b.k - buckets[i-1].k - 1
		}
		if i == 0 || gap > 0 {
			off, n := int32(gap), uint32(0)
			out.spans = append(out.spans, &dto.BucketSpan{Offset: &off, Length: &n})
		}
		*out.spans[len(out.spans)-1].Length++
		out.deltas = append(out.deltas, int64(b.n)-prev)
		prev = int64(b.n)
	}
	return out
}

// Handler returns an http.Handler serving a registry of its own that holds
// one Collector, content-negotiated as promhttp does (text, OpenMetrics,
// protobuf; native histogram buckets travel only in protobuf).
func Handler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector())
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true})
}

func init() {
	liveroutes.Add("GET /metrics", Handler())
}

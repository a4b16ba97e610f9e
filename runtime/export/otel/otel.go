// Package otel exports what hotpath measures as OpenTelemetry metrics: a
// [metric.Producer] that reads one runtime snapshot each time its reader
// collects, so measuring costs nothing more between collections.
//
// Wire it into a reader of the OpenTelemetry SDK:
//
//	exp, err := otlpmetrichttp.New(ctx)
//	...
//	reader := metric.NewPeriodicReader(exp, metric.WithProducer(hpotel.NewProducer()))
//	provider := metric.NewMeterProvider(metric.WithReader(reader))
//	defer provider.Shutdown(ctx)
//
// The metrics, under the instrumentation scope
// github.com/hotpath-go/hotpath, all cumulative from the process start
// (docs/EXPORT.md):
//
//	hotpath.function.calls             sum, {call}, attribute function
//	hotpath.function.duration          exponential histogram, s, attribute function
//	hotpath.function.alloc.bytes       sum, By, function; while an allocation-mode guard runs, from its start
//	hotpath.function.alloc.objects     sum, {object}, function; likewise
//	hotpath.channel.sent               sum, {message}, attribute channel
//	hotpath.channel.received           sum, {message}, channel
//	hotpath.channel.blocked            sum, {operation}, channel and op (send, recv)
//	hotpath.channel.blocked.duration   sum, s, channel and op
//	hotpath.channel.max_depth          gauge, {message}, channel
//	hotpath.goroutine.started          sum, {goroutine}, attribute goroutine
//	hotpath.goroutine.finished         sum, {goroutine}, goroutine; ended without a panic
//	hotpath.goroutine.panicked         sum, {goroutine}, goroutine; ended by a panic
//	hotpath.goroutine.alive            gauge, {goroutine}, goroutine
//	hotpath.goroutine.peak_alive       gauge, {goroutine}, goroutine
//	hotpath.mutex.acquisitions         sum, {acquisition}, attribute mutex, mode (lock, rlock)
//	hotpath.mutex.contended            sum, {acquisition}, mutex and mode
//	hotpath.mutex.wait.duration        sum, s, mutex and mode
//	hotpath.mutex.hold.duration        sum, s, mutex and mode
//
// Every metric of a channel, goroutine or mutex site also carries the
// attribute site, the site's position.
package otel

import (
	"context"
	"time"

	hotpath "github.com/hotpath-go/hotpath/runtime"
	"github.com/hotpath-go/hotpath/runtime/export/internal/expbucket"
	"github.com/hotpath-go/hotpath/runtime/internal/exportbridge"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// ScopeName is the instrumentation scope of every metric.
const ScopeName = "github.com/hotpath-go/hotpath"

// Options configure a Producer. The zero value is the default.
type Options struct {
	// MaxSize caps the buckets of an exponential histogram (from the lowest
	// populated to the highest, as OTLP sends them densely); the scale goes
	// down until they fit. Default 160, the SDK's own default.
	MaxSize int
	// MaxScale is the finest scale tried, -10..20; default 20.
	MaxScale *int32
}

// Producer is a metric.Producer of hotpath's numbers. It is safe for
// concurrent use.
type Producer struct {
	maxSize  int
	maxScale int32
}

var _ metric.Producer = (*Producer)(nil)

// NewProducer returns a producer with the given options (at most one; none
// for the defaults).
func NewProducer(opts ...Options) *Producer {
	p := &Producer{maxSize: 160, maxScale: 20}
	if len(opts) > 0 {
		if opts[0].MaxSize > 0 {
			p.maxSize = opts[0].MaxSize
		}
		if opts[0].MaxScale != nil {
			p.maxScale = min(max(*opts[0].MaxScale, -10), 20)
		}
	}
	return p
}

// Produce takes a snapshot and returns its metrics.
func (p *Producer) Produce(ctx context.Context) ([]metricdata.ScopeMetrics, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return []metricdata.ScopeMetrics{p.produce(hotpath.TakeSnapshot())}, nil
}

func (p *Producer) produce(s *hotpath.Snapshot) metricdata.ScopeMetrics {
	start, now := exportbridge.Start, s.Time()
	funcs := s.Funcs(nil)
	calls := metricdata.Sum[int64]{Temporality: metricdata.CumulativeTemporality, IsMonotonic: true}
	durs := metricdata.ExponentialHistogram[float64]{Temporality: metricdata.CumulativeTemporality}
	var buf []hotpath.Bucket // reused by every histogram
	for i := range funcs {
		f := &funcs[i]
		attrs := attribute.NewSet(attribute.String("function", f.Name))
		if f.Kind == "block" {
			attrs = attribute.NewSet(attribute.String("function", f.Name), attribute.String("parent", f.Parent))
		}
		calls.DataPoints = append(calls.DataPoints, metricdata.DataPoint[int64]{
			Attributes: attrs, StartTime: start, Time: now, Value: int64(f.Calls)})
		durs.DataPoints = append(durs.DataPoints, p.histogram(f, attrs, start, now, &buf))
	}
	sm := metricdata.ScopeMetrics{
		Scope: instrumentation.Scope{Name: ScopeName},
		Metrics: []metricdata.Metrics{
			{Name: "hotpath.function.calls", Description: "Calls of a measured function or block: every call with exact sampling (HOTPATH_SAMPLE=N), an estimate of N per timed call with HOTPATH_SAMPLE=~N.",
				Unit: "{call}", Data: calls},
			{Name: "hotpath.function.duration", Description: "Durations of the timed calls of a measured function or block.",
				Unit: "s", Data: durs},
		},
	}
	if rep, since, ok := exportbridge.AllocWindow[*hotpath.Report](); ok {
		bytes := metricdata.Sum[int64]{Temporality: metricdata.CumulativeTemporality, IsMonotonic: true}
		objects := metricdata.Sum[int64]{Temporality: metricdata.CumulativeTemporality, IsMonotonic: true}
		for i := range rep.Functions {
			row := &rep.Functions[i]
			attrs := attribute.NewSet(attribute.String("function", row.Name))
			if row.Kind == "block" {
				attrs = attribute.NewSet(attribute.String("function", row.Name), attribute.String("parent", row.Parent))
			}
			bytes.DataPoints = append(bytes.DataPoints, metricdata.DataPoint[int64]{
				Attributes: attrs, StartTime: since, Time: now, Value: row.AllocBytes})
			objects.DataPoints = append(objects.DataPoints, metricdata.DataPoint[int64]{
				Attributes: attrs, StartTime: since, Time: now, Value: row.AllocObjects})
		}
		sm.Metrics = append(sm.Metrics,
			metricdata.Metrics{Name: "hotpath.function.alloc.bytes", Unit: "By", Data: bytes,
				Description: "Heap bytes allocated while the function or block was on the stack, since the allocation-mode guard started."},
			metricdata.Metrics{Name: "hotpath.function.alloc.objects", Unit: "{object}", Data: objects,
				Description: "Heap objects allocated while the function or block was on the stack, since the allocation-mode guard started."})
	}
	sm.Metrics = append(sm.Metrics, channelMetrics(s.Chans(nil), start, now)...)
	sm.Metrics = append(sm.Metrics, goroutineMetrics(s.Goroutines(nil), start, now)...)
	sm.Metrics = append(sm.Metrics, mutexMetrics(s.Mutexes(nil), start, now)...)
	return sm
}

// sum returns an empty cumulative, monotonic sum.
func sum[N int64 | float64]() metricdata.Sum[N] {
	return metricdata.Sum[N]{Temporality: metricdata.CumulativeTemporality, IsMonotonic: true}
}

// channelMetrics returns the channel metrics; none without channels.
func channelMetrics(chans []hotpath.ChanStats, start, now time.Time) []metricdata.Metrics {
	if len(chans) == 0 {
		return nil
	}
	sent, recv, blocked := sum[int64](), sum[int64](), sum[int64]()
	blockedSec := sum[float64]()
	depth := metricdata.Gauge[int64]{}
	for i := range chans {
		c := &chans[i]
		attrs := attribute.NewSet(attribute.String("channel", c.Label), attribute.String("site", c.Site))
		sent.DataPoints = append(sent.DataPoints, metricdata.DataPoint[int64]{Attributes: attrs, StartTime: start, Time: now, Value: int64(c.Sent)})
		recv.DataPoints = append(recv.DataPoints, metricdata.DataPoint[int64]{Attributes: attrs, StartTime: start, Time: now, Value: int64(c.Received)})
		depth.DataPoints = append(depth.DataPoints, metricdata.DataPoint[int64]{Attributes: attrs, Time: now, Value: int64(c.MaxDepth)})
		for _, op := range []struct {
			name string
			b    *hotpath.Blocked
		}{{"send", &c.SendBlocked}, {"recv", &c.RecvBlocked}} {
			a := attribute.NewSet(attribute.String("channel", c.Label), attribute.String("site", c.Site), attribute.String("op", op.name))
			blocked.DataPoints = append(blocked.DataPoints, metricdata.DataPoint[int64]{Attributes: a, StartTime: start, Time: now, Value: int64(op.b.Count)})
			blockedSec.DataPoints = append(blockedSec.DataPoints, metricdata.DataPoint[float64]{Attributes: a, StartTime: start, Time: now, Value: float64(op.b.TotalNS) / 1e9})
		}
	}
	return []metricdata.Metrics{
		{Name: "hotpath.channel.sent", Unit: "{message}", Data: sent,
			Description: "Messages sent on the channels made at a //hotpath:channel site."},
		{Name: "hotpath.channel.received", Unit: "{message}", Data: recv,
			Description: "Messages received from the channels made at a //hotpath:channel site."},
		{Name: "hotpath.channel.blocked", Unit: "{operation}", Data: blocked,
			Description: "Channel operations that waited for another goroutine."},
		{Name: "hotpath.channel.blocked.duration", Unit: "s", Data: blockedSec,
			Description: "Time channel operations waited for another goroutine."},
		{Name: "hotpath.channel.max_depth", Unit: "{message}", Data: depth,
			Description: "Largest number of messages queued in a site's channels since the process started."},
	}
}

// goroutineMetrics returns the goroutine metrics; none without goroutine
// sites.
func goroutineMetrics(goros []hotpath.GoRow, start, now time.Time) []metricdata.Metrics {
	if len(goros) == 0 {
		return nil
	}
	started, finished, panicked := sum[int64](), sum[int64](), sum[int64]()
	alive, peak := metricdata.Gauge[int64]{}, metricdata.Gauge[int64]{}
	for i := range goros {
		g := &goros[i]
		attrs := attribute.NewSet(attribute.String("goroutine", g.Label), attribute.String("site", g.Site))
		point := func(v int64) metricdata.DataPoint[int64] {
			return metricdata.DataPoint[int64]{Attributes: attrs, StartTime: start, Time: now, Value: v}
		}
		started.DataPoints = append(started.DataPoints, point(int64(g.Started)))
		finished.DataPoints = append(finished.DataPoints, point(int64(g.Finished)))
		panicked.DataPoints = append(panicked.DataPoints, point(int64(g.Panicked)))
		alive.DataPoints = append(alive.DataPoints, metricdata.DataPoint[int64]{Attributes: attrs, Time: now, Value: g.Alive})
		peak.DataPoints = append(peak.DataPoints, metricdata.DataPoint[int64]{Attributes: attrs, Time: now, Value: g.PeakAlive})
	}
	return []metricdata.Metrics{
		{Name: "hotpath.goroutine.started", Unit: "{goroutine}", Data: started,
			Description: "Goroutines started by a //hotpath:go statement."},
		{Name: "hotpath.goroutine.finished", Unit: "{goroutine}", Data: finished,
			Description: "Goroutines of a //hotpath:go statement that ended without a panic (returned or called runtime.Goexit)."},
		{Name: "hotpath.goroutine.panicked", Unit: "{goroutine}", Data: panicked,
			Description: "Goroutines of a //hotpath:go statement that ended by a panic."},
		{Name: "hotpath.goroutine.alive", Unit: "{goroutine}", Data: alive,
			Description: "Goroutines of a //hotpath:go statement that have begun and not ended."},
		{Name: "hotpath.goroutine.peak_alive", Unit: "{goroutine}", Data: peak,
			Description: "Largest number of a //hotpath:go statement's goroutines alive at once since the process started."},
	}
}

// mutexMetrics returns the mutex metrics; none without mutex sites. A
// sync.Mutex has points of mode lock, a sync.RWMutex of lock and rlock.
func mutexMetrics(mutexes []hotpath.MutexRow, start, now time.Time) []metricdata.Metrics {
	if len(mutexes) == 0 {
		return nil
	}
	acq, contended := sum[int64](), sum[int64]()
	wait, hold := sum[float64](), sum[float64]()
	add := func(m *hotpath.MutexRow, mode string, st *hotpath.MutexStats) {
		attrs := attribute.NewSet(attribute.String("mutex", m.Label), attribute.String("site", m.Site), attribute.String("mode", mode))
		acq.DataPoints = append(acq.DataPoints, metricdata.DataPoint[int64]{Attributes: attrs, StartTime: start, Time: now, Value: int64(st.Acquisitions)})
		contended.DataPoints = append(contended.DataPoints, metricdata.DataPoint[int64]{Attributes: attrs, StartTime: start, Time: now, Value: int64(st.Contended)})
		wait.DataPoints = append(wait.DataPoints, metricdata.DataPoint[float64]{Attributes: attrs, StartTime: start, Time: now, Value: float64(st.Wait.TotalNS) / 1e9})
		hold.DataPoints = append(hold.DataPoints, metricdata.DataPoint[float64]{Attributes: attrs, StartTime: start, Time: now, Value: float64(st.Hold.TotalNS) / 1e9})
	}
	for i := range mutexes {
		m := &mutexes[i]
		add(m, "lock", &m.Lock)
		if m.RLock != nil {
			add(m, "rlock", m.RLock)
		}
	}
	return []metricdata.Metrics{
		{Name: "hotpath.mutex.acquisitions", Unit: "{acquisition}", Data: acq,
			Description: "Locks taken on the mutexes of a //hotpath:mutex site (mode lock: Lock and successful TryLock; rlock: RLock and successful TryRLock)."},
		{Name: "hotpath.mutex.contended", Unit: "{acquisition}", Data: contended,
			Description: "Acquisitions of a //hotpath:mutex site's mutexes that waited for the lock."},
		{Name: "hotpath.mutex.wait.duration", Unit: "s", Data: wait,
			Description: "Time the contended acquisitions of a //hotpath:mutex site's mutexes waited for the lock."},
		{Name: "hotpath.mutex.hold.duration", Unit: "s", Data: hold,
			Description: "Time a //hotpath:mutex site's mutexes were held, over the holds released (rlock: read-held periods, from the first reader in to the last out)."},
	}
}

// histogram converts the HDR buckets into an exponential histogram: each
// HDR bucket goes whole into the exponential bucket that holds its highest
// value, at the finest scale whose buckets, lowest to highest, fit MaxSize.
func (p *Producer) histogram(f *hotpath.FuncStats, attrs attribute.Set, start, now time.Time, buf *[]hotpath.Bucket) metricdata.ExponentialHistogramDataPoint[float64] {
	dp := metricdata.ExponentialHistogramDataPoint[float64]{
		Attributes: attrs, StartTime: start, Time: now, Sum: float64(f.TotalNS) / 1e9,
	}
	if f.Timed > 0 {
		dp.Min = metricdata.NewExtrema(float64(f.MinNS) / 1e9)
		dp.Max = metricdata.NewExtrema(float64(f.MaxNS) / 1e9)
	}
	bs := (*buf)[:0]
	for b := range f.Durations.Buckets() {
		bs = append(bs, b)
	}
	*buf = bs
	if len(bs) == 0 {
		dp.Scale = p.maxScale
		return dp
	}
	lowest, highest := float64(bs[0].High)/1e9, float64(bs[len(bs)-1].High)/1e9
	// The finest scale whose buckets from the lowest value's to the
	// highest's fit: one scale down, bucket i becomes i>>1.
	scale := p.maxScale
	lo, hi := expIndex(lowest, scale), expIndex(highest, scale)
	for hi-lo+1 > p.maxSize && scale > -10 {
		scale--
		lo, hi = lo>>1, hi>>1
	}
	dp.Scale = scale
	dp.PositiveBucket.Offset = int32(lo)
	dp.PositiveBucket.Counts = make([]uint64, hi-lo+1)
	// The current bucket and its upper bound, in integer nanoseconds that
	// compare as the values in seconds would (expbucket.FloorNS).
	i, bound := lo, expbucket.FloorNS(lower(lo+1, scale))
	for _, b := range bs {
		dp.Count += b.Count
		if b.High > bound {
			i = expIndex(float64(b.High)/1e9, scale)
			bound = expbucket.FloorNS(lower(i+1, scale))
		}
		dp.PositiveBucket.Counts[i-lo] += b.Count
	}
	return dp
}

// expIndex returns the index of the exponential bucket that holds v (> 0)
// at the scale: bucket i holds (base^i, base^(i+1)], base = 2^(2^-scale).
func expIndex(v float64, scale int32) int { return expbucket.Key(v, scale) - 1 }

// lower returns the lower boundary of bucket i: base^i.
func lower(i int, scale int32) float64 { return expbucket.Upper(i, scale) }

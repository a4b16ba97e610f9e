package otel

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hotpath-go/hotpath/runtime/hotpathimpl"
	"github.com/hotpath-go/hotpath/runtime/internal/exportbridge"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	colmetric "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	metricpb "go.opentelemetry.io/proto/otlp/metrics/v1"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"
)

var run atomic.Int64

type targets struct {
	fast  *hotpathimpl.Func
	queue *hotpathimpl.ChanSite
}

// newTargets declares targets as generated code does, with names of their
// own for each run (the runtime's numbers count from the process start).
func newTargets() targets {
	p := fmt.Sprintf("oteltest%d.", run.Add(1))
	return targets{
		fast:  &hotpathimpl.Func{Name: p + "fast", Symbol: "example.com/p.fast", File: "p.go", Line: 10},
		queue: &hotpathimpl.ChanSite{Label: p + "queue", Type: "chan int", Site: "example.com/p/p.go:30"},
	}
}

// work: fast takes 100 µs + i µs on its i-th call (1000 calls); a receive
// on the queue waits 2 s. Exact durations, in a synctest bubble.
func (tg targets) work(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for i := range 1000 {
			s := tg.fast.Begin()
			time.Sleep(100*time.Microsecond + time.Duration(i)*time.Microsecond)
			s.End()
		}
		q := hotpathimpl.Track(tg.queue, make(chan int))
		go func() { hotpathimpl.Recv(q) }()
		synctest.Wait()
		time.Sleep(2 * time.Second)
		hotpathimpl.Send(q, 1)
		synctest.Wait()
	})
}

// receiver is an OTLP/HTTP metrics endpoint that decodes every request.
func receiver(t *testing.T) (*httptest.Server, <-chan *colmetric.ExportMetricsServiceRequest) {
	reqs := make(chan *colmetric.ExportMetricsServiceRequest, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/metrics" {
			http.Error(w, "not an OTLP metrics request", http.StatusNotFound)
			return
		}
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		data, err := io.ReadAll(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/x-protobuf" {
			t.Errorf("Content-Type %q", ct)
		}
		var req colmetric.ExportMetricsServiceRequest
		if err := proto.Unmarshal(data, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		reqs <- &req
		out, _ := proto.Marshal(&colmetric.ExportMetricsServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}))
	return srv, reqs
}

// find returns the metric named name in the request's hotpath scope.
func find(t *testing.T, req *colmetric.ExportMetricsServiceRequest, name string) *metricpb.Metric {
	t.Helper()
	for _, rm := range req.ResourceMetrics {
		for _, sm := range rm.ScopeMetrics {
			if sm.Scope.GetName() != ScopeName {
				continue
			}
			for _, m := range sm.Metrics {
				if m.Name == name {
					return m
				}
			}
		}
	}
	t.Fatalf("no metric %s in scope %s", name, ScopeName)
	return nil
}

// hasAttr reports whether the attributes hold key=value.
func hasAttr(kvs []*commonpb.KeyValue, key, value string) bool {
	for _, kv := range kvs {
		if kv.GetKey() == key && kv.GetValue().GetStringValue() == value {
			return true
		}
	}
	return false
}

func TestOTLPExport(t *testing.T) {
	defer goleak.VerifyNone(t)
	tg := newTargets()
	tg.work(t)

	srv, reqs := receiver(t)
	defer srv.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	ctx := context.Background()
	exp, err := otlpmetrichttp.New(ctx,
		otlpmetrichttp.WithEndpointURL(srv.URL+"/v1/metrics"),
		otlpmetrichttp.WithHTTPClient(&http.Client{Transport: tr}))
	if err != nil {
		t.Fatal(err)
	}
	reader := metric.NewPeriodicReader(exp, metric.WithProducer(NewProducer()), metric.WithInterval(time.Hour))
	provider := metric.NewMeterProvider(metric.WithReader(reader))
	if err := provider.ForceFlush(ctx); err != nil {
		t.Fatalf("ForceFlush: %v", err)
	}
	if err := provider.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	var req *colmetric.ExportMetricsServiceRequest
	select {
	case req = <-reqs:
	case <-time.After(10 * time.Second):
		t.Fatal("the receiver got no export")
	}

	calls := find(t, req, "hotpath.function.calls")
	sum := calls.GetSum()
	if sum == nil || !sum.IsMonotonic || sum.AggregationTemporality != metricpb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE {
		t.Fatalf("calls is not a cumulative monotonic sum: %v", calls)
	}
	if calls.Unit != "{call}" {
		t.Errorf("calls unit %q", calls.Unit)
	}
	var got *metricpb.NumberDataPoint
	for _, dp := range sum.DataPoints {
		if hasAttr(dp.Attributes, "function", tg.fast.Name) {
			got = dp
		}
	}
	if got == nil || got.GetAsInt() != 1000 {
		t.Fatalf("calls of %s: %v, want 1000", tg.fast.Name, got)
	}
	if got.StartTimeUnixNano != uint64(exportbridge.Start.UnixNano()) || got.TimeUnixNano <= got.StartTimeUnixNano {
		t.Errorf("calls start %d, time %d", got.StartTimeUnixNano, got.TimeUnixNano)
	}

	dur := find(t, req, "hotpath.function.duration")
	eh := dur.GetExponentialHistogram()
	if eh == nil || eh.AggregationTemporality != metricpb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE {
		t.Fatalf("duration is not a cumulative exponential histogram: %v", dur)
	}
	if dur.Unit != "s" {
		t.Errorf("duration unit %q", dur.Unit)
	}
	var hp *metricpb.ExponentialHistogramDataPoint
	for _, dp := range eh.DataPoints {
		if hasAttr(dp.Attributes, "function", tg.fast.Name) {
			hp = dp
		}
	}
	if hp == nil {
		t.Fatalf("no duration data point for %s", tg.fast.Name)
	}
	if hp.Count != 1000 || math.Abs(hp.GetSum()-0.5995) > 1e-9 || hp.GetMin() != 100e-6 || math.Abs(hp.GetMax()-1099e-6) > 1e-12 {
		t.Errorf("count %d sum %v min %v max %v, want 1000 0.5995 0.0001 0.001099", hp.Count, hp.GetSum(), hp.GetMin(), hp.GetMax())
	}
	counts := hp.Positive.GetBucketCounts()
	if len(counts) == 0 || len(counts) > 160 {
		t.Fatalf("%d buckets, want 1..160", len(counts))
	}
	var total uint64
	for j, n := range counts {
		total += n
		i := int(hp.Positive.Offset) + j
		lo, hi := lower(i, hp.Scale), lower(i+1, hp.Scale)
		if n > 0 && (hi < 100e-6 || lo > 1100e-6) {
			t.Errorf("bucket %d (%g, %g] at scale %d holds %d, outside the durations", i, lo, hi, hp.Scale, n)
		}
	}
	if total != 1000 {
		t.Errorf("buckets hold %d, want 1000", total)
	}
	// At the scale chosen, the durations (a factor of 11 apart) take
	// between 80 and 160 buckets: the finest scale that fits.
	if len(counts) <= 80 {
		t.Errorf("%d buckets at scale %d: a finer scale would fit", len(counts), hp.Scale)
	}

	blocked := find(t, req, "hotpath.channel.blocked.duration").GetSum()
	var waited float64 = -1
	for _, dp := range blocked.GetDataPoints() {
		if hasAttr(dp.Attributes, "channel", tg.queue.Label) && hasAttr(dp.Attributes, "op", "recv") {
			waited = dp.GetAsDouble()
		}
	}
	if waited != 2 {
		t.Errorf("blocked receive seconds %v, want 2", waited)
	}
}

func TestExpIndex(t *testing.T) {
	for _, scale := range []int32{-10, -2, 0, 1, 5, 10, 20} {
		for _, v := range []float64{1e-9, 1e-6, 0.001, 0.5, 1, 2, 3, 3600, math.Sqrt2} {
			i := expIndex(v, scale)
			if !(lower(i, scale) < v && v <= lower(i+1, scale)) {
				t.Errorf("scale %d: %g in bucket %d = (%g, %g]", scale, v, i, lower(i, scale), lower(i+1, scale))
			}
		}
	}
	if i := expIndex(1, 0); i != -1 {
		t.Errorf("1 at scale 0 in bucket %d, want -1 ((0.5, 1])", i)
	}
}

func TestProduceCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewProducer().Produce(ctx); err == nil {
		t.Error("Produce with a cancelled context returned no error")
	}
}

// TestGoroutineAndMutexMetrics reads the goroutine and mutex instruments
// through a ManualReader: exact values of a run in a synctest bubble.
func TestGoroutineAndMutexMetrics(t *testing.T) {
	p := fmt.Sprintf("otelkinds%d.", run.Add(1))
	workers := &hotpathimpl.GoSite{Label: p + "worker", Func: "example.com/p.Run", Site: "example.com/p/p.go:40"}
	rwSite := &hotpathimpl.MutexSite{Label: p + "cache", Type: "sync.RWMutex", Site: "example.com/p/p.go:60"}
	synctest.Test(t, func(t *testing.T) {
		for i := range 3 {
			go hotpathimpl.GoFunc0R0(workers, func() {
				time.Sleep(time.Second)
				if i == 0 {
					runtime.Goexit()
				}
			}).Run()
		}
		var rw sync.RWMutex
		hotpathimpl.RWMutexRLock(rwSite, &rw)
		time.Sleep(500 * time.Millisecond)
		hotpathimpl.RWMutexRUnlock(rwSite, &rw)
		hotpathimpl.RWMutexLock(rwSite, &rw)
		time.Sleep(250 * time.Millisecond)
		hotpathimpl.RWMutexUnlock(rwSite, &rw)
		time.Sleep(time.Second)
		synctest.Wait()
	})
	reader := metric.NewManualReader(metric.WithProducer(NewProducer()))
	provider := metric.NewMeterProvider(metric.WithReader(reader))
	defer provider.Shutdown(context.Background())
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	find := func(name string, attrs ...attribute.KeyValue) (float64, bool) {
		want := attribute.NewSet(attrs...)
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				if m.Name != name {
					continue
				}
				switch d := m.Data.(type) {
				case metricdata.Sum[int64]:
					for _, dp := range d.DataPoints {
						if dp.Attributes.Equals(&want) {
							return float64(dp.Value), true
						}
					}
				case metricdata.Sum[float64]:
					for _, dp := range d.DataPoints {
						if dp.Attributes.Equals(&want) {
							return dp.Value, true
						}
					}
				case metricdata.Gauge[int64]:
					for _, dp := range d.DataPoints {
						if dp.Attributes.Equals(&want) {
							return float64(dp.Value), true
						}
					}
				}
			}
		}
		return 0, false
	}
	g := []attribute.KeyValue{attribute.String("goroutine", workers.Label), attribute.String("site", workers.Site)}
	for _, c := range []struct {
		name string
		want float64
	}{
		{"hotpath.goroutine.started", 3},
		{"hotpath.goroutine.finished", 3},
		{"hotpath.goroutine.panicked", 0},
		{"hotpath.goroutine.alive", 0},
		{"hotpath.goroutine.peak_alive", 3},
	} {
		if v, ok := find(c.name, g...); !ok || v != c.want {
			t.Errorf("%s = %v (found %v), want %v", c.name, v, ok, c.want)
		}
	}
	mode := func(m string) []attribute.KeyValue {
		return []attribute.KeyValue{attribute.String("mutex", rwSite.Label), attribute.String("site", rwSite.Site), attribute.String("mode", m)}
	}
	for _, c := range []struct {
		name, mode string
		want       float64
	}{
		{"hotpath.mutex.acquisitions", "lock", 1},
		{"hotpath.mutex.acquisitions", "rlock", 1},
		{"hotpath.mutex.contended", "lock", 0},
		{"hotpath.mutex.wait.duration", "rlock", 0},
		{"hotpath.mutex.hold.duration", "lock", 0.25},
		{"hotpath.mutex.hold.duration", "rlock", 0.5},
	} {
		if v, ok := find(c.name, mode(c.mode)...); !ok || v != c.want {
			t.Errorf("%s{mode=%s} = %v (found %v), want %v", c.name, c.mode, v, ok, c.want)
		}
	}
}

package bench

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotpath-go/hotpath/runtime/hotpathimpl"
	"github.com/prometheus/client_golang/prometheus"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// BenchmarkOverhead times one empty function instrumented four ways, in
// one run so that every ratio to the floor is taken under the same
// conditions (see the package documentation for the commands):
//
//	floor       two reads of the monotonic clock around the call, read
//	            the way hotpath's runtime reads it (runtime/clock.go)
//	measured    the call instrumented as hotpathgen writes it
//	prometheus  a client_golang histogram (default buckets) timed with
//	            prometheus.NewTimer and ObserveDuration, as its
//	            documentation shows
//	otel        an OpenTelemetry SDK span (always sampled, ended into a
//	            span processor that drops it, so nothing is exported)
//
// Under par=parallel each probe runs in b.RunParallel: with -cpu 2 two
// goroutines share the one Func, histogram or tracer.
func BenchmarkOverhead(b *testing.B) {
	probes := []struct {
		name          string
		serial, paral func(b *testing.B)
	}{
		{"floor", serialFloor, parallelFloor},
		{"measured", serialMeasured, parallelMeasured},
		{"prometheus", serialProm, parallelProm},
		{"otel", serialOtel, parallelOtel},
	}
	for _, p := range probes {
		b.Run("par=serial/probe="+p.name, func(b *testing.B) {
			b.ReportAllocs()
			p.serial(b)
		})
	}
	for _, p := range probes {
		b.Run("par=parallel/probe="+p.name, func(b *testing.B) {
			b.ReportAllocs()
			p.paral(b)
		})
	}
}

// bare is the function before instrumentation.
//
//go:noinline
func bare() {}

// fn and measured are written as hotpathgen writes a measured function.
var fn = hotpathimpl.Func{Name: "bench.measured", Symbol: "github.com/hotpath-go/hotpath/bench.measured", File: "overhead_test.go", Line: 63}

//go:noinline
func measured() {
	if !fn.Skip() {
		if _hotpath_s := fn.BeginAfterSkip(); _hotpath_s.Timed() {
			defer _hotpath_s.End()
		}
	}
}

var promHist = prometheus.NewHistogram(prometheus.HistogramOpts{
	Name:    "bench_measured_seconds",
	Help:    "Duration of the measured empty function.",
	Buckets: prometheus.DefBuckets,
})

//go:noinline
func promMeasured() {
	timer := prometheus.NewTimer(promHist)
	defer timer.ObserveDuration()
}

// tracer records every span and drops it when it ends.
var tracer = sdktrace.NewTracerProvider(
	sdktrace.WithSampler(sdktrace.AlwaysSample()),
	sdktrace.WithSpanProcessor(dropProcessor{}),
).Tracer("github.com/hotpath-go/hotpath/bench")

//go:noinline
func otelMeasured() {
	_, span := tracer.Start(context.Background(), "bench.measured")
	defer span.End()
}

// dropProcessor is a span processor that keeps nothing: the benchmark
// measures the SDK's recording span, not an exporter.
type dropProcessor struct{}

func (dropProcessor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (dropProcessor) OnEnd(sdktrace.ReadOnlySpan)                     {}
func (dropProcessor) Shutdown(context.Context) error                  { return nil }
func (dropProcessor) ForceFlush(context.Context) error                { return nil }

// clockBase and nanotime are hotpath's clock (runtime/clock.go), which the
// floor must read the same way.
var clockBase = time.Now()

func nanotime() int64 { return int64(time.Since(clockBase)) }

// floorSink keeps the floor's durations alive; each goroutine adds to it
// once, so the floor shares no cache line between goroutines as it runs.
var floorSink atomic.Int64

func serialFloor(b *testing.B) {
	var sum int64
	for b.Loop() {
		start := nanotime()
		bare()
		sum += nanotime() - start
	}
	floorSink.Add(sum)
}

func parallelFloor(b *testing.B) {
	b.RunParallel(func(pb *testing.PB) {
		var sum int64
		for pb.Next() {
			start := nanotime()
			bare()
			sum += nanotime() - start
		}
		floorSink.Add(sum)
	})
}

// The loops below call the instrumented functions directly, as the floor
// calls bare, so that every probe pays the same for the call itself.

func serialMeasured(b *testing.B) {
	for b.Loop() {
		measured()
	}
}

func parallelMeasured(b *testing.B) {
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			measured()
		}
	})
}

func serialProm(b *testing.B) {
	for b.Loop() {
		promMeasured()
	}
}

func parallelProm(b *testing.B) {
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			promMeasured()
		}
	})
}

func serialOtel(b *testing.B) {
	for b.Loop() {
		otelMeasured()
	}
}

func parallelOtel(b *testing.B) {
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			otelMeasured()
		}
	})
}

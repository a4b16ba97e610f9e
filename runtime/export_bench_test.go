package hotpath_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	hotpath "github.com/hotpath-go/hotpath/runtime"
	hpotel "github.com/hotpath-go/hotpath/runtime/export/otel"
	"github.com/hotpath-go/hotpath/runtime/export/prom"
	"github.com/hotpath-go/hotpath/runtime/hotpathimpl"
	"github.com/prometheus/client_golang/prometheus"
)

// scrapeFuncs are 1,000 measured functions with full histograms: 2,000
// durations each, spread evenly in log scale from 1 µs to 1 s (about as
// many distinct HDR buckets). The exporters' benchmarks read them.
var scrapeFuncs = sync.OnceValue(func() []*hotpathimpl.Func {
	fs := make([]*hotpathimpl.Func, 1000)
	for i := range fs {
		fs[i] = &hotpathimpl.Func{Name: fmt.Sprintf("scrapebench.f%04d", i), Symbol: fmt.Sprintf("example.com/bench.f%04d", i),
			File: "bench.go", Line: i + 1}
		for j := range 2000 {
			d := int64(math.Round(1e3 * math.Pow(1e6, float64(j)/1999)))
			hotpath.RecordForTest(fs[i], d)
		}
	}
	return fs
})

// cpuLoop runs body b.N times and reports, besides wall time, the CPU
// time the process used per op (GC included): on a machine shared with
// other work, wall time mostly measures the wait for a core.
func cpuLoop(b *testing.B, body func()) {
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		body()
	}
	b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
}

// BenchmarkScrape measures one Prometheus scrape (Gather: a snapshot, the
// conversion of every histogram to classic and native buckets, and the
// registry's checks) of 1,000 functions with full histograms, one OTel
// Produce of the same, and one pprof profile of everything.
func BenchmarkScrape(b *testing.B) {
	scrapeFuncs()
	b.Run("prometheus", func(b *testing.B) {
		reg := prometheus.NewRegistry()
		reg.MustRegister(prom.NewCollector())
		cpuLoop(b, func() {
			if _, err := reg.Gather(); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("otel", func(b *testing.B) {
		p := hpotel.NewProducer()
		ctx := context.Background()
		cpuLoop(b, func() {
			if _, err := p.Produce(ctx); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("pprof", func(b *testing.B) {
		var buf bytes.Buffer
		cpuLoop(b, func() {
			buf.Reset()
			rep := hotpath.TakeSnapshot().Report(nil, hotpath.Options{})
			if err := rep.Write(&buf, hotpath.FormatPprof); err != nil {
				b.Fatal(err)
			}
		})
	})
	// The floor: what any exporter pays the runtime, a snapshot and one
	// walk over every histogram's buckets.
	b.Run("snapshot", func(b *testing.B) {
		cpuLoop(b, func() {
			s := hotpath.TakeSnapshot()
			for _, f := range s.Funcs(nil) {
				for range f.Durations.Buckets() {
				}
			}
		})
	})
}

var recordBench = hotpathimpl.Func{Name: "scrapebench.recorded", Symbol: "example.com/bench.recorded", File: "bench.go", Line: 1}

//go:noinline
func recordedCall() { defer recordBench.Begin().End() }

// BenchmarkRecordWhileScraped measures the measured call alone ("idle")
// and while a Prometheus registry gathers every 100 ms ("scraped"), the
// live view's fastest polling: a scrape reads each shard under its lock
// once, which must not show in the recording path. Run it on its own
// (-bench RecordWhileScraped), without BenchmarkScrape's 1,000 functions.
func BenchmarkRecordWhileScraped(b *testing.B) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prom.NewCollector())
	recordedCall()
	b.Run("idle", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				recordedCall()
			}
		})
	})
	b.Run("scraped", func(b *testing.B) {
		stop, done := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			for {
				if _, err := reg.Gather(); err != nil {
					panic(err)
				}
				select {
				case <-stop:
					return
				case <-t.C:
				}
			}
		}()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				recordedCall()
			}
		})
		b.StopTimer()
		close(stop)
		<-done
	})
}

package bench

import (
	"testing"
	"time"
)

// BenchmarkInterleaved is BenchmarkOverhead for a machine that other work
// shares: the probes run in turns, a batch of calls each, for many rounds,
// and each reports its fastest batch (ns per call) and its ratio to the
// floor's, so that preemptions, which only make a batch slower, drop out.
// Serial only. Run it once:
//
//	cd bench && go test -run '^$' -bench BenchmarkInterleaved -benchtime 1x .
func BenchmarkInterleaved(b *testing.B) {
	var sum int64
	probes := []struct {
		name string
		call func()
	}{
		{"floor", func() {
			start := nanotime()
			bare()
			sum += nanotime() - start
		}},
		{"measured", measured},
		{"prometheus", promMeasured},
		{"otel", otelMeasured},
	}
	const batch, rounds = 1000, 300
	best := make([]time.Duration, len(probes))
	for range b.N {
		for range rounds {
			for i, p := range probes {
				start := time.Now()
				for range batch {
					p.call()
				}
				if d := time.Since(start); best[i] == 0 || d < best[i] {
					best[i] = d
				}
			}
		}
	}
	floorSink.Add(sum)
	for i, p := range probes {
		b.ReportMetric(float64(best[i])/batch, p.name+"-ns")
		if i > 0 {
			b.ReportMetric(float64(best[i])/float64(best[0]), p.name+"-x")
		}
	}
}

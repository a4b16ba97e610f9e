package stream

import (
	"bytes"
	"io"
	"testing"
	"time"
)

const benchSize = 64 << 20

// readOnly hides io.WriterTo, so io.CopyBuffer reads in the caller's buffer
// size the way a decoder does, for both readers under comparison.
type readOnly struct{ io.Reader }

// BenchmarkRead64MiB reads 64 MiB end to end in 32 KiB reads through a
// SyncReader and, as the baseline, through a bytes.Reader over the same bytes.
func BenchmarkRead64MiB(b *testing.B) {
	data := pattern(benchSize)
	buf := make([]byte, 32<<10)
	b.Run("SyncReader", func(b *testing.B) {
		b.SetBytes(benchSize)
		b.ReportAllocs()
		for b.Loop() {
			r := NewSyncReader(b.Context(), NewMemSource(data))
			n, err := io.CopyBuffer(io.Discard, readOnly{r}, buf)
			if err != nil || n != benchSize {
				b.Fatalf("copied %d, %v", n, err)
			}
			r.Close()
		}
	})
	b.Run("bytes.Reader", func(b *testing.B) {
		b.SetBytes(benchSize)
		b.ReportAllocs()
		for b.Loop() {
			n, err := io.CopyBuffer(io.Discard, readOnly{bytes.NewReader(data)}, buf)
			if err != nil || n != benchSize {
				b.Fatalf("copied %d, %v", n, err)
			}
		}
	})
}

// BenchmarkSeekRead measures a seek to a new position and the first read
// there: the worker round trip a decoder pays on every seek.
func BenchmarkSeekRead(b *testing.B) {
	data := pattern(8 << 20)
	r := NewSyncReader(b.Context(), NewMemSource(data))
	defer r.Close()
	p := make([]byte, 4096)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		off := int64(i*1_234_567) % int64(len(data)-len(p))
		i++
		if _, err := r.Seek(off, io.SeekStart); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(r, p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadRatio64MiB alternates the two readers of BenchmarkRead64MiB in
// every iteration and reports SyncReader's throughput as a fraction of
// bytes.Reader's, so that load drifting on a shared machine affects both
// sides alike. Its ns/op is the time for both reads.
func BenchmarkReadRatio64MiB(b *testing.B) {
	data := pattern(benchSize)
	buf := make([]byte, 32<<10)
	var syncTime, bytesTime time.Duration
	b.SetBytes(2 * benchSize)
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		r := NewSyncReader(b.Context(), NewMemSource(data))
		if n, err := io.CopyBuffer(io.Discard, readOnly{r}, buf); err != nil || n != benchSize {
			b.Fatalf("SyncReader copied %d, %v", n, err)
		}
		r.Close()
		mid := time.Now()
		if n, err := io.CopyBuffer(io.Discard, readOnly{bytes.NewReader(data)}, buf); err != nil || n != benchSize {
			b.Fatalf("bytes.Reader copied %d, %v", n, err)
		}
		syncTime += mid.Sub(start)
		bytesTime += time.Since(mid)
	}
	b.ReportMetric(float64(bytesTime)/float64(syncTime), "sync/bytes-throughput")
	b.ReportMetric(float64(syncTime.Nanoseconds())/float64(b.N), "sync-ns/read")
	b.ReportMetric(float64(bytesTime.Nanoseconds())/float64(b.N), "bytes-ns/read")
}

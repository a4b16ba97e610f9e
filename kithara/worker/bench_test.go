//go:build !hotpath

package worker

import (
	"fmt"
	"testing"
)

// BenchmarkAsyncWorkerItems measures the cost the worker adds per item: the
// source does no work, so this is channel hand-offs and bookkeeping.
func BenchmarkAsyncWorkerItems(b *testing.B) {
	for _, dataCap := range []int{1, 4, 64} {
		b.Run(fmt.Sprint("cap", dataCap), func(b *testing.B) {
			b.ReportAllocs()
			w := NewAsyncWorker(&counter{n: b.N}, WithDataCapacity(dataCap))
			errc := runAsync(b.Context(), w.Run)
			b.ResetTimer()
			for f := range w.Data() {
				if f.EOF {
					break
				}
			}
			b.StopTimer()
			close(w.Commands())
			if err := runResult(b, errc); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkSyncWorkerItems is BenchmarkAsyncWorkerItems for the sync worker.
func BenchmarkSyncWorkerItems(b *testing.B) {
	for _, dataCap := range []int{1, 4, 64} {
		b.Run(fmt.Sprint("cap", dataCap), func(b *testing.B) {
			b.ReportAllocs()
			w := NewSyncWorker(&syncCounter{n: b.N}, WithDataCapacity(dataCap))
			errc := runAsync(b.Context(), w.Run)
			b.ResetTimer()
			for f := range w.Data() {
				if f.EOF {
					break
				}
			}
			b.StopTimer()
			close(w.Commands())
			if err := runResult(b, errc); err != nil {
				b.Fatal(err)
			}
		})
	}
}

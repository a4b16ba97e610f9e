package core

import (
	"sync"
	"testing"
)

// mutexSink is what the benchmarks' critical sections change.
var mutexSink int

// BenchmarkMutexPair measures an uncontended Lock/Unlock pair raw and as
// generated code calls it, in one run so that the ratio means something on
// a loaded machine:
//
//	go test -run '^$' -bench 'MutexPair' -count 6 ./runtime/
func BenchmarkMutexPair(b *testing.B) {
	b.Run("mutex/raw", func(b *testing.B) {
		var mu sync.Mutex
		b.ReportAllocs()
		for b.Loop() {
			mu.Lock()
			mutexSink++
			mu.Unlock()
		}
	})
	b.Run("mutex/watched", func(b *testing.B) {
		site := &MutexSite{Label: "bench.mu", Type: "sync.Mutex"}
		var mu sync.Mutex
		b.ReportAllocs()
		for b.Loop() {
			MutexLock(site, &mu)
			mutexSink++
			MutexUnlock(site, &mu)
		}
	})
	// For scale: one call of a measured function, which reads the clock
	// twice as a watched pair does.
	b.Run("measured-call", func(b *testing.B) {
		f := &Func{Name: "bench.mutexRef"}
		b.ReportAllocs()
		for b.Loop() {
			f.Begin().End()
		}
	})
	b.Run("rwmutex-write/raw", func(b *testing.B) {
		var mu sync.RWMutex
		b.ReportAllocs()
		for b.Loop() {
			mu.Lock()
			mutexSink++
			mu.Unlock()
		}
	})
	b.Run("rwmutex-write/watched", func(b *testing.B) {
		site := &MutexSite{Label: "bench.rw", Type: "sync.RWMutex"}
		var mu sync.RWMutex
		b.ReportAllocs()
		for b.Loop() {
			RWMutexLock(site, &mu)
			mutexSink++
			RWMutexUnlock(site, &mu)
		}
	})
	b.Run("rwmutex-read/raw", func(b *testing.B) {
		var mu sync.RWMutex
		b.ReportAllocs()
		for b.Loop() {
			mu.RLock()
			mutexSink++
			mu.RUnlock()
		}
	})
	b.Run("rwmutex-read/watched", func(b *testing.B) {
		site := &MutexSite{Label: "bench.rw", Type: "sync.RWMutex"}
		var mu sync.RWMutex
		b.ReportAllocs()
		for b.Loop() {
			RWMutexRLock(site, &mu)
			mutexSink++
			RWMutexRUnlock(site, &mu)
		}
	})
}

// BenchmarkMutexParallel locks one mutex from every P, raw and watched: the
// contended case, where waits are timed too.
func BenchmarkMutexParallel(b *testing.B) {
	b.Run("raw", func(b *testing.B) {
		var mu sync.Mutex
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				mu.Lock()
				mutexSink++
				mu.Unlock()
			}
		})
	})
	b.Run("watched", func(b *testing.B) {
		site := &MutexSite{Label: "bench.par", Type: "sync.Mutex"}
		var mu sync.Mutex
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				MutexLock(site, &mu)
				mutexSink++
				MutexUnlock(site, &mu)
			}
		})
	})
}

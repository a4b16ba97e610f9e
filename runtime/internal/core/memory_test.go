package core

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"unsafe"
)

// heapInUse returns the bytes of live heap after two collections.
func heapInUse() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// logUniform returns a duration spread evenly over the decades between lo
// and hi, in nanoseconds.
func logUniform(r *rand.Rand, lo, hi float64) int64 {
	return int64(math.Exp(math.Log(lo) + r.Float64()*(math.Log(hi)-math.Log(lo))))
}

// memFuncs returns n Funcs for a memory test, allocated before the test
// measures: generated code declares them as package variables.
func memFuncs(t *testing.T, n int) []*Func {
	fs := make([]*Func, n)
	for i := range fs {
		fs[i] = &Func{Name: fmt.Sprintf("memtest.%s.%d.%d", t.Name(), i, ftSeq.Add(1))}
	}
	return fs
}

// TestFuncMemory checks issue 18's bounds on the heap a measured function
// costs: at most 32 KiB once it has recorded durations spanning three
// decades from goroutines on every P, at GOMAXPROCS 1, 2 and 64, and at
// most 1 KiB registered but never called. The heap is measured with
// ReadMemStats after a collection, over many functions, so that the
// bounds hold with a wide margin rather than to the byte.
func TestFuncMemory(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, c := range []struct {
		procs, values, funcs int
	}{{1, 3000, 100}, {2, 3000, 100}, {64, 3000, 100}, {64, 30000, 100}, {2, 3000000, 4}} {
		funcs := c.funcs
		t.Run(fmt.Sprintf("procs=%d/values=%d", c.procs, c.values), func(t *testing.T) {
			if (raceEnabled || testing.Short()) && c.values > 3000 {
				t.Skip("slow in -short mode and under the race detector")
			}
			runtime.GOMAXPROCS(c.procs)
			fs := memFuncs(t, funcs)
			before := heapInUse()
			// Goroutines on every P record each function's durations,
			// log-uniform over 1 µs..1 ms, yielding between records so that
			// they move between Ps.
			workers := 2 * c.procs
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					r := rand.New(rand.NewPCG(uint64(w), 7))
					for i := range c.values / workers {
						for _, f := range fs {
							f.load().record(logUniform(r, 1e3, 1e6), 1)
						}
						if i%8 == 0 {
							runtime.Gosched()
						}
					}
				})
			}
			wg.Wait()
			after := heapInUse()
			per := int64(after-before) / int64(funcs)
			shards, histBytes := 0, 0
			for _, f := range fs {
				st := f.load()
				histBytes += st.histBytes()
				for i := range st.shards {
					if st.shards[i].Load() != nil {
						shards++
					}
				}
			}
			// What a function would take with every one of maxShards Ps
			// recording: the bound must hold for that too.
			worst := int(unsafe.Sizeof(FuncState{})) + maxShards*int(unsafe.Sizeof(shard{})) + histBytes/funcs
			t.Logf("GOMAXPROCS %d, %d durations per function: %d B of heap per function (%.1f shards, histogram %d B); with %d shards %d B",
				c.procs, c.values, per, float64(shards)/float64(funcs), histBytes/funcs, maxShards, worst)
			if per > 32<<10 {
				t.Errorf("a function that ran takes %d B of heap, want at most 32 KiB", per)
			}
			if worst > 32<<10 {
				t.Errorf("with a shard per P a function would take %d B, want at most 32 KiB", worst)
			}
			runtime.KeepAlive(fs)
		})
	}
	t.Run("never called", func(t *testing.T) {
		const n = 2000
		fs := memFuncs(t, n)
		before := heapInUse()
		for _, f := range fs {
			f.load()
		}
		per := int64(heapInUse()-before) / n
		t.Logf("registered, never called: %d B per function", per)
		if per > 1<<10 {
			t.Errorf("a registered function takes %d B of heap, want at most 1 KiB", per)
		}
		runtime.KeepAlive(fs)
	})
}

// TestChanSiteMemory checks the same bound for a watched channel site,
// per direction: goroutines on every P count sends and receives of many
// queue depths, and blocked operations whose waits span three decades.
func TestChanSiteMemory(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(64))
	const sites, ops = 50, 3000
	ss := make([]*ChanSite, sites)
	for i := range ss {
		ss[i] = &ChanSite{Label: fmt.Sprintf("memtest.%s.%d", t.Name(), i)}
	}
	before := heapInUse()
	var wg sync.WaitGroup
	for w := range 128 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 9))
			for i := range ops / 128 {
				for _, s := range ss {
					st := s.load()
					st.count(i%2, r.IntN(1<<20))
					st.blocked(i%2 == 0, logUniform(r, 1e3, 1e6))
				}
				if i%8 == 0 {
					runtime.Gosched()
				}
			}
		})
	}
	wg.Wait()
	per := int64(heapInUse()-before) / sites
	t.Logf("a channel site that ran at GOMAXPROCS 64: %d B of heap (%d B per direction)", per, per/2)
	if per > 2*32<<10 {
		t.Errorf("a channel site takes %d B, want at most 32 KiB per direction", per)
	}
	runtime.KeepAlive(ss)
}

// TestManyFuncsMemory calls 10,000 measured functions from 64 goroutines
// at GOMAXPROCS 64 and checks issue 18's bound: at most 400 MB of heap
// growth, the report's rows included.
// histBytes returns the heap that the Func's histogram takes.
func (st *FuncState) histBytes() int {
	st.mu.Lock()
	n := st.hist.bytes()
	st.mu.Unlock()
	return n
}

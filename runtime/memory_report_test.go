package hotpath

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/hotpath-go/hotpath/runtime/internal/core"
)

func TestManyFuncsMemory(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("slow in -short mode and under the race detector")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(64))
	const n, workers = 10000, 64
	fs := memFuncs(t, n)
	before := heapInUse()
	g := ftGuard(t, "memtest."+t.Name()+".", Options{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range 3 {
				for j := range fs {
					f := fs[(j+w*157+i)%n]
					func() {
						defer f.Begin().End()
					}()
				}
				runtime.Gosched()
			}
		})
	}
	wg.Wait()
	rep := ftStop(t, g)
	growth := heapInUse() - before
	if len(rep.Functions) != n {
		t.Fatalf("%d rows, want %d", len(rep.Functions), n)
	}
	for _, row := range rep.Functions {
		if row.Calls != 3*workers {
			t.Fatalf("%s: %d calls, want %d", row.Name, row.Calls, 3*workers)
		}
	}
	t.Logf("10,000 functions from 64 goroutines: heap grew %d MB (%d B per function)", growth>>20, growth/n)
	if growth > 400<<20 {
		t.Errorf("heap grew %d MB, want at most 400 MB", growth>>20)
	}
	runtime.KeepAlive(rep)
}

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
func memFuncs(t *testing.T, n int) []*core.Func {
	fs := make([]*core.Func, n)
	for i := range fs {
		fs[i] = &core.Func{Name: fmt.Sprintf("memtest.%s.%d.%d", t.Name(), i, ftSeq.Add(1))}
	}
	return fs
}

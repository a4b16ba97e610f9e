package core

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

func TestFuncRegistersOnFirstUse(t *testing.T) {
	f := ftFunc(t, "lazy")
	count := func() (n int) {
		for _, r := range registry.list() {
			if r == f {
				n++
			}
		}
		return n
	}
	if n := count(); n != 0 || f.state.Load() != nil {
		t.Fatalf("registered before use: %d", n)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { f.Begin().End() })
	}
	wg.Wait()
	if n := count(); n != 1 {
		t.Errorf("registered %d times, want once", n)
	}
}

func TestShardLayout(t *testing.T) {
	if size := unsafe.Sizeof(shard{}); size != 128 {
		t.Errorf("shard is %d bytes, want 128", size)
	}
	if unsafe.Offsetof(shard{}.buf)%8 != 0 || unsafe.Offsetof(shard{}.seq) != 0 {
		t.Errorf("shard fields misaligned")
	}
	f := ftFunc(t, "layout")
	RecordDuration(f, 5)
	st := f.load()
	for i := range st.shards {
		if sh := st.shards[i].Load(); sh != nil && uintptr(unsafe.Pointer(sh))%128 != 0 {
			t.Errorf("shard %d at %p, not on a 128-byte boundary", i, sh)
		}
	}
}

func TestHistLayout(t *testing.T) {
	lib := newHistogram()
	if n := len(lib.Export().Counts); n != histCountsLen {
		t.Fatalf("library has %d counts, histCountsLen is %d", n, histCountsLen)
	}
	values := []int64{histLowest, 2, 1023, 1024, 2047, 2048, 2049, 4095, 4096, 1e6, 1e9, histHighest - 1, histHighest}
	for shift := range 42 {
		v := int64(1) << shift
		values = append(values, v-1, v, v+1)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		values = append(values, 1+r.Int64N(histHighest))
		values = append(values, 1+r.Int64N(1e6))
	}
	counts := make([]int64, histCountsLen)
	for _, v := range values {
		v = clampHist(v)
		if err := lib.RecordValue(v); err != nil {
			t.Fatalf("library rejects %d: %v", v, err)
		}
		counts[histIndex(v)]++
	}
	if diff := cmp.Diff(lib.Export().Counts, counts); diff != "" {
		t.Errorf("counts differ from the library's (-lib +ours):\n%s", diff)
	}
	ours := newHistogramOf(counts)
	for _, q := range []float64{0, 1, 50, 90, 99, 99.9, 99.99, 100} {
		if a, b := lib.ValueAtQuantile(q), ours.ValueAtQuantile(q); a != b {
			t.Errorf("p%v: library %d, ours %d", q, a, b)
		}
	}
}

// ftFunc returns a Func of its own for one run of one test, so that
// numbers never mix across tests or -count runs.
func ftFunc(t *testing.T, label string) *Func {
	return &Func{Name: fmt.Sprintf("coretest.%s.%s.%d", t.Name(), label, ftSeq.Add(1))}
}

var ftSeq atomic.Int64

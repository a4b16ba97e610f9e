package hotpath

import (
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Kind says what a row of the report measures.
type Kind uint8

const (
	// KindFunc is a function or method marked with //hotpath:measure.
	KindFunc Kind = iota
	// KindBlock is a statement marked with //hotpath:block.
	KindBlock
)

// String returns the name used for the kind in JSON reports.
func (k Kind) String() string {
	if k == KindBlock {
		return "block"
	}
	return "func"
}

// Histogram bounds: 1 ns to 1 h with three significant digits, as
// hotpath-rs. Durations outside are clamped into the range (the exact total,
// min and max are kept apart from the histogram).
const (
	histLowest  = 1
	histHighest = 3600 * 1e9
	histDigits  = 3
)

func newHistogram() *hdr.Histogram { return hdr.New(histLowest, histHighest, histDigits) }

func clampHist(d int64) int64 {
	switch {
	case d < histLowest:
		return histLowest
	case d > histHighest:
		return histHighest
	}
	return d
}

// Func describes one measured function or block. Generated code declares
// one package-level Func per measured target, as a composite literal, so it
// needs no initialisation code; the Func registers itself on first use.
//
// A Func must not be copied after first use.
type Func struct {
	// Name is the row label: the Go symbol name as pprof prints it
	// (example.com/p.(*T).M), a label=NAME given in the directive, or the
	// label of a block.
	Name string
	// Symbol is the runtime function name that contains the code
	// (example.com/p.(*T).M, example.com/p.F[...]); allocation mode
	// attributes heap samples by it.
	Symbol string
	// Kind is KindFunc or KindBlock.
	Kind Kind
	// Parent is the function that encloses a block, as pprof prints it.
	Parent string
	// File, Line and EndLine locate the code in its original source file:
	// for a block the lines it covers, which allocation mode uses to tell a
	// block's allocations from the rest of its function.
	File          string
	Line, EndLine int

	state atomic.Pointer[funcState]
}

// funcState is the mutable part of a Func, allocated when it registers.
type funcState struct {
	f      *Func
	mask   int
	shards []shard
}

// shard is one goroutine-group's share of a Func's numbers. Recording
// goroutines pick a shard by the P they run on, so on a machine with n
// cores up to n goroutines record at once without contending.
//
// A shard is 128 bytes and its data fit in the first 64: the shards array
// (a power of two times 128 bytes, which the allocator aligns to its size)
// then gives each shard a cache line of its own, and the pair of lines
// that adjacent-line prefetchers fetch together. TestShardLayout checks.
type shard struct {
	shardData
	_ [128 - unsafe.Sizeof(shardData{})]byte
}

type shardData struct {
	mu    sync.Mutex
	calls uint64 // calls counted at End (every call when not sampling)
	// durations are the timed calls. The shard increments an HDR bucket
	// itself: hdr's RecordValue validates and counts what a shard does not
	// need, which cost a third of the recording time.
	durations
	ticks atomic.Uint64 // calls counted at Begin and left untimed by sampling
}

// The bucket layout of hdr.New(histLowest, histHighest, histDigits), as
// hdrhistogram-go computes it: three significant digits need 2048
// sub-buckets (2*10^3 rounded up to a power of two); bucket 0 uses all of
// them, with unit width, and each later bucket the upper half, at twice
// the width of the one before; 32 buckets reach histHighest (2048<<31 >
// 1 h in ns). TestHistLayout checks all of this against the library.
const (
	histHalfMagnitude = 10                                     // log2(sub-buckets) - 1
	histSubMask       = 1<<(histHalfMagnitude+1) - 1           // values below this are bucket 0
	histBuckets       = 32                                     //
	histCountsLen     = (histBuckets + 1) << histHalfMagnitude // 33792
)

// histIndex returns the index of v's bucket in the counts of an HDR
// histogram of the layout above; v must be in [histLowest, histHighest].
// It is hdrhistogram-go's countsIndexFor with the layout's constants.
func histIndex(v int64) int {
	bucket := 64 - bits.LeadingZeros64(uint64(v)|histSubMask) - (histHalfMagnitude + 1)
	sub := int(v >> uint(bucket))
	return bucket<<histHalfMagnitude + sub
}

// newHistogramOf returns an hdr.Histogram holding counts, which has the
// layout above.
func newHistogramOf(counts []int64) *hdr.Histogram {
	return hdr.Import(&hdr.Snapshot{
		LowestTrackableValue:  histLowest,
		HighestTrackableValue: histHighest,
		SignificantFigures:    histDigits,
		Counts:                counts,
	})
}

// maxShards bounds the memory of a Func on very large machines; beyond it
// goroutines share shards, which is correct, only slower.
const maxShards = 64

// numShardsFor returns the power of two at or above procs, at most
// maxShards.
func numShardsFor(procs int) int {
	n := 1
	for n < procs && n < maxShards {
		n <<= 1
	}
	return n
}

// load returns the Func's state, registering the Func on first use.
func (f *Func) load() *funcState {
	if st := f.state.Load(); st != nil {
		return st
	}
	return f.register()
}

func (f *Func) register() *funcState {
	// Enough shards for every CPU, not only for GOMAXPROCS now: the Func
	// keeps its shards, but GOMAXPROCS may grow after the first call (a
	// program that sets it in main, go test -cpu 1,2, the runtime
	// following a container's CPU limit), and with too few shards
	// goroutines on different Ps would share one and contend for its lock.
	// Shards that no P uses cost 128 bytes each: counts come with use.
	n := numShardsFor(max(runtime.GOMAXPROCS(0), runtime.NumCPU()))
	st := &funcState{f: f, mask: n - 1, shards: make([]shard, n)}
	if !f.state.CompareAndSwap(nil, st) {
		return f.state.Load()
	}
	registry.add(f)
	return st
}

// Span is one measurement in progress, returned by [Func.Begin]. It is a
// small value: generated code defers its End method directly.
type Span struct {
	st      *funcState
	start   int64
	counted bool // the call was counted at Begin (sampling mode)
}

// Begin starts measuring one call. With sampling on (Options.SampleEvery,
// HOTPATH_SAMPLE) only one call in N is timed; the others cost a counter
// increment and End does nothing for them.
func (f *Func) Begin() Span {
	st := f.load()
	if n := sampleEvery.Load(); n > 1 {
		id := procPin()
		procUnpin()
		if st.shards[id&st.mask].ticks.Add(1)%uint64(n) != 0 {
			return Span{}
		}
		return Span{st: st, start: nanotime(), counted: true}
	}
	return Span{st: st, start: nanotime()}
}

// End records the call started by Begin. It is safe to call on the zero
// Span, and to defer: a function that panics is still recorded, and the
// panic continues unchanged.
func (s Span) End() {
	if s.st == nil {
		return
	}
	s.st.record(nanotime()-s.start, s.counted)
}

// Close records a span that is still open and marks it closed, so it
// records at most once. Generated code for //hotpath:block keeps one Span
// variable per block, calls Close where control leaves the block, and
// defers Close once per function so that a panic leaving the block is
// recorded too.
func (s *Span) Close() {
	if s.st == nil {
		return
	}
	st := s.st
	s.st = nil
	st.record(nanotime()-s.start, s.counted)
}

func (st *funcState) record(d int64, counted bool) {
	id := procPin()
	procUnpin()
	sh := &st.shards[id&st.mask]
	sh.mu.Lock()
	if !counted {
		sh.calls++
	}
	sh.durations.record(d)
	sh.mu.Unlock()
}

// funcSnapshot is a Func's numbers at one instant, merged over its shards:
// every call, and the timed ones.
type funcSnapshot struct {
	calls uint64
	durationSummary
}

// callCount returns the calls counted so far: a cheap test of whether a
// Func ran at all in a guard's window, before its histogram is summed.
func (st *funcState) callCount() uint64 {
	var n uint64
	for i := range st.shards {
		sh := &st.shards[i]
		sh.mu.Lock()
		n += sh.calls
		sh.mu.Unlock()
		n += sh.ticks.Load()
	}
	return n
}

func (st *funcState) snapshot() funcSnapshot {
	var s funcSnapshot
	for i := range st.shards {
		sh := &st.shards[i]
		sh.mu.Lock()
		s.calls += sh.calls
		s.add(&sh.durations)
		sh.mu.Unlock()
		s.calls += sh.ticks.Load()
	}
	return s
}

// since returns what happened between base and s.
func (s funcSnapshot) since(base funcSnapshot) funcSnapshot {
	return funcSnapshot{calls: s.calls - base.calls, durationSummary: s.durationSummary.since(base.durationSummary)}
}

package core

import (
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"

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

	state atomic.Pointer[FuncState]
}

// FuncState is the mutable part of a Func, allocated when it registers:
// about 600 bytes until the Func records (TestFuncMemory).
type FuncState struct {
	f *Func
	// shards[id] belongs to the P with that id; nil until a goroutine on
	// that P records.
	shards [maxShards]atomic.Pointer[shard]
	// mu guards hist, the durations that the shards have flushed. A
	// goroutine pinned to its P must not park, so it only tries to take
	// mu, and unpins first when it has to wait for it.
	mu   sync.Mutex
	hist HistWindow
	// over records the calls of goroutines on Ps beyond maxShards.
	over overflowShard
}

// shard is one P's share of a Func's numbers. A goroutine records into
// the shard of the P it runs on, pinned to that P for the time it takes
// (procPin): nothing else runs on the P meanwhile, so the shard has one
// writer at a time and needs no lock and no locked instruction (see
// shardstore_plain.go). Readers on other Ps take a consistent copy with
// the sequence number, which the owner makes odd while it updates the
// shard: they read the fields between two loads of it and try again when
// it was odd or changed.
//
// Durations go first into buf, as histogram bucket indexes; a full buffer
// is flushed into the Func's one histogram under its lock. Every P of a
// Func that ran costs one 128-byte shard, however long the durations'
// range: the histogram is per Func, not per P.
type shard struct {
	seq   uint64 // odd while the owner updates the shard
	calls uint64 // calls counted: at End, or at Begin when sampling
	count uint64 // timed calls
	total int64
	min   int64
	max   int64
	skip  uint64 // sampling: calls left until the next timed one
	n     uint64 // entries of buf in use
	buf   [shardBufWords]uint32
}

// shardBufWords is the size of a shard's buffer: 32 bucket indexes of 16
// bits (histCountsLen < 1<<16), which fill a shard to 128 bytes.
const (
	shardBufWords = 16
	shardBufLen   = 2 * shardBufWords
)

// shardView is a consistent copy of a shard.
type shardView struct {
	calls, count    uint64
	total, min, max int64
	n               uint64
	buf             [shardBufWords]uint32
}

// read copies sh, consistently, into v.
func (sh *shard) read(v *shardView) {
	for spins := 0; ; waitShard(&spins) {
		s1 := atomic.LoadUint64(&sh.seq)
		if s1&1 == 0 {
			v.calls = atomic.LoadUint64(&sh.calls)
			v.count = atomic.LoadUint64(&sh.count)
			v.total = atomic.LoadInt64(&sh.total)
			v.min = atomic.LoadInt64(&sh.min)
			v.max = atomic.LoadInt64(&sh.max)
			v.n = atomic.LoadUint64(&sh.n)
			for i := range sh.buf {
				v.buf[i] = atomic.LoadUint32(&sh.buf[i])
			}
			if atomic.LoadUint64(&sh.seq) == s1 {
				v.n = min(v.n, shardBufLen)
				return
			}
		}
	}
}

// entry returns buffered bucket index i of v.
func (v *shardView) entry(i uint64) int {
	return int(uint16(v.buf[i/2] >> (16 * (i % 2))))
}

// overflowShard records for goroutines on Ps whose id has no shard
// (GOMAXPROCS above maxShards), under a mutex: correct, only slower.
type overflowShard struct {
	mu       sync.Mutex
	calls    atomic.Uint64
	skip     uint64
	count    uint64
	total    int64
	min, max int64
}

// waitShard waits, for read, until a shard's owner is between updates:
// the owner is pinned to its P and runs, but its thread may be
// descheduled, so the reader yields once it has spun a while.
func waitShard(spins *int) {
	if *spins++; *spins%64 == 0 {
		runtime.Gosched()
	}
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

// maxShards is the number of Ps that get a shard of their own; beyond it
// goroutines record through a shared, locked one.
const maxShards = 64

// load returns the Func's state, registering the Func on first use.
func (f *Func) load() *FuncState {
	if st := f.state.Load(); st != nil {
		return st
	}
	return f.register()
}

func (f *Func) register() *FuncState {
	st := &FuncState{f: f}
	if !f.state.CompareAndSwap(nil, st) {
		return f.state.Load()
	}
	registry.add(f)
	return st
}

// Span is one measurement in progress, returned by [Func.Begin]. It is a
// small value: generated code defers its End method directly.
type Span struct {
	st    *FuncState
	start int64     // the clock when the call began: monoNow, or tscNanotime with spanTSC
	flags spanFlags // which clock start is on; whether Begin counted the call
	// extra is the calls beyond this one that End counts: n-1 when the
	// sampling is estimated (a timed call stands for n), 0 otherwise.
	extra uint32
}

// calls returns the number of calls End adds to the count: none when
// Begin counted the call, else the call and the calls it stands for.
func (s Span) calls() uint64 {
	if s.flags&spanCounted != 0 {
		return 0
	}
	return 1 + uint64(s.extra)
}

// Timed reports whether the span times its call. Generated code defers
// End only for a timed span, so that a call sampled out pays no deferred
// call.
func (s Span) Timed() bool { return s.st != nil }

// spanFlags say how a Span began, so that End reads the clock Begin read
// without looking at the clock's configuration again.
type spanFlags uint8

const (
	// spanTSC: start is on the TSC clock (tscNanotime); otherwise it is
	// monoNow's.
	spanTSC spanFlags = 1 << iota
	// spanCounted: the call was counted at Begin (sampling mode).
	spanCounted
)

// spanStart reads the clock a Span starts on.
func spanStart() (int64, spanFlags) {
	if tscClock.Load() != nil {
		return tscNanotime(), spanTSC
	}
	return monoNow(), 0
}

// spanEnd reads the clock a Span that began with flags ends on.
func spanEnd(flags spanFlags) int64 {
	if flags&spanTSC != 0 {
		return tscNanotime()
	}
	return monoNow()
}

// Begin starts measuring one call. With sampling on (Options.SampleEvery,
// HOTPATH_SAMPLE) only one call in N is timed; End does nothing for the
// others. Exact sampling counts each of them (a counter increment);
// estimated sampling (SetSampling) leaves them uncounted and counts a
// timed call as N.
//
// Begin is [Func.Skip] and [Func.BeginAfterSkip] in one call, which
// generated code makes apart.
func (f *Func) Begin() Span {
	if n := sampling.est.Load(); n > 1 {
		if cheaprandn(n) != 0 {
			return Span{}
		}
		return f.beginEstimated(n)
	}
	st := f.state.Load()
	if st == nil {
		return f.beginSlow()
	}
	if sampling.every.Load() > 1 {
		return st.beginSampled()
	}
	// spanStart, written out: it does not inline.
	if tscClock.Load() != nil {
		return Span{st: st, start: tscNanotime(), flags: spanTSC}
	}
	return Span{st: st, start: monoNow()}
}

// Skip reports whether estimated sampling leaves this call out: the call
// is then neither timed nor counted, and the caller calls nothing else.
// With exact sampling, or none, Skip is false. It draws one pseudo-random
// number and inlines, so that a call it skips costs one call into the
// runtime and nothing more. When Skip is false, [Func.BeginAfterSkip]
// begins the span.
func (f *Func) Skip() bool {
	n := sampling.est.Load()
	return n > 1 && cheaprandn(n) != 0
}

// BeginAfterSkip is [Func.Begin] for a call that [Func.Skip] did not
// skip: with estimated sampling it times the call, which counts as N.
// Generated code begins each measured call with
//
//	if !F.Skip() {
//		if s := F.BeginAfterSkip(); s.Timed() {
//			defer s.End()
//		}
//	}
func (f *Func) BeginAfterSkip() Span {
	if n := sampling.est.Load(); n > 1 {
		return f.beginEstimated(n)
	}
	st := f.state.Load()
	if st == nil {
		return f.beginSlow()
	}
	if n := uint64(sampling.every.Load()); n > 1 {
		// beginSampled's fast path, written out: an untimed call makes
		// one call less.
		id := procPin()
		if uint(id) < maxShards {
			if sh := st.shards[id].Load(); sh != nil {
				storeU64(&sh.calls, loadU64(&sh.calls)+1)
				k := loadU64(&sh.skip)
				if k == 0 || k > n {
					k = n
				}
				if k > 1 {
					storeU64(&sh.skip, k-1)
					procUnpin()
					return Span{}
				}
				storeU64(&sh.skip, n)
				procUnpin()
				start, flags := spanStart()
				return Span{st: st, start: start, flags: flags | spanCounted}
			}
		}
		procUnpin()
		return st.beginSampledSlow(id, n)
	}
	// spanStart, written out: it does not inline.
	if tscClock.Load() != nil {
		return Span{st: st, start: tscNanotime(), flags: spanTSC}
	}
	return Span{st: st, start: monoNow()}
}

// beginEstimated times a call that estimated sampling, one call in n,
// picked: End counts it as n calls.
//
//go:noinline
func (f *Func) beginEstimated(n uint32) Span {
	st := f.load()
	start, flags := spanStart()
	return Span{st: st, start: start, flags: flags, extra: n - 1}
}

// beginSlow is Begin on first use.
func (f *Func) beginSlow() Span {
	st := f.load()
	if sampling.every.Load() > 1 {
		return st.beginSampled()
	}
	start, flags := spanStart()
	return Span{st: st, start: start, flags: flags}
}

// beginSampled counts a call and times one in sampleEvery.
func (st *FuncState) beginSampled() Span {
	n := uint64(sampling.every.Load())
	id := procPin()
	if uint(id) < maxShards {
		if sh := st.shards[id].Load(); sh != nil {
			storeU64(&sh.calls, loadU64(&sh.calls)+1)
			k := loadU64(&sh.skip)
			if k == 0 || k > n {
				k = n
			}
			if k > 1 {
				storeU64(&sh.skip, k-1)
				procUnpin()
				return Span{}
			}
			storeU64(&sh.skip, n)
			procUnpin()
			start, flags := spanStart()
			return Span{st: st, start: start, flags: flags | spanCounted}
		}
	}
	procUnpin()
	return st.beginSampledSlow(id, n)
}

// beginSampledSlow is beginSampled for a P without a shard yet, or beyond
// maxShards.
//
//go:noinline
func (st *FuncState) beginSampledSlow(id int, n uint64) Span {
	if uint(id) < maxShards {
		st.shards[id].CompareAndSwap(nil, new(shard))
		return st.beginSampled()
	}
	o := &st.over
	o.mu.Lock()
	o.calls.Add(1)
	k := o.skip
	if k == 0 || k > n {
		k = n
	}
	o.skip = k - 1
	if k == 1 {
		o.skip = n
	}
	o.mu.Unlock()
	if k > 1 {
		return Span{}
	}
	start, flags := spanStart()
	return Span{st: st, start: start, flags: flags | spanCounted}
}

// End records the call started by Begin. It is safe to call on the zero
// Span, and to defer: a function that panics is still recorded, and the
// panic continues unchanged.
//
// End is small enough to inline into the function that generated code
// defers: a call that was not timed (sampling) returns without a call.
func (s Span) End() {
	if s.st != nil {
		s.end()
	}
}

// end is End for a timed call.
func (s Span) end() {
	st := s.st
	// spanEnd and st.record's fast path with sh.put, written out: each
	// call less is a nanosecond less on every measured call.
	var d int64
	if s.flags&spanTSC != 0 {
		d = tscNanotime() - s.start
	} else {
		d = monoNow() - s.start
	}
	id := procPin()
	if uint(id) < maxShards {
		if sh := st.shards[id].Load(); sh != nil {
			if n := loadU64(&sh.n); n < shardBufLen {
				seq := loadU64(&sh.seq)
				storeU64(&sh.seq, seq+1)
				if c := s.calls(); c != 0 {
					storeU64(&sh.calls, loadU64(&sh.calls)+c)
				}
				c := loadU64(&sh.count)
				if c == 0 || d < loadI64(&sh.min) {
					storeI64(&sh.min, d)
				}
				if d > loadI64(&sh.max) {
					storeI64(&sh.max, d)
				}
				storeU64(&sh.count, c+1)
				storeI64(&sh.total, loadI64(&sh.total)+d)
				storeBuf(&sh.buf, n, uint16(histIndex(clampHist(d))))
				storeU64(&sh.n, n+1)
				storeU64(&sh.seq, seq+2)
				procUnpin()
				return
			}
		}
	}
	procUnpin()
	st.record(d, s.calls())
}

// put records d into sh, whose buffer has room at n; the caller is pinned
// to the shard's P. End writes it out.
func (sh *shard) put(d int64, n uint64, calls uint64) {
	seq := loadU64(&sh.seq)
	storeU64(&sh.seq, seq+1)
	if calls != 0 {
		storeU64(&sh.calls, loadU64(&sh.calls)+calls)
	}
	c := loadU64(&sh.count)
	if c == 0 || d < loadI64(&sh.min) {
		storeI64(&sh.min, d)
	}
	if d > loadI64(&sh.max) {
		storeI64(&sh.max, d)
	}
	storeU64(&sh.count, c+1)
	storeI64(&sh.total, loadI64(&sh.total)+d)
	storeBuf(&sh.buf, n, uint16(histIndex(clampHist(d))))
	storeU64(&sh.n, n+1)
	storeU64(&sh.seq, seq+2)
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
	st.record(spanEnd(s.flags)-s.start, s.calls())
}

// record records one call that took d, into the shard of the P the
// goroutine runs on.
func (st *FuncState) record(d int64, calls uint64) {
	id := procPin()
	if uint(id) < maxShards {
		if sh := st.shards[id].Load(); sh != nil {
			n := loadU64(&sh.n)
			if n >= shardBufLen {
				if !st.mu.TryLock() {
					procUnpin()
					st.recordContended(d, calls)
					return
				}
				st.flush(sh)
				st.mu.Unlock()
				n = 0
			}
			sh.put(d, n, calls)
			procUnpin()
			return
		}
	}
	procUnpin()
	st.recordSlow(id, d, calls)
}

// flush moves the durations buffered in sh, the shard of the P the
// caller is pinned to, into the Func's histogram. The caller holds st.mu.
//
//go:noinline
func (st *FuncState) flush(sh *shard) {
	seq := loadU64(&sh.seq)
	storeU64(&sh.seq, seq+1)
	n := min(loadU64(&sh.n), shardBufLen)
	w := &st.hist
	for i := range n {
		b := int(loadBuf(&sh.buf, i))
		// HistWindow.add's case of a counter already 8 bytes wide,
		// written out: a long-running function's buckets all get there,
		// and a call of add per entry cost as much as the increment
		// (perf annotate: a fifth of add's samples were its frame).
		if t := w.t; t != nil && !w.shared {
			pi := b >> histPageBits
			if p := t.page[pi]; p != nil && t.owned&(1<<pi) != 0 {
				c := b >> histChunkBits & (histChunks - 1)
				if p.owned&(1<<c) != 0 && p.width[c] == 8 {
					(*[histChunkLen]uint64)(p.chunk[c])[b&(histChunkLen-1)]++
					continue
				}
			}
		}
		w.add(b, 1)
	}
	storeU64(&sh.n, 0)
	storeU64(&sh.seq, seq+2)
}

// recordContended is record when the shard's buffer is full and a reader
// or another shard holds the histogram: it waits for the lock unpinned,
// then flushes the shard of the P it runs on and records.
//
//go:noinline
func (st *FuncState) recordContended(d int64, calls uint64) {
	st.mu.Lock()
	id := procPin()
	if uint(id) < maxShards {
		if sh := st.shards[id].Load(); sh != nil {
			st.flush(sh)
		}
	}
	procUnpin()
	st.mu.Unlock()
	st.record(d, calls)
}

// recordSlow is record for a P without a shard yet, or beyond maxShards.
//
//go:noinline
func (st *FuncState) recordSlow(id int, d int64, calls uint64) {
	if uint(id) < maxShards {
		// Allocate unpinned; a goroutine that moved to another P meanwhile
		// records there, and its new P gets a shard in turn.
		st.shards[id].CompareAndSwap(nil, new(shard))
		st.record(d, calls)
		return
	}
	o := &st.over
	o.mu.Lock()
	if calls != 0 {
		o.calls.Add(calls)
	}
	if o.count == 0 || d < o.min {
		o.min = d
	}
	o.max = max(o.max, d)
	o.count++
	o.total += d
	st.mu.Lock()
	st.hist.record(d)
	st.mu.Unlock()
	o.mu.Unlock()
}

// FuncSnapshot is a Func's numbers at one instant, merged over its shards:
// every call, and the timed ones.
type FuncSnapshot struct {
	calls uint64
	DurationSummary
}

// callCount returns the calls counted so far: a cheap test of whether a
// Func ran at all in a guard's window, before its histogram is copied.
func (st *FuncState) callCount() uint64 {
	n := st.over.calls.Load()
	for i := range st.shards {
		if sh := st.shards[i].Load(); sh != nil {
			n += atomic.LoadUint64(&sh.calls)
		}
	}
	return n
}

// snapshot merges the shards and the histogram. Recording goes on
// meanwhile: the reader holds the histogram's lock, which delays a shard
// that must flush, and waits for no shard but one that its owner is
// updating at that moment.
func (st *FuncState) snapshot() FuncSnapshot {
	var s FuncSnapshot
	o := &st.over
	o.mu.Lock()
	defer o.mu.Unlock()
	s.calls = o.calls.Load()
	s.addExact(o.count, o.total, o.min, o.max)
	var v shardView
	st.mu.Lock()
	defer st.mu.Unlock()
	s.merged = st.hist.clone()
	for i := range st.shards {
		sh := st.shards[i].Load()
		if sh == nil {
			continue
		}
		sh.read(&v)
		s.calls += v.calls
		s.addExact(v.count, v.total, v.min, v.max)
		for j := range v.n {
			s.pending = append(s.pending, uint16(v.entry(j)))
		}
	}
	return s
}

// since returns what happened between base and s.
func (s FuncSnapshot) since(base FuncSnapshot) FuncSnapshot {
	return FuncSnapshot{calls: s.calls - base.calls, DurationSummary: s.DurationSummary.since(base.DurationSummary)}
}

package hotpath

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"fmt"
	"io"
	"math"
	"reflect"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"

	"github.com/hotpath-go/hotpath/runtime/internal/core"
	"github.com/hotpath-go/hotpath/runtime/internal/heapprof"
)

// Allocation mode (Options.Alloc, HOTPATH_ALLOC=1) attributes heap
// allocations to measured functions and blocks from Go's own heap profile,
// so it is exact with any number of goroutines, measured or not, and adds
// nothing to the measured code beyond what the runtime's profiler costs.
//
// How it works:
//
//   - While at least one alloc-mode guard is alive, runtime.MemProfileRate
//     is 1: the runtime records every heap allocation with its stack, in
//     every goroutine. The previous rate comes back when the last such guard
//     stops. The rate takes effect at once on every P (each P's allocator
//     re-reads it on its next allocation), and a report counts only what
//     was allocated inside its own window, so nothing needs setting before
//     start-up, and a program that never starts an alloc-mode guard pays
//     nothing.
//   - Start runs one GC and reads the heap profile as the baseline; Stop (and
//     Snapshot) runs one GC and reads it again. The per-stack difference is
//     what the window allocated. The runtime publishes an allocation in the
//     profile once the GC cycle after it has finished sweeping; runtime.GC
//     returns after a full cycle and publishes the profile then, so one call
//     is enough for everything allocated before it began (when another GC
//     overtakes it, that cycle's mark termination publishes the same data).
//   - Stacks come from runtime/pprof's encoding of the profile, which keeps
//     the whole recorded stack (runtime.MemProfileRecord keeps only the 32
//     innermost frames), and a second read with runtime.MemProfile shows the
//     runtime frames that the encoding leaves out (see dropRuntimeOwn).
//
// Attribution walks each stack from the allocation outwards. A KindFunc
// target matches a frame whose function is its Symbol; a KindBlock target
// matches a frame of its Symbol whose line lies in [Line, EndLine] (//line
// directives in twins make these the original lines). Inlined frames count
// as frames. Every distinct target on the stack gets the allocation once in
// its inclusive numbers, so recursion is not double counted; the innermost
// target (of nested blocks of one frame, the narrowest) gets it in its self
// numbers. A block's file is not compared: the pprof encoding keeps one
// file name per function, and a twin's function has lines in its original
// file and in <generated>, so the name a line shows need not be its own.
// The line range is enough, since a function's original lines are all in
// one file and the code hotpathgen adds is at <generated>:1 and the few
// lines after it, above any line a block can start on.
//
// What the numbers mean:
//
//   - Bytes are heap bytes as the allocator hands them out: a request is
//     rounded up to its size class (make([]byte, 1000) counts 1024), objects
//     with pointers larger than 512 bytes carry an 8-byte malloc header
//     before rounding (a [100]*int counts 896), and large objects (over
//     32 KiB) are rounded up to whole 8 KiB pages (40000 bytes count 40960).
//   - Tiny pointer-free objects under 16 bytes share 16-byte blocks: only
//     the allocation that opens a new block is recorded, as one object of
//     16 bytes, and the ones that fit in the current block are not recorded
//     at all. Their bytes are right to within a block, their object counts
//     low. With -race the tiny allocator is off and each such object counts
//     as one object of 16 bytes.
//   - Only heap allocations count: stack allocations, goroutine stacks and
//     what the runtime allocates on the system stack (the g of a new
//     goroutine, for example) are not heap profile records.
//   - Allocations the runtime makes for itself on a goroutine's stack are
//     left out: a GC assist that ends the mark phase, or a goroutine that
//     blocks on a channel, lock or select when the cache of wait records
//     (sudogs) is empty, allocates a wait record. Neither is the code's
//     allocation, and neither happens the same way twice.
//   - So are the allocations of this package (first-call registration,
//     histogram buffers, the guard's own work), wherever they happen:
//     measuring adds nothing to the numbers of the measured code.
//   - A goroutine's stack starts at the function it runs: what a goroutine
//     allocates belongs to that function (and the measured functions it
//     calls), never to the function that started the goroutine.
//   - Stacks deeper than GODEBUG=profstackdepth (128 frames by default) lose
//     their outermost frames: a measured function further out than that
//     from an allocation does not see it in its inclusive numbers, and an
//     allocation with no measured target on the kept part of its stack is
//     attributed to none. Raise profstackdepth (at most 1024) for deeply
//     recursive code.
//   - Calls that began before the guard started count their allocations
//     from its start; those made before are in the baseline.
//
// Costs: while the mode is on, every allocation of the process records its
// stack (see docs/PERFORMANCE.md), and timings include that cost. Start and
// Stop each run a GC and read the whole profile, which takes time in
// proportion to the number of distinct allocation stacks the process has
// ever had: at rate 1 the profile keeps a record for each, for the life of
// the process.

// AllocTotals summarises a report's window in allocation mode.
type AllocTotals struct {
	// Bytes and Objects count every heap allocation the process made in
	// the window, measured or not, except this package's own.
	Bytes   int64 `json:"bytes"`
	Objects int64 `json:"objects"`
	// AttributedBytes and AttributedObjects count the allocations made
	// with at least one measured target on the stack, each once: the sum
	// of every target's self numbers. The table's "% Total" of a row is its
	// inclusive bytes over AttributedBytes.
	AttributedBytes   int64 `json:"attributed_bytes"`
	AttributedObjects int64 `json:"attributed_objects"`
}

// allocMode counts the alive alloc-mode guards and keeps the heap
// profiling rate to restore when the last one stops. It also serialises
// reads of the heap profile with changes of the rate, which runtime/pprof
// reads while it writes the profile.
var allocMode struct {
	mu       sync.Mutex
	guards   int
	prevRate int
}

// allocCounts is what one stack, one target or one window allocated.
type allocCounts struct {
	bytes, objects int64
}

func (c *allocCounts) add(d allocCounts) {
	c.bytes += d.bytes
	c.objects += d.objects
}

// sampleCounts is a heap profile sample's cumulative counts.
func sampleCounts(s *heapprof.Sample) allocCounts {
	return allocCounts{objects: s.Objects, bytes: s.Bytes}
}

// heapBaseline is the heap profile when a guard started: cumulative
// counts per stack, the stack keyed by its frame addresses.
type heapBaseline struct {
	stacks map[string]allocCounts
}

// startAllocMode switches the process to recording every allocation, runs
// a GC so that the profile holds everything allocated so far, and returns
// the profile as the baseline of a new window. On error the mode is left as
// it was.
func startAllocMode() (*heapBaseline, error) {
	allocMode.mu.Lock()
	if allocMode.guards == 0 {
		allocMode.prevRate = runtime.MemProfileRate
		runtime.MemProfileRate = 1
	}
	allocMode.guards++
	allocMode.mu.Unlock()

	runtime.GC()
	p, err := readHeapProfile()
	if err != nil {
		stopAllocMode()
		return nil, err
	}
	b := &heapBaseline{stacks: make(map[string]allocCounts, len(p.Samples))}
	for i := range p.Samples {
		s := &p.Samples[i]
		c := b.stacks[s.Key]
		c.add(sampleCounts(s))
		b.stacks[s.Key] = c
	}
	return b, nil
}

// stopAllocMode ends one guard's use of allocation mode.
func stopAllocMode() {
	allocMode.mu.Lock()
	defer allocMode.mu.Unlock()
	allocMode.guards--
	if allocMode.guards == 0 {
		runtime.MemProfileRate = allocMode.prevRate
	}
}

// allocResult is the attribution of one window.
type allocResult struct {
	incl, self map[*core.Func]allocCounts
	totals     AllocTotals
}

// fill sets the allocation numbers of f's report row.
func (r *allocResult) fill(row *FuncRow, f *core.Func) {
	in, self := r.incl[f], r.self[f]
	row.AllocBytes, row.AllocObjects = in.bytes, in.objects
	row.SelfAllocBytes, row.SelfAllocObjects = self.bytes, self.objects
}

// attribute makes the profile current, reads it and attributes what was
// allocated since the baseline to the targets among funcs.
func (b *heapBaseline) attribute(funcs []*core.Func) (*allocResult, error) {
	runtime.GC()
	p, err := readHeapProfile()
	if err != nil {
		return nil, err
	}
	return b.attributeProfile(p, funcs), nil
}

func (b *heapBaseline) attributeProfile(p *heapprof.Profile, funcs []*core.Func) *allocResult {
	// Records that share a stack (one per object size the stack allocated)
	// are merged before taking the difference, as the baseline was.
	type window struct {
		key    string
		locs   []int32
		counts allocCounts
	}
	var windows []window
	byStack := make(map[string]int, len(p.Samples))
	for i := range p.Samples {
		s := &p.Samples[i]
		wi, ok := byStack[s.Key]
		if !ok {
			wi = len(windows)
			byStack[s.Key] = wi
			windows = append(windows, window{key: s.Key, locs: s.Locs})
		}
		windows[wi].counts.add(sampleCounts(s))
	}

	m := newTargetMatcher(funcs, p)
	res := &allocResult{incl: map[*core.Func]allocCounts{}, self: map[*core.Func]allocCounts{}}
	var seen []*core.Func
	for i := range windows {
		w := &windows[i]
		base := b.stacks[w.key]
		d := allocCounts{bytes: w.counts.bytes - base.bytes, objects: w.counts.objects - base.objects}
		if d.bytes <= 0 && d.objects <= 0 {
			continue
		}
		var ok bool
		if seen, ok = m.targets(w.locs, seen[:0]); !ok {
			continue
		}
		res.totals.Bytes += d.bytes
		res.totals.Objects += d.objects
		if len(seen) == 0 {
			continue
		}
		res.totals.AttributedBytes += d.bytes
		res.totals.AttributedObjects += d.objects
		for _, f := range seen {
			c := res.incl[f]
			c.add(d)
			res.incl[f] = c
		}
		c := res.self[seen[0]]
		c.add(d)
		res.self[seen[0]] = c
	}
	return res
}

// selfPackage is this package's import path. Frames of its non-test code,
// and of the recording core's and hotpathimpl's (selfPackages), mark
// allocations made by the profiler itself.
var (
	selfPackage  = reflect.TypeFor[Report]().PkgPath()
	selfPackages = []string{selfPackage, reflect.TypeFor[core.Func]().PkgPath(), selfPackage + "/hotpathimpl"}
)

// targetMatcher finds the measured targets on the stacks of a profile,
// once per location.
type targetMatcher struct {
	bySymbol map[string][]*core.Func
	p        *heapprof.Profile
	cache    []matchedLocation
}

// matchedLocation is what one location of the profile contributes to a
// stack: the targets among its frames, innermost first, and whether one
// of its frames is this package's own code.
type matchedLocation struct {
	targets []*core.Func
	self    bool
	done    bool // the entry has been filled in
}

func newTargetMatcher(funcs []*core.Func, p *heapprof.Profile) *targetMatcher {
	m := &targetMatcher{bySymbol: map[string][]*core.Func{}, p: p, cache: make([]matchedLocation, len(p.Locations))}
	for _, f := range funcs {
		if f.Symbol == "" {
			continue
		}
		m.bySymbol[f.Symbol] = append(m.bySymbol[f.Symbol], f)
	}
	for _, fs := range m.bySymbol {
		// Within one frame the narrowest block is the innermost target and
		// the function itself the outermost.
		slices.SortStableFunc(fs, func(a, b *core.Func) int { return cmp.Compare(targetWidth(a), targetWidth(b)) })
	}
	return m
}

// targetWidth orders the targets that can match one frame: blocks by the
// number of lines they cover, functions after every block.
func targetWidth(f *core.Func) int {
	if f.Kind != core.KindBlock {
		return math.MaxInt
	}
	return max(f.EndLine, f.Line) - f.Line
}

// targets appends to dst the distinct measured targets on a stack of
// locations (allocation site first), innermost first. It reports false for
// an allocation made by this package.
func (m *targetMatcher) targets(locs []int32, dst []*core.Func) ([]*core.Func, bool) {
	for _, li := range locs {
		loc := m.location(li)
		if loc.self {
			return dst, false
		}
		for _, f := range loc.targets {
			if !slices.Contains(dst, f) {
				dst = append(dst, f)
			}
		}
	}
	return dst, true
}

func (m *targetMatcher) location(i int32) *matchedLocation {
	loc := &m.cache[i]
	if loc.done {
		return loc
	}
	loc.done = true
	for _, fr := range m.p.Locations[i] {
		if isSelfFrame(fr.Function, fr.File) {
			loc.self = true
			break
		}
		for _, f := range m.bySymbol[fr.Function] {
			if f.Kind == core.KindBlock && (fr.Line < int64(f.Line) || fr.Line > int64(max(f.EndLine, f.Line))) {
				continue
			}
			loc.targets = append(loc.targets, f)
		}
	}
	return loc
}

// isSelfFrame reports whether a frame runs this package's own code (its
// tests are user code).
func isSelfFrame(function, file string) bool {
	if strings.HasSuffix(file, "_test.go") {
		return false
	}
	for _, p := range selfPackages {
		if strings.HasPrefix(function, p) && strings.HasPrefix(function[len(p):], ".") {
			return true
		}
	}
	return false
}

// Reading the heap profile takes two reads of the runtime's list of
// profile records:
//
//   - runtime/pprof's protocol buffer encoding gives every record's whole
//     stack (runtime.MemProfileRecord keeps 32 frames), symbolised once per
//     code location. It leaves out the runtime frames at the top of a
//     stack, above the first frame of the program.
//   - runtime.MemProfile, read right after it, gives the first 32 frames of
//     the same records, runtime frames included. Both walk the runtime's
//     list of records from its head, and the runtime only ever adds records
//     at the head, so the encoding's records are the last ones of
//     runtime.MemProfile, in the same order; the first frame each keeps is
//     checked to be sure.

func readHeapProfile() (*heapprof.Profile, error) {
	var buf bytes.Buffer
	allocMode.mu.Lock()
	err := pprof.Lookup("heap").WriteTo(&buf, 0)
	var recs []runtime.MemProfileRecord
	if err == nil {
		recs = memProfileRecords()
	}
	allocMode.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("hotpath: read heap profile: %w", err)
	}
	zr, err := gzip.NewReader(&buf)
	if err != nil {
		return nil, fmt.Errorf("hotpath: read heap profile: %w", err)
	}
	// Profiles compress about fourfold; one buffer of the right size saves
	// the allocations of growing one.
	var raw bytes.Buffer
	raw.Grow(4 * buf.Len())
	if _, err := io.Copy(&raw, zr); err != nil {
		return nil, fmt.Errorf("hotpath: read heap profile: %w", err)
	}
	p, err := heapprof.Decode(raw.Bytes())
	if err != nil {
		return nil, fmt.Errorf("hotpath: decode heap profile: %w", err)
	}
	if err := dropRuntimeOwn(p, recs); err != nil {
		return nil, fmt.Errorf("hotpath: read heap profile: %w", err)
	}
	return p, nil
}

func memProfileRecords() []runtime.MemProfileRecord {
	n, _ := runtime.MemProfile(nil, true)
	for {
		// Room for the records added meanwhile.
		recs := make([]runtime.MemProfileRecord, n+64)
		var ok bool
		if n, ok = runtime.MemProfile(recs, true); ok {
			return recs[:n]
		}
	}
}

// dropRuntimeOwn removes the samples of allocations the runtime made for
// itself on a goroutine's stack (see the notes at the top of this file),
// found by the runtime frames at the top of their stacks: the encoding
// leaves those out, the matching records of runtime.MemProfile keep them.
// The samples go in every read, the baseline's too, so that a stack's
// difference compares like with like.
func dropRuntimeOwn(p *heapprof.Profile, recs []runtime.MemProfileRecord) error {
	off := len(recs) - len(p.Samples)
	if off < 0 {
		return fmt.Errorf("%d records in the encoded profile but %d read after it", len(p.Samples), len(recs))
	}
	c := pcClassifier{}
	kept := p.Samples[:0]
	for i := range p.Samples {
		s := &p.Samples[i]
		stk := recs[off+i].Stack()
		if want, ok := c.firstKept(stk); ok && s.Leaf != 0 && s.Leaf != uint64(want-1) {
			return fmt.Errorf("records do not line up: sample %d starts at %#x, record at %#x", i, s.Leaf, want)
		}
		if !c.runtimeOwn(stk) {
			kept = append(kept, *s)
		}
	}
	p.Samples = kept
	return nil
}

// pcClassifier answers questions about the PCs of profile stacks, caching
// the answer per PC.
type pcClassifier map[uintptr]pcClass

type pcClass struct {
	// hidden: runtime/pprof leaves the frame out at the top of a stack.
	hidden bool
	// runtime: the logical frame is the runtime's; malloc: it is the
	// allocator's entry point; sudog: it allocates a wait record.
	runtime, malloc, sudog bool
}

func (c pcClassifier) class(pc uintptr) pcClass {
	if k, ok := c[pc]; ok {
		return k
	}
	var k pcClass
	// runtime/pprof decides by runtime.FuncForPC, so do the same here.
	if f := runtime.FuncForPC(pc); f != nil {
		k.hidden = isRuntimeFunc(f.Name())
	}
	// A PC of a profile stack is one logical frame, inlined or not (the
	// runtime records a PC per inlined frame), which CallersFrames names.
	fr, _ := runtime.CallersFrames([]uintptr{pc}).Next()
	k.runtime = isRuntimeFunc(fr.Function)
	k.malloc = fr.Function == "runtime.mallocgc"
	k.sudog = fr.Function == "runtime.acquireSudog"
	c[pc] = k
	return k
}

func isRuntimeFunc(name string) bool {
	return strings.HasPrefix(name, "runtime.") || strings.HasPrefix(name, "internal/runtime/")
}

// firstKept returns the first PC of stk that runtime/pprof keeps, and
// false when stk does not show it.
func (c pcClassifier) firstKept(stk []uintptr) (uintptr, bool) {
	for _, pc := range stk {
		if !c.class(pc).hidden {
			return pc, true
		}
	}
	// runtime/pprof keeps a stack of runtime frames only whole, but a
	// stack cut at runtime.MemProfile's limit may go on past the cut.
	if len(stk) == 0 || len(stk) == len(runtime.MemProfileRecord{}.Stack0) {
		return 0, false
	}
	return stk[0], true
}

// runtimeOwn reports whether the runtime frames at the top of stk show an
// allocation the runtime made for itself: one inside another allocation,
// or a wait record.
func (c pcClassifier) runtimeOwn(stk []uintptr) bool {
	mallocs := 0
	for _, pc := range stk {
		k := c.class(pc)
		if !k.runtime {
			return false
		}
		if k.sudog {
			return true
		}
		if k.malloc {
			if mallocs++; mallocs > 1 {
				return true
			}
		}
	}
	return false
}

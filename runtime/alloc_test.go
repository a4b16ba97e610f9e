package hotpath_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	hotpath "github.com/hotpath-go/hotpath/runtime"
	"github.com/hotpath-go/hotpath/runtime/hotpathimpl"
)

// The functions below are written as hotpathgen writes measured code: a
// package-level Func per target and a deferred Begin/End (or a Span for a
// block). Symbols are the runtime names of the functions, which
// TestAllocSymbols checks against the runtime.

const testPkg = "github.com/hotpath-go/hotpath/runtime_test"

var (
	fnOuter   = hotpathimpl.Func{Name: "alloctest.outer", Symbol: testPkg + ".allocOuter", File: "alloc_test.go"}
	fnInner   = hotpathimpl.Func{Name: "alloctest.inner", Symbol: testPkg + ".allocInner", File: "alloc_test.go"}
	fnRec     = hotpathimpl.Func{Name: "alloctest.rec", Symbol: testPkg + ".allocRec", File: "alloc_test.go"}
	fnRecTop  = hotpathimpl.Func{Name: "alloctest.recTop", Symbol: testPkg + ".allocRecTop", File: "alloc_test.go"}
	fnStarter = hotpathimpl.Func{Name: "alloctest.starter", Symbol: testPkg + ".allocStarter", File: "alloc_test.go"}
	fnSpawned = hotpathimpl.Func{Name: "alloctest.spawned", Symbol: testPkg + ".allocSpawned", File: "alloc_test.go"}
	fnFresh   = hotpathimpl.Func{Name: "alloctest.fresh", Symbol: testPkg + ".allocFresh", File: "alloc_test.go"}
	fnSizes   = hotpathimpl.Func{Name: "alloctest.sizes", Symbol: testPkg + ".allocSizes", File: "alloc_test.go"}
	fnNone    = hotpathimpl.Func{Name: "alloctest.none", Symbol: testPkg + ".allocNone", File: "alloc_test.go"}
	fnBlocker = hotpathimpl.Func{Name: "alloctest.blocker", Symbol: testPkg + ".allocBlocker", File: "alloc_test.go"}

	// The block's lines are those the //line directives in allocWithBlock
	// give it, as in a twin.
	fnWithBlock = hotpathimpl.Func{Name: "alloctest.withBlock", Symbol: testPkg + ".allocWithBlock", File: "alloc_test.go"}
	blkFill     = hotpathimpl.Func{Name: "fill", Kind: hotpathimpl.KindBlock, Parent: testPkg + ".allocWithBlock",
		Symbol: testPkg + ".allocWithBlock", File: "alloc_block.go", Line: 103, EndLine: 111}
)

// Allocation sizes that are Go size classes, so that the heap counts
// exactly the bytes asked for.
const (
	outerSize   = 1024
	innerSize   = 4096
	recSize     = 2048
	spawnedSize = 8192
)

// sink keeps allocations reachable from a global, so they escape to the
// heap. Storing the first element's address stores no slice header.
var sink atomic.Pointer[byte]

func keep(b []byte) { sink.Store(&b[0]) }

// allocN allocates n objects of size bytes (size is not a constant, so
// make cannot use the stack).
func allocN(n, size int) {
	for range n {
		keep(make([]byte, size))
	}
}

func allocOuter(n int) {
	defer fnOuter.Begin().End()
	allocN(n, outerSize)
	allocInner(n)
}

func allocInner(n int) {
	defer fnInner.Begin().End()
	allocN(n, innerSize)
}

// allocRec allocates once at every level of a recursion depth+1 deep.
func allocRec(depth int) {
	defer fnRec.Begin().End()
	allocN(1, recSize)
	if depth > 0 {
		allocRec(depth - 1)
	}
}

func allocRecTop(depth int) {
	defer fnRecTop.Begin().End()
	allocRec(depth)
}

var spawnWG sync.WaitGroup

// allocStarter starts two goroutines with no arguments (so that the go
// statements allocate no closures) and allocates n KiB itself.
func allocStarter(n int) {
	defer fnStarter.Begin().End()
	spawnWG.Add(2)
	go allocSpawned()
	go allocSpawnedUnmeasured()
	allocN(n, outerSize)
}

const spawnedN = 3

func allocSpawned() {
	defer spawnWG.Done()
	defer fnSpawned.Begin().End()
	allocN(spawnedN, spawnedSize)
}

func allocSpawnedUnmeasured() {
	defer spawnWG.Done()
	allocN(spawnedN, spawnedSize)
}

func allocFresh(n int) {
	defer fnFresh.Begin().End()
	allocN(n, outerSize)
}

func allocNone() int {
	defer fnNone.Begin().End()
	return 42
}

var (
	blockerGate    chan struct{}
	blockerEntered sync.WaitGroup
	blockerDone    sync.WaitGroup
)

// allocBlocker allocates nothing itself; it blocks on a channel, for
// which the runtime needs a wait record.
func allocBlocker() {
	defer blockerDone.Done()
	defer fnBlocker.Begin().End()
	blockerEntered.Done()
	<-blockerGate
}

var (
	ptrSink   atomic.Pointer[[100]*int]
	largeSize = 40000
	smallSize = 1000
)

// allocSizes makes one small object off its size class, one pointer array
// with a malloc header and one large object.
func allocSizes() {
	defer fnSizes.Begin().End()
	keep(make([]byte, smallSize))
	ptrSink.Store(new([100]*int))
	keep(make([]byte, largeSize))
}

// noise allocates in unmeasured code until stop closes.
func noise(stop <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		allocN(4, 512<<(i%4))
	}
}

// startNoise starts n noise goroutines and returns the function that stops
// them.
func startNoise(n int) (stop func()) {
	ch := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(n)
	for range n {
		go noise(ch, &wg)
	}
	return func() {
		close(ch)
		wg.Wait()
	}
}

func startAllocGuard(t *testing.T) *hotpath.Guard {
	t.Helper()
	return hotpath.Start(hotpath.Options{Name: t.Name(), Alloc: true, Format: hotpath.FormatNone})
}

func stopGuard(t *testing.T, g *hotpath.Guard) *hotpath.Report {
	t.Helper()
	if err := g.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	rep := g.Report()
	if !rep.Alloc || rep.AllocTotals == nil {
		t.Fatalf("report not in alloc mode: Alloc=%v AllocTotals=%v", rep.Alloc, rep.AllocTotals)
	}
	return rep
}

type allocWant struct {
	calls                  uint64
	bytes, objects         int64
	selfBytes, selfObjects int64
}

func checkRow(t *testing.T, rep *hotpath.Report, name string, want allocWant) *hotpath.FuncRow {
	t.Helper()
	row := rep.Func(name)
	if row == nil {
		t.Errorf("%s: no row", name)
		return nil
	}
	got := allocWant{row.Calls, row.AllocBytes, row.AllocObjects, row.SelfAllocBytes, row.SelfAllocObjects}
	if got != want {
		t.Errorf("%s: got %+v, want %+v", name, got, want)
	}
	return row
}

func TestAllocSymbols(t *testing.T) {
	for _, c := range []struct {
		f  *hotpathimpl.Func
		fn any
	}{
		{&fnOuter, allocOuter}, {&fnInner, allocInner}, {&fnRec, allocRec}, {&fnRecTop, allocRecTop},
		{&fnStarter, allocStarter}, {&fnSpawned, allocSpawned}, {&fnFresh, allocFresh},
		{&fnSizes, allocSizes}, {&fnNone, allocNone}, {&fnBlocker, allocBlocker}, {&fnWithBlock, allocWithBlock}, {&blkFill, allocWithBlock},
	} {
		if got := runtime.FuncForPC(reflect.ValueOf(c.fn).Pointer()).Name(); got != c.f.Symbol {
			t.Errorf("%s: Symbol %q, runtime name %q", c.f.Name, c.f.Symbol, got)
		}
	}
}

// TestAllocExactConcurrent runs nested measured functions on several
// goroutines while unmeasured goroutines allocate: every byte and object
// is accounted for exactly.
func TestAllocExactConcurrent(t *testing.T) {
	defer goleak.VerifyNone(t)
	const workers, calls, n = 8, 40, 3

	stopNoise := startNoise(4)
	g := startAllocGuard(t)
	var wg sync.WaitGroup
	wg.Add(workers)
	for range workers {
		go func() {
			defer wg.Done()
			for range calls {
				allocOuter(n)
			}
		}()
	}
	wg.Wait()
	rep := stopGuard(t, g)
	stopNoise()

	const total = workers * calls * n
	outer := checkRow(t, rep, fnOuter.Name, allocWant{
		calls: workers * calls,
		bytes: total * (outerSize + innerSize), objects: 2 * total,
		selfBytes: total * outerSize, selfObjects: total,
	})
	inner := checkRow(t, rep, fnInner.Name, allocWant{
		calls: workers * calls,
		bytes: total * innerSize, objects: total,
		selfBytes: total * innerSize, selfObjects: total,
	})
	if outer != nil && inner != nil && outer.AllocBytes != outer.SelfAllocBytes+inner.AllocBytes {
		t.Errorf("outer inclusive %d != outer self %d + inner inclusive %d", outer.AllocBytes, outer.SelfAllocBytes, inner.AllocBytes)
	}
	tot := rep.AllocTotals
	if tot.AttributedBytes != total*(outerSize+innerSize) || tot.AttributedObjects != 2*total {
		t.Errorf("attributed %d bytes in %d objects, want %d in %d", tot.AttributedBytes, tot.AttributedObjects, total*(outerSize+innerSize), 2*total)
	}
	// The noise ran all along: the window saw more than the measured code.
	if tot.Bytes <= tot.AttributedBytes {
		t.Errorf("heap total %d bytes not above the attributed %d: noise not seen", tot.Bytes, tot.AttributedBytes)
	}
}

// TestAllocRecursion checks that a recursive function counts each
// allocation once, however many of its frames are on the stack, also
// deeper than the 32 frames runtime.MemProfile keeps.
func TestAllocRecursion(t *testing.T) {
	for _, depth := range []int{0, 5, 60} {
		g := startAllocGuard(t)
		allocRecTop(depth)
		rep := stopGuard(t, g)
		levels := int64(depth + 1)
		checkRow(t, rep, fnRec.Name, allocWant{
			calls: uint64(levels),
			bytes: levels * recSize, objects: levels,
			selfBytes: levels * recSize, selfObjects: levels,
		})
		checkRow(t, rep, fnRecTop.Name, allocWant{calls: 1, bytes: levels * recSize, objects: levels})
	}
}

// TestAllocBeyondProfStackDepth shows what the documentation says of
// stacks deeper than GODEBUG=profstackdepth (128 frames): the outer frames
// are lost, so the outer measured function misses the deepest
// allocations, while the recursive function, always near the allocation,
// sees them all.
func TestAllocBeyondProfStackDepth(t *testing.T) {
	const depth = 300
	g := startAllocGuard(t)
	allocRecTop(depth)
	rep := stopGuard(t, g)
	checkRow(t, rep, fnRec.Name, allocWant{
		calls: depth + 1,
		bytes: (depth + 1) * recSize, objects: depth + 1,
		selfBytes: (depth + 1) * recSize, selfObjects: depth + 1,
	})
	top := rep.Func(fnRecTop.Name)
	if top == nil {
		t.Fatal("no recTop row")
	}
	if top.AllocObjects == 0 || top.AllocObjects >= depth+1 {
		t.Errorf("recTop saw %d of %d allocations; want some but not those deeper than the stack depth limit", top.AllocObjects, depth+1)
	}
}

// TestAllocGoroutines checks that what a goroutine allocates belongs to
// the function it runs, not to the function that started it.
func TestAllocGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t)
	const n = 5
	g := startAllocGuard(t)
	allocStarter(n)
	spawnWG.Wait()
	rep := stopGuard(t, g)
	checkRow(t, rep, fnStarter.Name, allocWant{
		calls: 1, bytes: n * outerSize, objects: n, selfBytes: n * outerSize, selfObjects: n,
	})
	checkRow(t, rep, fnSpawned.Name, allocWant{
		calls: 1, bytes: spawnedN * spawnedSize, objects: spawnedN, selfBytes: spawnedN * spawnedSize, selfObjects: spawnedN,
	})
	// The unmeasured goroutine's allocations are in the window, but no
	// measured function's.
	tot := rep.AllocTotals
	if want := int64(n*outerSize + spawnedN*spawnedSize); tot.AttributedBytes != want {
		t.Errorf("attributed %d bytes, want %d", tot.AttributedBytes, want)
	}
	if tot.Bytes < tot.AttributedBytes+spawnedN*spawnedSize {
		t.Errorf("heap total %d bytes misses the unmeasured goroutine's %d", tot.Bytes, spawnedN*spawnedSize)
	}
}

// TestAllocExcludesProfiler checks that a first call, which registers the
// Func and allocates its shards and histogram inside Begin and End, shows
// only the function's own allocations, and that a measured function that
// allocates nothing shows nothing.
func TestAllocExcludesProfiler(t *testing.T) {
	g := startAllocGuard(t)
	allocFresh(2)
	allocNone()
	rep := stopGuard(t, g)
	checkRow(t, rep, fnFresh.Name, allocWant{calls: 1, bytes: 2 * outerSize, objects: 2, selfBytes: 2 * outerSize, selfObjects: 2})
	checkRow(t, rep, fnNone.Name, allocWant{calls: 1})
}

// TestAllocLeavesOutRuntimeWaitRecords blocks many goroutines inside a
// measured function that allocates nothing. Start's GC empties the
// runtime's central cache of wait records, so the runtime allocates them
// on those goroutines' stacks; the report leaves them out.
func TestAllocLeavesOutRuntimeWaitRecords(t *testing.T) {
	defer goleak.VerifyNone(t)
	const n = 500
	g := startAllocGuard(t)
	blockerGate = make(chan struct{})
	blockerEntered.Add(n)
	blockerDone.Add(n)
	for range n {
		go allocBlocker()
	}
	blockerEntered.Wait()
	close(blockerGate)
	blockerDone.Wait()
	rep := stopGuard(t, g)
	checkRow(t, rep, fnBlocker.Name, allocWant{calls: n})

	// The runtime did allocate wait records in allocBlocker's frames.
	recs := make([]runtime.MemProfileRecord, 1<<16)
	nrec, ok := runtime.MemProfile(recs, true)
	if !ok {
		t.Fatal("runtime.MemProfile: more than 65536 records")
	}
	var sudogs int64
	for _, r := range recs[:nrec] {
		var sudog, blocker bool
		frames := runtime.CallersFrames(r.Stack())
		for {
			f, more := frames.Next()
			sudog = sudog || f.Function == "runtime.acquireSudog"
			blocker = blocker || f.Function == fnBlocker.Symbol
			if !more {
				break
			}
		}
		if sudog && blocker {
			sudogs += r.AllocObjects
		}
	}
	if sudogs == 0 {
		t.Errorf("the runtime allocated no wait records in allocBlocker: the test shows nothing")
	}
}

// TestAllocBytesAreSizeClasses pins what a byte is: the size class, with
// the malloc header of larger pointerful objects, and whole pages for large
// objects.
func TestAllocBytesAreSizeClasses(t *testing.T) {
	g := startAllocGuard(t)
	allocSizes()
	rep := stopGuard(t, g)
	const want = 1024 + 896 + 40960 // 1000 B, [100]*int (800 B + 8 B header), 40000 B
	checkRow(t, rep, fnSizes.Name, allocWant{calls: 1, bytes: want, objects: 3, selfBytes: want, selfObjects: 3})
}

// TestAllocBlock checks that a block gets the allocations made on its
// lines, callees included, and its function those made on the others.
func TestAllocBlock(t *testing.T) {
	defer goleak.VerifyNone(t)
	// The twin's frames report the original file and lines.
	if file, line := allocWithBlock(0, true); file != "alloc_block.go" || line != 105 {
		t.Fatalf("block probe at %s:%d, want alloc_block.go:105", file, line)
	}
	const workers, calls, n = 4, 25, 2
	stopNoise := startNoise(2)
	g := startAllocGuard(t)
	var wg sync.WaitGroup
	wg.Add(workers)
	for range workers {
		go func() {
			defer wg.Done()
			for range calls {
				allocWithBlock(n, false)
			}
		}()
	}
	wg.Wait()
	rep := stopGuard(t, g)
	stopNoise()

	const k = workers * calls
	// Per call: 1 KiB × n before the block, 2 KiB × n in it plus inner
	// (4 KiB × n), 512 B × n after it.
	fn := checkRow(t, rep, fnWithBlock.Name, allocWant{
		calls: k,
		bytes: k * n * (1024 + 2048 + innerSize + 512), objects: k * n * 4,
		selfBytes: k * n * (1024 + 512), selfObjects: k * n * 2,
	})
	blk := checkRow(t, rep, blkFill.Name, allocWant{
		calls: k,
		bytes: k * n * (2048 + innerSize), objects: k * n * 2,
		selfBytes: k * n * 2048, selfObjects: k * n,
	})
	checkRow(t, rep, fnInner.Name, allocWant{
		calls: k * n, bytes: k * n * innerSize, objects: k * n, selfBytes: k * n * innerSize, selfObjects: k * n,
	})
	if fn != nil && blk != nil && fn.AllocBytes != fn.SelfAllocBytes+blk.AllocBytes {
		t.Errorf("function inclusive %d != self %d + block inclusive %d", fn.AllocBytes, fn.SelfAllocBytes, blk.AllocBytes)
	}
}

// TestAllocRate checks that the profiling rate is 1 while any alloc-mode
// guard is alive and comes back when the last one stops.
func TestAllocRate(t *testing.T) {
	prev := runtime.MemProfileRate
	g1 := startAllocGuard(t)
	g2 := startAllocGuard(t)
	if runtime.MemProfileRate != 1 {
		t.Fatalf("MemProfileRate %d with two alloc guards, want 1", runtime.MemProfileRate)
	}
	stopGuard(t, g1)
	if runtime.MemProfileRate != 1 {
		t.Fatalf("MemProfileRate %d after the first of two guards stopped, want 1", runtime.MemProfileRate)
	}
	stopGuard(t, g2)
	if runtime.MemProfileRate != prev {
		t.Fatalf("MemProfileRate %d after the last guard stopped, want %d", runtime.MemProfileRate, prev)
	}
}

// TestAllocOverlappingGuards checks that two alloc-mode guards each report
// their own window.
func TestAllocOverlappingGuards(t *testing.T) {
	g1 := startAllocGuard(t)
	allocInner(1)
	g2 := startAllocGuard(t)
	allocInner(2)
	rep2 := stopGuard(t, g2)
	allocInner(4)
	rep1 := stopGuard(t, g1)
	checkRow(t, rep1, fnInner.Name, allocWant{calls: 3, bytes: 7 * innerSize, objects: 7, selfBytes: 7 * innerSize, selfObjects: 7})
	checkRow(t, rep2, fnInner.Name, allocWant{calls: 1, bytes: 2 * innerSize, objects: 2, selfBytes: 2 * innerSize, selfObjects: 2})
}

// TestAllocEnv checks HOTPATH_ALLOC and that Snapshot reads allocations
// while the guard runs.
func TestAllocEnv(t *testing.T) {
	t.Setenv("HOTPATH_ALLOC", "1")
	g := hotpath.Start(hotpath.Options{Format: hotpath.FormatNone})
	allocInner(1)
	snap := g.Snapshot()
	allocInner(1)
	rep := stopGuard(t, g)
	checkRow(t, snap, fnInner.Name, allocWant{calls: 1, bytes: innerSize, objects: 1, selfBytes: innerSize, selfObjects: 1})
	checkRow(t, rep, fnInner.Name, allocWant{calls: 2, bytes: 2 * innerSize, objects: 2, selfBytes: 2 * innerSize, selfObjects: 2})
	if after := g.Snapshot(); after != rep {
		t.Errorf("Snapshot after Stop is not the stopped report")
	}
}

// TestAllocReportOutput checks the JSON fields and the table section.
func TestAllocReportOutput(t *testing.T) {
	g := startAllocGuard(t)
	allocOuter(1)
	rep := stopGuard(t, g)

	var js bytes.Buffer
	if err := rep.Write(&js, hotpath.FormatJSON); err != nil {
		t.Fatal(err)
	}
	var decoded struct {
		AllocTotals map[string]int64             `json:"alloc_totals"`
		Functions   []map[string]json.RawMessage `json:"functions"`
	}
	if err := json.Unmarshal(js.Bytes(), &decoded); err != nil {
		t.Fatal(err)
	}
	if decoded.AllocTotals["attributed_bytes"] != outerSize+innerSize {
		t.Errorf("alloc_totals = %v", decoded.AllocTotals)
	}
	for _, row := range decoded.Functions {
		if string(row["name"]) != `"`+fnOuter.Name+`"` {
			continue
		}
		want := map[string]string{"alloc_bytes": "5120", "alloc_objects": "2", "self_alloc_bytes": "1024", "self_alloc_objects": "1"}
		for k, v := range want {
			if string(row[k]) != v {
				t.Errorf("JSON %s = %s, want %s", k, row[k], v)
			}
		}
	}
	back, err := hotpath.ReadReport(&js)
	if err != nil {
		t.Fatal(err)
	}
	if row := back.Func(fnOuter.Name); row == nil || row.AllocBytes != outerSize+innerSize || row.SelfAllocBytes != outerSize {
		t.Errorf("read back row %+v", row)
	}

	var tab bytes.Buffer
	if err := rep.Write(&tab, hotpath.FormatTable); err != nil {
		t.Fatal(err)
	}
	out := tab.String()
	if !strings.Contains(out, "alloc mode on: timings include the cost") {
		t.Errorf("timing title does not note alloc mode:\n%s", out)
	}
	_, section, ok := strings.Cut(out, "[hotpath] alloc - Allocation summary from "+t.Name())
	if !ok {
		t.Fatalf("no allocation section:\n%s", out)
	}
	var rows [][]string
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(line, "| ") {
			var cells []string
			for _, c := range strings.Split(strings.Trim(line, "|"), "|") {
				cells = append(cells, strings.TrimSpace(c))
			}
			rows = append(rows, cells)
		}
	}
	want := [][]string{
		{"Function", "Calls", "Bytes", "Objects", "Avg/call", "Self bytes", "Self objects", "% Total"},
		{"alloctest.outer", "1", "5.00 KiB", "2", "5.00 KiB", "1.00 KiB", "1", "100.00%"},
		{"alloctest.inner", "1", "4.00 KiB", "1", "4.00 KiB", "4.00 KiB", "1", "80.00%"},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("allocation section (-want +got):\n%s\n%s", diff, out)
	}
}

// TestTimingModeHasNoAllocNumbers checks that a timing report leaves the
// allocation numbers zero and has no totals.
func TestTimingModeHasNoAllocNumbers(t *testing.T) {
	t.Setenv("HOTPATH_ALLOC", "")
	g := hotpath.Start(hotpath.Options{Name: t.Name(), Format: hotpath.FormatNone})
	allocInner(1)
	if err := g.Stop(); err != nil {
		t.Fatal(err)
	}
	rep := g.Report()
	if rep.Alloc || rep.AllocTotals != nil {
		t.Errorf("timing report has Alloc=%v AllocTotals=%v", rep.Alloc, rep.AllocTotals)
	}
	checkRow(t, rep, fnInner.Name, allocWant{calls: 1})
	var tab bytes.Buffer
	if err := rep.Write(&tab, hotpath.FormatTable); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(tab.String(), "[hotpath] alloc") {
		t.Errorf("timing table has an allocation section:\n%s", tab.String())
	}
}

// where returns the file and line of its caller.
func where() (string, int) {
	_, file, line, _ := runtime.Caller(1)
	return file, line
}

// allocWithBlock is what hotpathgen makes of this function of
// alloc_block.go:
//
//	100 func allocWithBlock(n int, probe bool) (file string, line int) {
//	101 	allocN(n, 1024)
//	102 	//hotpath:block fill
//	103 	{
//	104 		if probe {
//	105 			file, line = where()
//	106 		}
//	107 		for range n {
//	108 			keep(make([]byte, 2048))
//	109 			allocInner(1)
//	110 		}
//	111 	}
//	112 	allocN(n, 512)
//	113 	return file, line
//	114 }
//
// The //line directives give its frames the original file and lines, and
// stay in force to the end of this file: keep it last.
func allocWithBlock(n int, probe bool) (file string, line int) {
//line <generated>:1
	var _hotpath_span_0 hotpathimpl.Span
	defer _hotpath_span_0.Close()
	defer fnWithBlock.Begin().End()
//line alloc_block.go:101:1
	allocN(n, 1024)
//line <generated>:1
	_hotpath_span_0 = blkFill.Begin()
//line alloc_block.go:103:1
	{
		if probe {
			file, line = where()
		}
		for range n {
			keep(make([]byte, 2048))
			allocInner(1)
		}
	}
//line <generated>:1
	_hotpath_span_0.Close()
//line alloc_block.go:112:1
	allocN(n, 512)
	return file, line
}

package hotpath

import (
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// ChanSite is one //hotpath:channel make site. Generated code declares one
// package-level ChanSite per site, as a composite literal, and wraps the
// make expression in [Track]:
//
//	var _hotpath_ch_3 = hotpath.ChanSite{Label: "worker_data", Type: "chan Fetch[C]", Site: "example.com/w/async.go:42"}
//
//	data := hotpath.Track(&_hotpath_ch_3, make(chan Fetch[C], 8))
//
// Every channel made at the site counts into the site's one report row, so
// a site that makes a channel per request costs the memory of one row,
// however many channels it makes. A ChanSite must not be copied after
// first use.
type ChanSite struct {
	// Label names the row: label=NAME from the directive, or file.go:line.
	Label string
	// Type is the channel type as written in the source, e.g. "chan int".
	Type string
	// Site is the make call's position: import path, file and line.
	Site string

	state atomic.Pointer[chanState]
}

// chanState is the mutable part of a ChanSite, allocated when the site
// makes its first channel.
type chanState struct {
	site   *ChanSite
	shift  uint // 64 - log2(len(shards))
	shards []chanShard
	// minCap and maxCap are the smallest and largest capacity made at the
	// site; -1 until the first channel.
	minCap, maxCap atomic.Int64
	// blockMu guards send and recv, the operations of each direction that
	// had to wait: they have just waited for another goroutine, so a lock
	// costs nothing in comparison, and one histogram per direction for the
	// site, rather than per shard, keeps the site's memory small.
	blockMu    sync.Mutex
	send, recv durations
}

// The two kinds of message operation, as indexes of chanCounts.depth.
const (
	kindSend = iota
	kindRecv
)

// chanCounts are a shard's counts. A send or a receive adds to one counter
// (and reads maxDepth): depth[kind][b] counts the operations of a kind by
// the queue depth right after them, so summing over b gives the number
// sent or received.
type chanCounts struct {
	depth           [2][depthBuckets]uint64
	maxDepth        uint64
	created, closed uint64
}

// chanShardData is one shard of a site's numbers. Every field of
// chanCounts is accessed atomically.
type chanShardData struct {
	chanCounts
}

type chanShard struct {
	chanShardData
	// Pad to a multiple of the cache line, which keeps shards apart and the
	// uint64 counters of every shard 8-byte aligned for 32-bit atomics.
	_ [128 - unsafe.Sizeof(chanShardData{})%128]byte
}

// Shards per site: several per P, so that goroutines running at the same
// time rarely share one (see shard), up to a bound on the memory of a site
// on very large machines. A shard takes 3 KiB (its depth histograms), so a
// site takes 24 KiB with GOMAXPROCS=2 and at most 192 KiB.
const (
	chanShardsPerP = 4
	maxChanShards  = 64
)

// shard returns the shard for the calling goroutine, given an address in
// its stack.
//
// Func picks a shard by the P it runs on, which takes two calls into the
// runtime (procPin, procUnpin): about 2.3 ns, a third of what a counted
// channel operation may cost. Goroutine stacks are disjoint, so the stack
// address separates goroutines for free. Two goroutines that share a
// shard stay exact (every update is atomic); they only contend for its
// cache lines.
func (st *chanState) shard(sp uintptr) *chanShard {
	return &st.shards[uint64(sp>>11)*0x9E3779B97F4A7C15>>(st.shift&63)]
}

// Depth buckets: exact below depthExact, then depthSub buckets per power of
// two (1/8 relative precision) up to 2^depthTopBits; deeper queues share the
// last bucket (the exact maximum is kept apart).
const (
	depthExactBits = 5
	depthExact     = 1 << depthExactBits
	depthSubBits   = 3
	depthSub       = 1 << depthSubBits
	depthTopBits   = 24
	depthBuckets   = depthExact + (depthTopBits-depthExactBits)*depthSub
)

// depthBucket returns the histogram bucket of a queue depth.
func depthBucket(d uint64) int {
	if d < depthExact {
		return int(d)
	}
	k := bits.Len64(d) - 1 // d is in [2^k, 2^(k+1))
	if k >= depthTopBits {
		return depthBuckets - 1
	}
	sub := int(d>>(k-depthSubBits)) & (depthSub - 1)
	return depthExact + (k-depthExactBits)*depthSub + sub
}

// depthBucketHigh returns the largest depth that falls in bucket i.
func depthBucketHigh(i int) uint64 {
	if i < depthExact {
		return uint64(i)
	}
	k := depthExactBits + (i-depthExact)/depthSub
	sub := uint64((i - depthExact) % depthSub)
	width := uint64(1) << (k - depthSubBits)
	return (depthSub+sub)*width + width - 1
}

// load returns the site's state, registering the site on first use.
func (s *ChanSite) load() *chanState {
	if st := s.state.Load(); st != nil {
		return st
	}
	return s.register()
}

func (s *ChanSite) register() *chanState {
	n, shift := 1, uint(64)
	for n < min(chanShardsPerP*runtime.GOMAXPROCS(0), maxChanShards) {
		n <<= 1
		shift--
	}
	st := &chanState{site: s, shift: shift, shards: make([]chanShard, n)}
	st.minCap.Store(-1)
	st.maxCap.Store(-1)
	if !s.state.CompareAndSwap(nil, st) {
		return s.state.Load()
	}
	chanSites.add(s)
	return st
}

// noteCap widens the site's capacity range to include c.
func (st *chanState) noteCap(c int64) {
	for {
		m := st.minCap.Load()
		if (m >= 0 && m <= c) || st.minCap.CompareAndSwap(m, c) {
			break
		}
	}
	for {
		m := st.maxCap.Load()
		if m >= c || st.maxCap.CompareAndSwap(m, c) {
			break
		}
	}
}

// count records one completed send or receive (kind) and the queue depth
// after it. It never allocates and never blocks.
func (st *chanState) count(kind int, depth int) {
	var anchor byte
	sh := st.shard(uintptr(unsafe.Pointer(&anchor)))
	d := uint64(depth)
	atomic.AddUint64(&sh.depth[kind&1][depthBucket(d)], 1)
	if d > atomic.LoadUint64(&sh.maxDepth) {
		sh.raiseMaxDepth(d)
	}
}

func (sh *chanShard) raiseMaxDepth(d uint64) {
	for m := atomic.LoadUint64(&sh.maxDepth); d > m; m = atomic.LoadUint64(&sh.maxDepth) {
		if atomic.CompareAndSwapUint64(&sh.maxDepth, m, d) {
			return
		}
	}
}

// created counts a channel made at the site.
func (st *chanState) created() {
	var anchor byte
	atomic.AddUint64(&st.shard(uintptr(unsafe.Pointer(&anchor))).created, 1)
}

// closed counts a close of one of the site's channels.
func (st *chanState) closed() {
	var anchor byte
	atomic.AddUint64(&st.shard(uintptr(unsafe.Pointer(&anchor))).closed, 1)
}

// blocked records how long a send (send == true) or receive waited.
func (st *chanState) blocked(send bool, d int64) {
	st.blockMu.Lock()
	if send {
		st.send.record(d)
	} else {
		st.recv.record(d)
	}
	st.blockMu.Unlock()
}

// Track registers ch as made at site s and returns it unchanged: same
// value, type, capacity and behaviour. Generated code wraps every make
// under a //hotpath:channel directive in it.
//
// The registry refers to the channel weakly: tracking never keeps a
// channel alive, and its entry goes away when the channel is collected.
func Track[C ~chan E, E any](s *ChanSite, ch C) C {
	if ch == nil {
		return ch
	}
	st := s.load()
	st.noteCap(int64(cap(ch)))
	chanIdx.track(sendPointer((chan<- E)(ch)), st, chanLen[E])
	st.created()
	runtime.KeepAlive(ch)
	return ch
}

// sendPointer and recvPointer return the address of a channel's runtime
// structure: a channel value of any direction is a pointer to it.
func sendPointer[E any](ch chan<- E) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&ch))
}

func recvPointer[E any](ch <-chan E) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&ch))
}

// sendDepth and recvDepth return len(ch) for a tracked channel.
//
// len(ch) is a call to runtime.chanlen, which checks for timer channels
// before it reads the count of buffered elements: 2.5 ns, a third of what
// a counted operation may cost. A tracked channel comes from make, never
// from a timer, and the runtime keeps that count in the first word of its
// channel structure (hchan.qcount), so the depth is one load. qcountOK
// checks that layout at start-up; without it, len is used.
func sendDepth[E any](ch chan<- E) int {
	if qcountOK {
		return int(*(*uint)(sendPointer(ch)))
	}
	return len(ch)
}

func recvDepth[E any](ch <-chan E) int {
	if qcountOK {
		return int(*(*uint)(recvPointer(ch)))
	}
	return len(ch)
}

// qcountOK is true when the first two words of a channel's runtime
// structure are its length and its capacity.
var qcountOK = func() bool {
	if unsafe.Sizeof(uint(0)) != unsafe.Sizeof(uintptr(0)) {
		return false
	}
	ch := make(chan int, 5)
	ch <- 1
	ch <- 2
	words := (*[2]uint)(recvPointer(ch))
	return words[0] == 2 && words[1] == 5
}()

// chanLen returns len of the channel of element type E at p; the registry
// keeps one per tracked channel to sample queue depths for the report.
func chanLen[E any](p unsafe.Pointer) int {
	return len(*(*chan E)(unsafe.Pointer(&p)))
}

// Send performs ch <- v. On a tracked channel it first tries without
// blocking and times only a send that has to wait, then counts it.
// Everything else is the raw operation's: a nil channel blocks forever, a
// closed one panics with the runtime's own error, an unbuffered one waits
// for its receiver.
func Send[E any](ch chan<- E, v E) {
	st := lookupChan(sendPointer(ch))
	if st == nil {
		ch <- v
		return
	}
	select {
	case ch <- v:
		st.count(kindSend, sendDepth(ch))
		return
	default:
	}
	start := nanotime()
	ch <- v
	st.blocked(true, nanotime()-start)
	st.count(kindSend, sendDepth(ch))
}

// Recv performs <-ch, counted as [Recv2] counts it.
func Recv[E any](ch <-chan E) E {
	v, _ := Recv2(ch)
	return v
}

// Recv2 performs v, ok := <-ch, and stands for one iteration of a range
// loop over ch. On a tracked channel it first tries without blocking and
// times only a receive that has to wait. A receive that finds the channel
// closed (ok == false) is not a received message: it is not counted,
// though its wait, if it waited, is.
func Recv2[E any](ch <-chan E) (E, bool) {
	st := lookupChan(recvPointer(ch))
	if st == nil {
		v, ok := <-ch
		return v, ok
	}
	select {
	case v, ok := <-ch:
		if ok {
			st.count(kindRecv, recvDepth(ch))
		}
		return v, ok
	default:
	}
	start := nanotime()
	v, ok := <-ch
	st.blocked(false, nanotime()-start)
	if ok {
		st.count(kindRecv, recvDepth(ch))
	}
	return v, ok
}

// Close performs close(ch) and counts it. Closing a nil or closed channel
// panics with the runtime's own error and is not counted.
func Close[E any](ch chan<- E) {
	close(ch)
	if st := lookupChan(sendPointer(ch)); st != nil {
		st.closed()
	}
}

// Nanotime returns the monotonic clock that measurements use, in
// nanoseconds; it is never 0. Generated select statements take it just
// before they block and pass it to [SelectSent] or [SelectRecv].
//
// Only differences of its values mean anything: in a testing/synctest
// bubble, for one, the clock is the bubble's and may read negative.
func Nanotime() int64 {
	if t := nanotime(); t != 0 {
		return t
	}
	return 1
}

// SelectSent counts the send case of a select that fired. Generated code
// runs the select without blocking first (a default case), and only if no
// case is ready takes start := Nanotime() and runs it blocking; start is 0
// when the select did not block.
func SelectSent[E any](ch chan<- E, start int64) {
	st := lookupChan(sendPointer(ch))
	if st == nil {
		return
	}
	if start != 0 {
		st.blocked(true, nanotime()-start)
	}
	st.count(kindSend, sendDepth(ch))
}

// SelectRecv counts the receive case of a select that fired; ok is the
// case's second value and start is as for [SelectSent].
func SelectRecv[E any](ch <-chan E, ok bool, start int64) {
	st := lookupChan(recvPointer(ch))
	if st == nil {
		return
	}
	if start != 0 {
		st.blocked(false, nanotime()-start)
	}
	if ok {
		st.count(kindRecv, recvDepth(ch))
	}
}

// Zero returns the zero value of ch's element type; generated code
// declares temporaries with it.
func Zero[E any](ch <-chan E) E {
	var zero E
	return zero
}

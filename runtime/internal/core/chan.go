package core

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

	state atomic.Pointer[ChanState]
}

// ChanState is the mutable part of a ChanSite, allocated when the site
// makes its first channel.
type ChanState struct {
	site *ChanSite
	// shards[id] belongs to the P with that id, as a Func's shards do (see
	// shard); nil until a goroutine on that P counts an operation.
	shards [maxShards]atomic.Pointer[chanShard]
	// mu guards depth, the depth samples that shards have flushed, as a
	// Func's mu guards its histogram.
	mu       sync.Mutex
	depth    [2][depthBuckets]uint64
	maxDepth atomic.Uint64 // of the operations on Ps beyond maxShards
	// created and closed count channels made and closed at the site: once
	// per channel, so atomics cost nothing that matters.
	created, closed atomic.Uint64
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

// chanCounts are a site's counts at one instant: depth[kind][b] counts the
// operations of a kind by the queue depth right after them, so summing
// over b gives the number sent or received.
type chanCounts struct {
	depth           [2][depthBuckets]uint64
	maxDepth        uint64
	created, closed uint64
}

// chanShard is one P's share of a site's operations, written by the
// goroutine pinned to the P without locked instructions and read with the
// sequence number, as a Func's shard. Each operation buffers its kind and
// depth bucket (kind<<8 | bucket, 16 bits); a full buffer is flushed into
// the site's depth counts.
type chanShard struct {
	seq      uint64
	maxDepth uint64
	n        uint64
	buf      [shardBufWords]uint32
	_        [128 - 24 - 4*shardBufWords]byte
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
func (s *ChanSite) load() *ChanState {
	if st := s.state.Load(); st != nil {
		return st
	}
	return s.register()
}

func (s *ChanSite) register() *ChanState {
	st := &ChanState{site: s}
	st.minCap.Store(-1)
	st.maxCap.Store(-1)
	if !s.state.CompareAndSwap(nil, st) {
		return s.state.Load()
	}
	chanSites.add(s)
	return st
}

// noteCap widens the site's capacity range to include c.
func (st *ChanState) noteCap(c int64) {
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
// after it. It never allocates (but for a P's first operation) and never
// blocks.
func (st *ChanState) count(kind int, depth int) {
	d := uint64(depth)
	e := uint16(kind&1)<<8 | uint16(depthBucket(d))
	id := procPin()
	if uint(id) < maxShards {
		if sh := st.shards[id].Load(); sh != nil {
			n := loadU64(&sh.n)
			if n >= shardBufLen {
				if !st.mu.TryLock() {
					procUnpin()
					st.countContended(kind, d)
					return
				}
				st.flush(sh)
				st.mu.Unlock()
				n = 0
			}
			seq := loadU64(&sh.seq)
			storeU64(&sh.seq, seq+1)
			storeBuf(&sh.buf, n, e)
			storeU64(&sh.n, n+1)
			if d > loadU64(&sh.maxDepth) {
				storeU64(&sh.maxDepth, d)
			}
			storeU64(&sh.seq, seq+2)
			procUnpin()
			return
		}
	}
	procUnpin()
	st.countSlow(id, kind, d)
}

// flush moves the operations buffered in sh, the shard of the P the
// caller is pinned to, into the site's counts. The caller holds st.mu.
//
//go:noinline
func (st *ChanState) flush(sh *chanShard) {
	seq := loadU64(&sh.seq)
	storeU64(&sh.seq, seq+1)
	n := min(loadU64(&sh.n), shardBufLen)
	// A channel in a steady state repeats its depths (a buffered pair
	// that never blocks alternates two), and adding to one counter in
	// memory again and again waits on its own stores: take the buffer
	// four entries at a time and add a run of equal words once.
	var run, reps uint64
	for j := range n / 4 {
		w := loadBuf4(&sh.buf, j)
		if w == run && reps != 0 {
			reps++
			continue
		}
		if reps != 0 {
			st.addEntries(run, reps)
		}
		run, reps = w, 1
	}
	if reps != 0 {
		st.addEntries(run, reps)
	}
	for i := n &^ 3; i < n; i++ {
		e := loadBuf(&sh.buf, i)
		st.depth[e>>8&1][e&0xff]++
	}
	storeU64(&sh.n, 0)
	storeU64(&sh.seq, seq+2)
}

// addEntries adds r to the counts of each of the four entries packed in
// w (see loadBuf4). The caller holds st.mu.
func (st *ChanState) addEntries(w, r uint64) {
	for k := range 4 {
		e := uint16(w >> (16 * k))
		st.depth[e>>8&1][e&0xff] += r
	}
}

// countContended is count when the shard's buffer is full and the site's
// lock is taken: it waits for the lock unpinned (see Func's record).
//
//go:noinline
func (st *ChanState) countContended(kind int, d uint64) {
	st.mu.Lock()
	id := procPin()
	if uint(id) < maxShards {
		if sh := st.shards[id].Load(); sh != nil {
			st.flush(sh)
		}
	}
	procUnpin()
	st.mu.Unlock()
	st.count(kind, int(d))
}

// countSlow is count for a P without a shard yet, or beyond maxShards.
//
//go:noinline
func (st *ChanState) countSlow(id, kind int, d uint64) {
	if uint(id) < maxShards {
		st.shards[id].CompareAndSwap(nil, new(chanShard))
		st.count(kind, int(d))
		return
	}
	st.mu.Lock()
	st.depth[kind&1][depthBucket(d)]++
	st.mu.Unlock()
	for m := st.maxDepth.Load(); d > m && !st.maxDepth.CompareAndSwap(m, d); m = st.maxDepth.Load() {
	}
}

// created counts a channel made at the site.
func (st *ChanState) madeOne() { st.created.Add(1) }

// closedOne counts a close of one of the site's channels.
func (st *ChanState) closedOne() { st.closed.Add(1) }

// blocked records how long a send (send == true) or receive waited.
func (st *ChanState) blocked(send bool, d int64) {
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
	st.madeOne()
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
	send(lookupChan(sendPointer(ch)), ch, v)
}

// send is Send once the channel's site st is known (nil: untracked).
func send[E any](st *ChanState, ch chan<- E, v E) {
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
	sendWait(st, ch, v)
}

// sendWait is a send on a tracked channel that found it full: it waits,
// timed.
//
//go:noinline
func sendWait[E any](st *ChanState, ch chan<- E, v E) {
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
	return recv(lookupChan(recvPointer(ch)), ch)
}

// recv is Recv2 once the channel's site st is known (nil: untracked).
func recv[E any](st *ChanState, ch <-chan E) (E, bool) {
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
	return recvWait(st, ch)
}

// recvWait is a receive on a tracked channel that found it empty: it
// waits, timed.
//
//go:noinline
func recvWait[E any](st *ChanState, ch <-chan E) (E, bool) {
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
		st.closedOne()
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
	if st := lookupChan(sendPointer(ch)); st != nil {
		selectSent(st, ch, start)
	}
}

func selectSent[E any](st *ChanState, ch chan<- E, start int64) {
	if start != 0 {
		st.blocked(true, nanotime()-start)
	}
	st.count(kindSend, sendDepth(ch))
}

// SelectRecv counts the receive case of a select that fired; ok is the
// case's second value and start is as for [SelectSent].
func SelectRecv[E any](ch <-chan E, ok bool, start int64) {
	if st := lookupChan(recvPointer(ch)); st != nil {
		selectRecv(st, ch, ok, start)
	}
}

func selectRecv[E any](st *ChanState, ch <-chan E, ok bool, start int64) {
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

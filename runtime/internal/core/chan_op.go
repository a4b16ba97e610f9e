package core

import (
	"math/rand/v2"
	"sync/atomic"
	"unsafe"
)

// ChanOp is one channel operation written in the source (a send, a
// receive, a range, a select case), as generated code passes it to the
// operations below: the twin declares one package-level ChanOp per
// operation it rewrites,
//
//	var _hotpath_op_async_3 hotpathimpl.ChanOp
//
//	hotpathimpl.SendTo(data).SendAt(&_hotpath_op_async_3, v)
//
// and the ChanOp remembers a channel the operation saw and whether it is
// tracked, so that an operation that keeps using one channel, as most do,
// finds its site without the index's hash probe.
//
// The remembered answer is never wrong. A "tracked" one is the index's
// own entry, checked as the index checks it: alive while its weak handle
// still holds the channel's address, which the sweeper clears before the
// channel's memory can hold another channel. An "untracked" one records
// the index's generation, which every insertion bumps; it holds while no
// channel has been tracked since, so a channel tracked later at that
// address (the old one collected) is found by the lookup that follows.
// Goroutines share a ChanOp: it is an atomic pointer to an immutable
// entry. Its zero value is ready; it must not be copied after first use.
//
// An operation that goroutines run on channels of their own (a worker
// function, say) would, if every miss replaced the entry, write the one
// cache line on every operation from every P; so a miss replaces an entry
// that still holds for another channel only once in replaceOdds misses, at
// random, and otherwise pays the lookup alone. An operation that moves on
// to another channel for good has it remembered a few dozen operations
// later; one that alternates between untracked channels allocates an
// entry once in replaceOdds operations.
type ChanOp struct {
	last atomic.Pointer[chanEntry]
}

// site returns the site of the tracked channel at p, or nil when the
// channel is nil or untracked: lookupChan(p), remembered.
func (op *ChanOp) site(p unsafe.Pointer) *ChanState {
	if st, ok := op.cached(p); ok {
		return st
	}
	return op.miss(p)
}

// cached returns the remembered answer for p, if op has one that holds:
// the site of the tracked channel at p, or nil, and true.
func (op *ChanOp) cached(p unsafe.Pointer) (*ChanState, bool) {
	e := op.last.Load()
	if e == nil || e.key != uintptr(p) {
		return nil, false
	}
	if e.site == nil {
		return nil, e.gen == chanIdx.gen.Load()
	}
	// A remembered site always has its handle (see miss).
	return e.site, e.handle.Load() == e.key
}

// replaceOdds is how many misses on average replace an entry that still
// holds for another channel: a power of two.
const replaceOdds = 64

// miss looks p up in the index and remembers the answer.
//
//go:noinline
func (op *ChanOp) miss(p unsafe.Pointer) *ChanState {
	// The generation is read before the lookup: an insertion that the
	// lookup does not see bumps it after this read, so the entry below
	// is stale at once.
	g := chanIdx.gen.Load()
	e := lookupEntry(p)
	key := uintptr(p)
	if old := op.last.Load(); old != nil && old.key != key && old.holds() && rand.Uint32()&(replaceOdds-1) != 0 {
		return e.siteOrNil()
	}
	switch {
	case e == nil:
		op.last.Store(&chanEntry{key: key, gen: g})
	case e.handle != nil:
		op.last.Store(e)
	default:
		// Without the handle (see weakHandle), liveness costs a
		// weak.Pointer.Value, which the lookup pays anyway: not
		// remembered.
	}
	return e.siteOrNil()
}

// holds reports whether a remembered entry is still true.
func (e *chanEntry) holds() bool {
	if e.site == nil {
		return e.gen == chanIdx.gen.Load()
	}
	return e.handle != nil && e.handle.Load() == e.key
}

// siteOrNil returns e's site, nil for a nil e.
func (e *chanEntry) siteOrNil() *ChanState {
	if e == nil {
		return nil
	}
	return e.site
}

// SendAt is [Send] at the operation op.
func SendAt[E any](op *ChanOp, ch chan<- E, v E) {
	p := sendPointer(ch)
	st, ok := op.cached(p)
	if !ok {
		st = op.miss(p)
	}
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

// RecvAt is [Recv] at the operation op.
func RecvAt[E any](op *ChanOp, ch <-chan E) E {
	p := recvPointer(ch)
	st, ok := op.cached(p)
	if !ok {
		st = op.miss(p)
	}
	if st == nil {
		return <-ch
	}
	select {
	case v, ok := <-ch:
		if ok {
			st.count(kindRecv, recvDepth(ch))
		}
		return v
	default:
	}
	v, _ := recvWait(st, ch)
	return v
}

// Recv2At is [Recv2] at the operation op.
func Recv2At[E any](op *ChanOp, ch <-chan E) (E, bool) {
	p := recvPointer(ch)
	st, ok := op.cached(p)
	if !ok {
		st = op.miss(p)
	}
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

// SelectSentAt is [SelectSent] at the operation op.
func SelectSentAt[E any](op *ChanOp, ch chan<- E, start int64) {
	if st := op.site(sendPointer(ch)); st != nil {
		selectSent(st, ch, start)
	}
}

// SelectRecvAt is [SelectRecv] at the operation op.
func SelectRecvAt[E any](op *ChanOp, ch <-chan E, ok bool, start int64) {
	if st := op.site(recvPointer(ch)); st != nil {
		selectRecv(st, ch, ok, start)
	}
}

package core

import (
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
	"weak"
)

// chanIdx finds the site of a tracked channel from the channel itself.
//
// A channel value is a pointer to the runtime's channel structure, and
// that address is the only identity a channel has, so the index is a hash
// table from address to entry: open addressing with linear probing, read
// without locks (the table pointer and the slots are loaded atomically,
// entries are immutable), written under a mutex. A slot holds the key
// next to the entry, so that probing past other channels reads only the
// slot array.
//
// Entries hold their channel weakly, so tracking never keeps a channel
// alive, and an entry is useless once its channel is collected. Its memory
// may then hold a new channel, untracked perhaps, at the same address;
// the entry's weak pointer tells the two apart: the sweeper clears it
// before the old channel's memory can be reused, so an entry whose weak
// pointer no longer points at its address never matches.
//
// Dead entries are dropped once per garbage collection: while the index is
// not empty, a sentinel object with a cleanup is pending, and the cleanup,
// run after the collection that freed the sentinel, purges the index and
// arms a new sentinel. One cleanup per cycle, rather than one per channel,
// keeps Track cheaper and the runtime's cleanup queue short; the index
// holds entries for the live channels and for those collected in the last
// cycle or two, never for every channel made.
var chanIdx chanIndex

type chanIndex struct {
	tab   atomic.Pointer[chanTable] // nil while no channel is tracked
	mu    sync.Mutex                // serialises writers
	live  int                       // entries in tab, dead ones included
	used  int                       // entries and tombstones in tab
	armed bool                      // a purge sentinel is pending

	// gen counts the entries ever inserted. An operation site's cache
	// (ChanOp) records it with an "untracked" answer, which stays true
	// only while no channel has been tracked since; it has a cache line
	// of its own, as every unwatched operation reads it.
	_   [64]byte
	gen atomic.Uint64
	_   [56]byte
}

type chanTable struct {
	shift uint // 64 - log2(len(slots))
	slots []chanSlot
}

// chanSlot is one slot of the table. Writers store entry before key, so a
// reader that sees its key can load the entry; a slot being purged may
// show the key with a nil entry, which reads as absent.
type chanSlot struct {
	key   atomic.Uintptr // 0 when empty, tombKey when removed
	entry atomic.Pointer[chanEntry]
}

// tombKey marks a slot whose entry was removed, so that probes for the
// keys stored past it keep going. No channel lives at that address.
const tombKey = ^uintptr(0)

// minChanSlots is the smallest table; the index shrinks back to it (or to
// nothing) as tracked channels die.
const minChanSlots = 64

// chanEntry ties one tracked channel to its site. It never changes after
// it is published.
type chanEntry struct {
	key  uintptr // the channel's address
	site *ChanState
	// weak and handle refer to the channel without keeping it alive.
	weak   weak.Pointer[chanObject]
	handle *atomic.Uintptr
	// len returns len of the channel, given its address; the report sums
	// it over a site's live channels.
	len func(unsafe.Pointer) int
	// gen is, for an entry that a ChanOp caches to say that the channel
	// at key is not tracked (site == nil, never in the index), the
	// index's gen before the lookup that found it so.
	gen uint64
}

// chanObject stands for the runtime's channel structure, to which weak
// pointers attach.
type chanObject struct{ _ byte }

// alive reports whether the entry's channel has not been collected.
//
// weak.Pointer.Value answers that, at about 16 ns: too much to pay on every
// channel operation. The runtime implements a weak pointer as a pointer to
// a word (the handle) that holds the object's address until the sweeper
// frees the object and zeroes it; reading that word answers the same
// question in one load. weakHandle checks at start-up that the handle looks
// so, and the index falls back to Value when it does not.
func (e *chanEntry) alive() bool {
	if e.handle != nil {
		return e.handle.Load() == e.key
	}
	return uintptr(unsafe.Pointer(e.weak.Value())) == e.key
}

// weakHandle returns the handle word of w if the runtime's weak pointers
// have the layout alive relies on, and nil otherwise.
func weakHandle(w weak.Pointer[chanObject]) *atomic.Uintptr {
	if !weakHandleOK {
		return nil
	}
	return *(**atomic.Uintptr)(unsafe.Pointer(&w))
}

// weakHandleOK is true when a weak pointer is a single pointer to a word
// that holds the address of its object.
var weakHandleOK = func() bool {
	var w weak.Pointer[chanObject]
	if unsafe.Sizeof(w) != unsafe.Sizeof(uintptr(0)) {
		return false
	}
	ch := make(chan int, 1)
	p := unsafe.Pointer(*(**chanObject)(unsafe.Pointer(&ch)))
	w = weak.Make((*chanObject)(p))
	h := *(**atomic.Uintptr)(unsafe.Pointer(&w))
	ok := h != nil && h.Load() == uintptr(p)
	runtime.KeepAlive(ch)
	return ok
}()

// lookupChan returns the site of the tracked channel at p, or nil when the
// channel is nil or not tracked. A nil channel (key 0) stops at the first
// empty slot, as no key stored is 0.
func lookupChan(p unsafe.Pointer) *ChanState {
	if e := lookupEntry(p); e != nil {
		return e.site
	}
	return nil
}

// lookupEntry returns the entry of the tracked channel at p, alive, or nil.
func lookupEntry(p unsafe.Pointer) *chanEntry {
	t := chanIdx.tab.Load()
	if t == nil {
		return nil
	}
	key := uintptr(p)
	mask := uintptr(len(t.slots) - 1)
	for i := t.home(key); ; i = (i + 1) & mask {
		k := t.slots[i].key.Load()
		if k == 0 {
			return nil
		}
		if k != key {
			continue
		}
		e := t.slots[i].entry.Load()
		if e == nil {
			return nil
		}
		// e.alive(), with the common case inlined.
		if h := e.handle; h != nil {
			if h.Load() == key {
				return e
			}
			return nil
		}
		if e.alive() {
			return e
		}
		return nil
	}
}

// home returns the first slot probed for key (Fibonacci hashing: the top
// bits of the product mix every bit of the address).
func (t *chanTable) home(key uintptr) uintptr {
	return uintptr((uint64(key) * 0x9E3779B97F4A7C15) >> (t.shift & 63))
}

func newChanTable(slots int) *chanTable {
	n, shift := minChanSlots, uint(64-6)
	for n < slots {
		n <<= 1
		shift--
	}
	return &chanTable{shift: shift, slots: make([]chanSlot, n)}
}

// track enters the channel at p (alive: the caller holds it) into the
// index.
func (x *chanIndex) track(p unsafe.Pointer, st *ChanState, lenOf func(unsafe.Pointer) int) {
	e := newChanEntry(p, st, lenOf)
	x.mu.Lock()
	x.insertLocked(e)
	x.armLocked()
	x.mu.Unlock()
}

func newChanEntry(p unsafe.Pointer, st *ChanState, lenOf func(unsafe.Pointer) int) *chanEntry {
	e := &chanEntry{key: uintptr(p), site: st, weak: weak.Make((*chanObject)(p)), len: lenOf}
	e.handle = weakHandle(e.weak)
	return e
}

// insertLocked adds e and reports whether it did: a channel tracked twice
// keeps its first entry. An entry for the same address whose channel is
// dead (collected, not yet purged) is replaced. The caller holds x.mu.
func (x *chanIndex) insertLocked(e *chanEntry) bool {
	t := x.tab.Load()
	if t == nil || (x.used+1)*4 > len(t.slots)*3 {
		t = x.rehash(1)
	}
	mask := uintptr(len(t.slots) - 1)
	free := -1
	for i := t.home(e.key); ; i = (i + 1) & mask {
		k := t.slots[i].key.Load()
		if k == 0 {
			if free < 0 {
				free = int(i)
				x.used++
			}
			break
		}
		if k == tombKey {
			if free < 0 {
				free = int(i)
			}
			continue
		}
		if k == e.key {
			if t.slots[i].entry.Load().alive() {
				return false
			}
			t.slots[i].entry.Store(e)
			x.gen.Add(1)
			return true
		}
	}
	t.slots[free].entry.Store(e)
	t.slots[free].key.Store(e.key)
	x.live++
	x.gen.Add(1)
	return true
}

// purgeSentinel is allocated only to be collected: its cleanup marks the
// end of a garbage collection. The pointer keeps it out of the tiny
// allocator, whose blocks can outlive their objects.
type purgeSentinel struct{ _ *byte }

// armLocked makes sure that a purge follows the next garbage collection.
// The caller holds x.mu.
func (x *chanIndex) armLocked() {
	if x.armed || x.tab.Load() == nil {
		return
	}
	x.armed = true
	runtime.AddCleanup(new(purgeSentinel), purgeChanIndex, x)
}

// purgeChanIndex is the sentinel's cleanup.
func purgeChanIndex(x *chanIndex) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.armed = false
	x.purgeLocked()
	x.armLocked()
}

// purgeLocked drops the entries of collected channels and shrinks the
// table when it has become mostly empty. The caller holds x.mu.
func (x *chanIndex) purgeLocked() {
	t := x.tab.Load()
	if t == nil {
		return
	}
	mask := uintptr(len(t.slots) - 1)
	for i := range t.slots {
		s := &t.slots[i]
		if k := s.key.Load(); k == 0 || k == tombKey || s.entry.Load().alive() {
			continue
		}
		// Readers probing past i must keep going: leave a tombstone.
		s.key.Store(tombKey)
		s.entry.Store(nil)
		x.live--
	}
	// A tombstone followed by an empty slot ends no probe that could
	// find anything, so it can be emptied, and so on backwards.
	for i := range t.slots {
		j := uintptr(i)
		if t.slots[j].key.Load() != 0 || t.slots[(j-1)&mask].key.Load() != tombKey {
			continue
		}
		for j = (j - 1) & mask; t.slots[j].key.Load() == tombKey; j = (j - 1) & mask {
			t.slots[j].key.Store(0)
			x.used--
		}
	}
	switch {
	case x.live == 0:
		x.tab.Store(nil)
		x.used = 0
	case len(t.slots) > minChanSlots && x.live*8 < len(t.slots):
		x.rehash(0)
	}
}

// rehash publishes a new table holding the live entries of the current
// one, sized so that it is at most half full after extra more insertions.
// Readers still probing the old table find what they found before.
func (x *chanIndex) rehash(extra int) *chanTable {
	var keep []*chanEntry
	if old := x.tab.Load(); old != nil {
		keep = make([]*chanEntry, 0, x.live)
		for i := range old.slots {
			s := &old.slots[i]
			if k := s.key.Load(); k != 0 && k != tombKey {
				if e := s.entry.Load(); e.alive() {
					keep = append(keep, e)
				}
			}
		}
	}
	nt := newChanTable(2 * (len(keep) + extra))
	mask := uintptr(len(nt.slots) - 1)
	for _, e := range keep {
		j := nt.home(e.key)
		for nt.slots[j].key.Load() != 0 {
			j = (j + 1) & mask
		}
		nt.slots[j].entry.Store(e)
		nt.slots[j].key.Store(e.key)
	}
	x.live, x.used = len(keep), len(keep)
	x.tab.Store(nt)
	return nt
}

// chanIndexSize returns the number of entries and of slots in the index.
func chanIndexSize() (entries, slots int) {
	chanIdx.mu.Lock()
	defer chanIdx.mu.Unlock()
	if t := chanIdx.tab.Load(); t != nil {
		slots = len(t.slots)
	}
	return chanIdx.live, slots
}

// liveDepths returns, per site, the number of messages queued in its live
// channels now.
func liveDepths() map[*ChanState]int {
	depths := map[*ChanState]int{}
	t := chanIdx.tab.Load()
	if t == nil {
		return depths
	}
	for i := range t.slots {
		s := &t.slots[i]
		if k := s.key.Load(); k == 0 || k == tombKey {
			continue
		}
		e := s.entry.Load()
		if e == nil {
			continue
		}
		if obj := e.weak.Value(); obj != nil {
			depths[e.site] += e.len(unsafe.Pointer(obj))
			runtime.KeepAlive(obj)
		}
	}
	return depths
}

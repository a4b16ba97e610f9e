package core

import (
	"sync"
	"sync/atomic"
	"unsafe"
)

// MutexSite is one //hotpath:mutex variable or struct field. Generated code
// declares one package-level MutexSite per watched declaration, as a
// composite literal, and rewrites every Lock, Unlock, TryLock (and RLock,
// RUnlock, TryRLock, RLocker for a sync.RWMutex) called on it in the
// package into a call of the matching function here, passing the mutex's
// address and the site:
//
//	var _hotpath_mu_1 = hotpath.MutexSite{Label: "store.Store.mu", Type: "sync.Mutex", Site: "example.com/store/store.go:12"}
//
//	hotpath.MutexLock(&_hotpath_mu_1, &s.mu)
//	defer hotpath.MutexUnlock(&_hotpath_mu_1, &s.mu)
//
// The mutex keeps its type, its zero value and its behaviour: the
// functions call the mutex's own methods. Every mutex of the site (one per
// struct value for a field) counts into the site's one report row: a site
// costs about 4.5 KB once first locked, however many mutexes it has. A
// MutexSite must not be copied after first use.
type MutexSite struct {
	// Label names the row: label=NAME from the directive, or the variable
	// or field (pkg.mu, pkg.T.mu).
	Label string
	// Type is "sync.Mutex" or "sync.RWMutex".
	Type string
	// Site is the declaration's position: import path, file and line.
	Site string

	state atomic.Pointer[MutexState]
}

// The two modes of acquisition, as indexes of MutexState's recorders: a
// write lock (Lock, TryLock; every acquisition of a sync.Mutex) and a read
// lock (RLock, TryRLock).
const (
	modeLock = iota
	modeRLock
)

// MutexState is the mutable part of a MutexSite, allocated on its first
// acquisition.
//
// Each mode records into two Func recorders (sharded per P, see FuncState),
// which are not Funcs of the report: held[mode] counts every acquisition as
// a call when it happens and records hold times as its timed calls; wait[mode]
// records the wait of every contended acquisition. The holds table keeps the
// acquisition time of the mutexes being held, from acquisition to release.
type MutexState struct {
	site  *MutexSite
	held  [2]FuncState
	wait  [2]FuncState
	holds holdTable
}

// mutexSites holds every MutexSite that has been acquired.
var mutexSites growingList[*MutexSite]

// load returns the site's state, registering the site on first use.
func (s *MutexSite) load() *MutexState {
	if st := s.state.Load(); st != nil {
		return st
	}
	return s.register()
}

//go:noinline
func (s *MutexSite) register() *MutexState {
	st := &MutexState{site: s}
	if !s.state.CompareAndSwap(nil, st) {
		return s.state.Load()
	}
	mutexSites.add(s)
	return st
}

// acquired records an acquisition of the mutex at addr in mode, at now,
// which waited since start when the acquisition was contended (start != 0).
func (st *MutexState) acquired(addr unsafe.Pointer, mode int, start, now int64) {
	st.held[mode].countCall()
	if start != 0 {
		st.wait[mode].record(now-start, 1)
	}
	st.holds.begin(uintptr(addr), mode == modeRLock, now)
}

// countCall counts one call without timing it, into the shard of the P the
// goroutine runs on; a later record(d, 0) times it.
func (st *FuncState) countCall() {
	id := procPin()
	if uint(id) < maxShards {
		if sh := st.shards[id].Load(); sh != nil {
			seq := loadU64(&sh.seq)
			storeU64(&sh.seq, seq+1)
			storeU64(&sh.calls, loadU64(&sh.calls)+1)
			storeU64(&sh.seq, seq+2)
			procUnpin()
			return
		}
	}
	procUnpin()
	st.countCallSlow(id)
}

// countCallSlow is countCall for a P without a shard yet, or beyond
// maxShards.
//
//go:noinline
func (st *FuncState) countCallSlow(id int) {
	if uint(id) < maxShards {
		st.shards[id].CompareAndSwap(nil, new(shard))
		st.countCall()
		return
	}
	st.over.calls.Add(1)
}

// MutexLock performs m.Lock(). It tries m.TryLock() first: an acquisition
// that succeeds at once is uncontended and costs no wait measurement; one
// that fails calls m.Lock() and times the wait. Either way the acquisition
// is counted and its hold time starts.
func MutexLock(s *MutexSite, m *sync.Mutex) {
	st := s.load()
	var start int64
	if !m.TryLock() {
		start = Nanotime()
		m.Lock()
	}
	st.acquired(unsafe.Pointer(m), modeLock, start, nanotime())
}

// MutexTryLock performs m.TryLock(). A successful try is an uncontended
// acquisition; a failed one is no acquisition and is not counted.
func MutexTryLock(s *MutexSite, m *sync.Mutex) bool {
	if !m.TryLock() {
		return false
	}
	s.load().acquired(unsafe.Pointer(m), modeLock, 0, nanotime())
	return true
}

// MutexUnlock performs m.Unlock() and records how long m was held.
// Unlocking a mutex that is not locked is the fatal error it always is.
func MutexUnlock(s *MutexSite, m *sync.Mutex) {
	st := s.load()
	d, ok := st.holds.end(uintptr(unsafe.Pointer(m)), false, nanotime())
	m.Unlock()
	if ok {
		st.held[modeLock].record(d, 0)
	}
}

// RWMutexLock performs m.Lock() on a sync.RWMutex, counted and timed as
// [MutexLock].
func RWMutexLock(s *MutexSite, m *sync.RWMutex) {
	st := s.load()
	var start int64
	if !m.TryLock() {
		start = Nanotime()
		m.Lock()
	}
	st.acquired(unsafe.Pointer(m), modeLock, start, nanotime())
}

// RWMutexTryLock performs m.TryLock(), counted as [MutexTryLock].
func RWMutexTryLock(s *MutexSite, m *sync.RWMutex) bool {
	if !m.TryLock() {
		return false
	}
	s.load().acquired(unsafe.Pointer(m), modeLock, 0, nanotime())
	return true
}

// RWMutexUnlock performs m.Unlock() and records how long m was
// write-locked.
func RWMutexUnlock(s *MutexSite, m *sync.RWMutex) {
	st := s.load()
	d, ok := st.holds.end(uintptr(unsafe.Pointer(m)), false, nanotime())
	m.Unlock()
	if ok {
		st.held[modeLock].record(d, 0)
	}
}

// RWMutexRLock performs m.RLock(), counted and timed as [MutexLock] but as
// a read acquisition.
func RWMutexRLock(s *MutexSite, m *sync.RWMutex) {
	st := s.load()
	var start int64
	if !m.TryRLock() {
		start = Nanotime()
		m.RLock()
	}
	st.acquired(unsafe.Pointer(m), modeRLock, start, nanotime())
}

// RWMutexTryRLock performs m.TryRLock(); a failed try is not counted.
func RWMutexTryRLock(s *MutexSite, m *sync.RWMutex) bool {
	if !m.TryRLock() {
		return false
	}
	s.load().acquired(unsafe.Pointer(m), modeRLock, 0, nanotime())
	return true
}

// RWMutexRUnlock performs m.RUnlock(). The last reader out records the
// read-held period: from the first reader in to the last reader out (see
// holdTable).
func RWMutexRUnlock(s *MutexSite, m *sync.RWMutex) {
	st := s.load()
	d, ok := st.holds.end(uintptr(unsafe.Pointer(m)), true, nanotime())
	m.RUnlock()
	if ok {
		st.held[modeRLock].record(d, 0)
	}
}

// RWMutexRLocker returns what m.RLocker() returns, a sync.Locker whose Lock
// and Unlock call m.RLock and m.RUnlock, but counted: its Lock and Unlock
// are [RWMutexRLock] and [RWMutexRUnlock]. Unlike m.RLocker(), it
// allocates.
func RWMutexRLocker(s *MutexSite, m *sync.RWMutex) sync.Locker {
	return &rlocker{s: s, m: m}
}

type rlocker struct {
	s *MutexSite
	m *sync.RWMutex
}

func (r *rlocker) Lock()   { RWMutexRLock(r.s, r.m) }
func (r *rlocker) Unlock() { RWMutexRUnlock(r.s, r.m) }

// holdTable keeps, for every mutex of a site that is held, when it was
// acquired, keyed by the mutex's address: sync.Mutex has no room for it,
// and Unlock may run on another goroutine than Lock.
//
// A write lock has one holder, so its entry is the acquisition time, set by
// the holder after Lock and read and removed by the holder before Unlock.
//
// Read locks have many holders at once and RUnlock does not say which
// reader leaves, so per-reader hold times cannot be told apart without a
// token that the RUnlock call does not carry. The entry of a read-locked
// mutex counts its readers instead: the first reader in sets the start, the
// last one out records the read-held period, the time during which the
// mutex was read-locked without a break. That is what a writer waits behind
// and what a reader holding the lock too long shows as, and it is exact
// with any number of readers.
//
// The table has holdSlots slots; a mutex's home slot is chosen by its
// address. Each slot is guarded by a spin lock held for a few instructions
// (it never waits for anything else), which serialises only the operations
// on the mutexes that share the slot. When the home slot is in use by
// another mutex, the entry goes into a map under the table's mutex; the
// slot counts the entries that overflowed from it, so a mutex looks in the
// map only when one of its slot's neighbours overflowed, and its entry is
// always in one place: its home slot or the map, never both.
type holdTable struct {
	slots [holdSlots]holdSlot
	mu    sync.Mutex
	over  map[uintptr]*holdEntry
}

const holdSlots = 64

// holdEntry is what a held mutex's entry records.
type holdEntry struct {
	readers uint32 // 0 for a write lock
	start   int64
}

type holdSlot struct {
	lock  atomic.Uint32
	over  uint32 // entries in the map whose home is this slot
	key   uintptr
	entry holdEntry
}

func (t *holdTable) slot(addr uintptr) *holdSlot {
	return &t.slots[(uint64(addr)*0x9E3779B97F4A7C15)>>(64-6)]
}

func (s *holdSlot) acquire() {
	for spins := 0; !s.lock.CompareAndSwap(0, 1); {
		waitShard(&spins)
	}
}

func (s *holdSlot) release() { s.lock.Store(0) }

// begin records that the mutex at addr was acquired at now, for read when
// read is true.
func (t *holdTable) begin(addr uintptr, read bool, now int64) {
	s := t.slot(addr)
	s.acquire()
	switch {
	case s.key == addr:
		s.entry.begin(read, now)
	case s.over > 0 && t.beginOver(addr, read, now, false):
	case s.key == 0:
		s.key = addr
		s.entry = holdEntry{}
		s.entry.begin(read, now)
	default:
		t.beginOver(addr, read, now, true)
		s.over++
	}
	s.release()
}

// begin adds an acquisition to e. An entry in a mode other than read's, or
// a write entry, is what an unlock that was not counted left behind (the
// caller holds the mutex, so no other holder is in it): the acquisition
// starts the entry afresh.
func (e *holdEntry) begin(read bool, now int64) {
	if read && e.readers > 0 {
		e.readers++
		return
	}
	e.start = now
	e.readers = 0
	if read {
		e.readers = 1
	}
}

// beginOver is begin on the overflow map: it adds to addr's entry if it is
// there, or, with insert, adds one; it reports whether addr now has one.
//
//go:noinline
func (t *holdTable) beginOver(addr uintptr, read bool, now int64, insert bool) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.over[addr]
	if e == nil {
		if !insert {
			return false
		}
		if t.over == nil {
			t.over = map[uintptr]*holdEntry{}
		}
		e = &holdEntry{}
		t.over[addr] = e
	}
	e.begin(read, now)
	return true
}

// end records that a holder of the mutex at addr releases it at now. It
// returns the hold time to record, if any: a write lock's, or the read-held
// period when the last reader leaves. A mutex with no entry (its lock was
// not counted) records nothing.
func (t *holdTable) end(addr uintptr, read bool, now int64) (int64, bool) {
	s := t.slot(addr)
	s.acquire()
	var d int64
	var ok, done bool
	switch {
	case s.key == addr:
		d, ok, done = s.entry.end(read, now)
		if done {
			s.key = 0
		}
	case s.over > 0:
		var found bool
		if d, ok, done, found = t.endOver(addr, read, now); found && done {
			s.over--
		}
	}
	s.release()
	return d, ok
}

// end removes one holder from e: the writer, or a reader. It returns the
// time to record, if any, and whether the entry is to be removed.
func (e *holdEntry) end(read bool, now int64) (d int64, ok, done bool) {
	if !read {
		// The writer holds the mutex alone: whatever e says, nobody else
		// holds it, and the entry goes.
		return now - e.start, e.readers == 0, true
	}
	if e.readers == 0 {
		return 0, false, false // a write entry; this reader was not counted
	}
	e.readers--
	if e.readers > 0 {
		return 0, false, false
	}
	return now - e.start, true, true
}

//go:noinline
func (t *holdTable) endOver(addr uintptr, read bool, now int64) (d int64, ok, done, found bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.over[addr]
	if e == nil {
		return 0, false, false, false
	}
	d, ok, done = e.end(read, now)
	if done {
		delete(t.over, addr)
	}
	return d, ok, done, true
}

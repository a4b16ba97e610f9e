package core

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

var mutexSeq atomic.Int64

// newMutexSite returns a site of its own for one run of one test.
func newMutexSite(t testing.TB, typ string) *MutexSite {
	n := mutexSeq.Add(1)
	return &MutexSite{
		Label: fmt.Sprintf("%s#%d", t.Name(), n),
		Type:  typ,
		Site:  fmt.Sprintf("example.com/p/mutex_test.go:%d", n),
	}
}

// mutexCounts is what a site counted in one mode since it was created.
type mutexCounts struct {
	Acquisitions, Contended, Waits, Holds uint64
}

func mutexCountsOf(s *MutexSite, mode int) (mutexCounts, MutexSnapshot) {
	st := s.state.Load()
	if st == nil {
		return mutexCounts{}, MutexSnapshot{}
	}
	snap := st.snapshot()
	return mutexCounts{
		Acquisitions: snap.held[mode].calls,
		Contended:    snap.wait[mode].calls,
		Waits:        snap.wait[mode].count,
		Holds:        snap.held[mode].count,
	}, snap
}

// waitBlocked waits until a goroutine whose stack contains in is parked on
// a semaphore (a contended Lock or RLock), so that the test knows that
// goroutine is waiting rather than guessing from timing.
func waitBlocked(t *testing.T, in string) {
	t.Helper()
	buf := make([]byte, 1<<20)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		n := runtime.Stack(buf, true)
		for _, g := range strings.Split(string(buf[:n]), "\n\n") {
			if strings.Contains(g, in) && strings.Contains(g, "sync.runtime_Semacquire") {
				return
			}
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("no goroutine blocked in %s", in)
}

// TestMutexExactCounts locks one watched mutex from many goroutines, with
// Lock, TryLock (some failing) and Unlock: the protected counter is exact,
// as are the acquisitions and holds counted; contended acquisitions and
// their waits agree.
func TestMutexExactCounts(t *testing.T) {
	defer goleak.VerifyNone(t)
	site := newMutexSite(t, "sync.Mutex")
	const workers, iters = 16, 2000
	var mu sync.Mutex
	var counter int
	var tried, failed atomic.Uint64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range iters {
				if (w+i)%5 == 0 {
					tried.Add(1)
					if !MutexTryLock(site, &mu) {
						failed.Add(1)
						MutexLock(site, &mu)
					}
				} else {
					MutexLock(site, &mu)
				}
				counter++
				MutexUnlock(site, &mu)
			}
		})
	}
	wg.Wait()
	if counter != workers*iters {
		t.Fatalf("counter %d, want %d", counter, workers*iters)
	}
	got, snap := mutexCountsOf(site, modeLock)
	if got.Acquisitions != workers*iters || got.Holds != workers*iters {
		t.Errorf("acquisitions %d, holds %d; want %d each (failed TryLocks: %d)", got.Acquisitions, got.Holds, workers*iters, failed.Load())
	}
	if got.Contended != got.Waits || got.Contended > workers*iters {
		t.Errorf("contended %d, waits %d", got.Contended, got.Waits)
	}
	if snap.held[modeLock].min < 0 || snap.wait[modeLock].min < 0 {
		t.Errorf("negative durations: hold min %d, wait min %d", snap.held[modeLock].min, snap.wait[modeLock].min)
	}
	if r, _ := mutexCountsOf(site, modeRLock); r != (mutexCounts{}) {
		t.Errorf("read mode of a sync.Mutex counted %+v", r)
	}
	if !mu.TryLock() {
		t.Error("the mutex is still locked after every Unlock")
	}
}

// TestRWMutexExactCounts mixes writers and readers on one watched
// RWMutex; write and read acquisitions are counted apart and exactly.
func TestRWMutexExactCounts(t *testing.T) {
	defer goleak.VerifyNone(t)
	site := newMutexSite(t, "sync.RWMutex")
	const writers, readers, iters = 4, 12, 1000
	var mu sync.RWMutex
	var counter int
	var sum atomic.Int64
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for range iters {
				RWMutexLock(site, &mu)
				counter++
				RWMutexUnlock(site, &mu)
			}
		})
	}
	var readTries, readFails atomic.Uint64
	for r := range readers {
		wg.Go(func() {
			for i := range iters {
				if (r+i)%3 == 0 {
					readTries.Add(1)
					if !RWMutexTryRLock(site, &mu) {
						readFails.Add(1)
						continue
					}
				} else {
					RWMutexRLock(site, &mu)
				}
				sum.Add(int64(counter))
				RWMutexRUnlock(site, &mu)
			}
		})
	}
	wg.Wait()
	if counter != writers*iters {
		t.Fatalf("counter %d", counter)
	}
	w, _ := mutexCountsOf(site, modeLock)
	if w.Acquisitions != writers*iters || w.Holds != writers*iters || w.Contended != w.Waits {
		t.Errorf("write mode: %+v, want %d acquisitions and holds", w, writers*iters)
	}
	r, _ := mutexCountsOf(site, modeRLock)
	wantReads := uint64(readers*iters) - readFails.Load()
	if r.Acquisitions != wantReads || r.Contended != r.Waits {
		t.Errorf("read mode: %+v, want %d acquisitions (%d TryRLock failed)", r, wantReads, readFails.Load())
	}
	// Every read-held period ends with a reader, and has at least one.
	if r.Holds == 0 || r.Holds > r.Acquisitions {
		t.Errorf("read-held periods %d for %d read acquisitions", r.Holds, r.Acquisitions)
	}
	if !mu.TryLock() {
		t.Error("the RWMutex is still locked after every unlock")
	}
}

// TestMutexContended makes one acquisition wait for another holder: it is
// counted as contended and its wait lasts at least as long as the holder
// kept the lock after the waiter blocked.
func TestMutexContended(t *testing.T) {
	defer goleak.VerifyNone(t)
	site := newMutexSite(t, "sync.Mutex")
	var mu sync.Mutex
	const held = 30 * time.Millisecond
	MutexLock(site, &mu)
	done := make(chan struct{})
	go func() {
		defer close(done)
		MutexLock(site, &mu)
		MutexUnlock(site, &mu)
	}()
	waitBlocked(t, ".MutexLock(")
	time.Sleep(held)
	MutexUnlock(site, &mu)
	<-done
	got, snap := mutexCountsOf(site, modeLock)
	if want := (mutexCounts{Acquisitions: 2, Contended: 1, Waits: 1, Holds: 2}); got != want {
		t.Errorf("counts %+v, want %+v", got, want)
	}
	if w := snap.wait[modeLock].total; w < int64(held) {
		t.Errorf("wait %v, want at least %v", time.Duration(w), held)
	}
	if h := snap.held[modeLock].max; h < int64(held) {
		t.Errorf("longest hold %v, want at least %v", time.Duration(h), held)
	}
	if h, w := snap.held[modeLock].max, snap.wait[modeLock].total; h < w {
		t.Errorf("the first holder held %v, less than the %v the second waited", time.Duration(h), time.Duration(w))
	}
}

// TestRWMutexModes keeps read and write apart: a writer waits behind two
// overlapping readers, whose read-held period spans both; TryLock while
// read-locked and TryRLock while write-locked fail and count nothing.
func TestRWMutexModes(t *testing.T) {
	defer goleak.VerifyNone(t)
	site := newMutexSite(t, "sync.RWMutex")
	var mu sync.RWMutex
	const step = 20 * time.Millisecond
	begin := time.Now()
	RWMutexRLock(site, &mu)
	RWMutexRLock(site, &mu) // a second reader
	if RWMutexTryLock(site, &mu) {
		t.Fatal("TryLock succeeded while read-locked")
	}
	done := make(chan struct{})
	var wrote time.Duration
	go func() {
		defer close(done)
		RWMutexLock(site, &mu)
		time.Sleep(step)
		if RWMutexTryRLock(site, &mu) {
			t.Error("TryRLock succeeded while write-locked")
		}
		RWMutexUnlock(site, &mu)
		wrote = time.Since(begin)
	}()
	waitBlocked(t, ".RWMutexLock(")
	time.Sleep(step)
	RWMutexRUnlock(site, &mu)
	time.Sleep(step)
	RWMutexRUnlock(site, &mu) // the last reader out: one period
	<-done
	elapsed := time.Since(begin)

	w, ws := mutexCountsOf(site, modeLock)
	if want := (mutexCounts{Acquisitions: 1, Contended: 1, Waits: 1, Holds: 1}); w != want {
		t.Errorf("write mode %+v, want %+v", w, want)
	}
	r, rs := mutexCountsOf(site, modeRLock)
	if want := (mutexCounts{Acquisitions: 2, Holds: 1}); r != want {
		t.Errorf("read mode %+v, want %+v", r, want)
	}
	period := time.Duration(rs.held[modeRLock].total)
	if period < 2*step || period > elapsed {
		t.Errorf("read-held period %v, want between %v and %v", period, 2*step, elapsed)
	}
	if wait := time.Duration(ws.wait[modeLock].total); wait < 2*step || wait > elapsed {
		t.Errorf("writer waited %v, want between %v and %v", wait, 2*step, elapsed)
	}
	if hold := time.Duration(ws.held[modeLock].total); hold < step || hold > wrote {
		t.Errorf("write hold %v, want between %v and %v", hold, step, wrote)
	}
}

// TestMutexRLocker counts the locks taken through RLocker as reads.
func TestMutexRLocker(t *testing.T) {
	site := newMutexSite(t, "sync.RWMutex")
	var mu sync.RWMutex
	l := RWMutexRLocker(site, &mu)
	l.Lock()
	if mu.TryLock() {
		t.Fatal("RLocker().Lock did not read-lock")
	}
	l.Unlock()
	if !mu.TryLock() {
		t.Fatal("RLocker().Unlock did not read-unlock")
	}
	mu.Unlock()
	if r, _ := mutexCountsOf(site, modeRLock); r != (mutexCounts{Acquisitions: 1, Holds: 1}) {
		t.Errorf("read mode %+v", r)
	}
}

// TestMutexUncountedUnlock: a lock released by a call that is not
// rewritten (another package, say) leaves an entry behind; the next
// counted acquisition starts afresh and times its own hold.
func TestMutexUncountedUnlock(t *testing.T) {
	site := newMutexSite(t, "sync.Mutex")
	var mu sync.Mutex
	MutexLock(site, &mu)
	mu.Unlock()
	time.Sleep(20 * time.Millisecond)
	MutexLock(site, &mu)
	MutexUnlock(site, &mu)
	mu.Lock()
	MutexUnlock(site, &mu) // an acquisition not counted: no hold
	got, snap := mutexCountsOf(site, modeLock)
	if want := (mutexCounts{Acquisitions: 2, Holds: 1}); got != want {
		t.Errorf("counts %+v, want %+v", got, want)
	}
	if h := snap.held[modeLock].max; h >= int64(20*time.Millisecond) {
		t.Errorf("hold %v includes the time the mutex was free", time.Duration(h))
	}
	if !mu.TryLock() {
		t.Error("mutex still locked")
	}
}

// TestHoldTableExact drives the hold table with given times: write holds,
// overlapping readers, and more mutexes held at once than the table has
// slots (the overflow map), each timed exactly.
func TestHoldTableExact(t *testing.T) {
	var tab holdTable
	type rec struct {
		d  int64
		ok bool
	}
	end := func(addr uintptr, read bool, now int64) rec {
		d, ok := tab.end(addr, read, now)
		return rec{d, ok}
	}
	// A write hold.
	tab.begin(0x1000, false, 100)
	if got := end(0x1000, false, 350); got != (rec{250, true}) {
		t.Errorf("write hold: %+v", got)
	}
	// Readers in at 10, 20, 30; out at 40, 50, 60: one period, 10 to 60.
	for i := range 3 {
		tab.begin(0x2000, true, int64(10+10*i))
	}
	for i, want := range []rec{{}, {}, {50, true}} {
		if got := end(0x2000, true, int64(40+10*i)); got != want {
			t.Errorf("reader %d out: %+v, want %+v", i, got, want)
		}
	}
	// Without a begin, an end records nothing.
	if got := end(0x3000, false, 5); got != (rec{}) {
		t.Errorf("end without begin: %+v", got)
	}
	if got := end(0x3000, true, 5); got != (rec{}) {
		t.Errorf("read end without begin: %+v", got)
	}
	// 4*holdSlots mutexes held at once, half of them read-locked twice.
	const n = 4 * holdSlots
	for i := range n {
		addr := uintptr(0x10000 + 8*i)
		tab.begin(addr, i%2 == 1, int64(i))
		if i%2 == 1 {
			tab.begin(addr, true, int64(i)+1)
		}
	}
	if len(tab.over) == 0 {
		t.Fatal("no mutex overflowed its home slot")
	}
	for i := n - 1; i >= 0; i-- {
		addr := uintptr(0x10000 + 8*i)
		if i%2 == 1 {
			if got := end(addr, true, 1000); got != (rec{}) {
				t.Errorf("mutex %d, first reader out: %+v", i, got)
			}
		}
		if got := end(addr, i%2 == 1, 1000+int64(i)); got != (rec{1000, true}) {
			t.Errorf("mutex %d: %+v, want a hold of 1000", i, got)
		}
	}
	if len(tab.over) != 0 {
		t.Errorf("%d entries left in the overflow map", len(tab.over))
	}
	for i := range tab.slots {
		if s := &tab.slots[i]; s.key != 0 || s.over != 0 {
			t.Errorf("slot %d left with key %#x, over %d", i, s.key, s.over)
		}
	}
}

// TestMutexUnlockUnlockedFatal: unlocking a watched mutex that is not
// locked is the runtime's fatal error, as with the raw call.
func TestMutexUnlockUnlockedFatal(t *testing.T) {
	if mode := os.Getenv("HOTPATH_TEST_UNLOCK"); mode != "" {
		site := &MutexSite{Label: "fatal", Type: "sync.Mutex"}
		switch mode {
		case "mutex":
			var mu sync.Mutex
			MutexUnlock(site, &mu)
		case "rw":
			var mu sync.RWMutex
			RWMutexUnlock(site, &mu)
		case "r":
			var mu sync.RWMutex
			RWMutexRUnlock(site, &mu)
		}
		return
	}
	for mode, want := range map[string]string{
		"mutex": "fatal error: sync: unlock of unlocked mutex",
		"rw":    "fatal error: sync: Unlock of unlocked RWMutex",
		"r":     "fatal error: sync: RUnlock of unlocked RWMutex",
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMutexUnlockUnlockedFatal$", "-test.count=1")
		cmd.Env = append(os.Environ(), "HOTPATH_TEST_UNLOCK="+mode)
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("%s: the child exited 0:\n%s", mode, out)
			continue
		}
		if !strings.Contains(string(out), want) {
			t.Errorf("%s: output lacks %q:\n%s", mode, want, out)
		}
	}
}

// TestMutexManyInstances locks many mutexes of one site from many
// goroutines, more mutexes than the hold table has slots, several held at
// once (those that share a home slot go to the overflow map):
// every acquisition and every hold is counted, read and write apart.
func TestMutexManyInstances(t *testing.T) {
	defer goleak.VerifyNone(t)
	site := newMutexSite(t, "sync.RWMutex")
	const instances, workers, iters = 4 * holdSlots, 8, 300
	mus := make([]sync.RWMutex, instances)
	counts := make([]int, instances)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range iters {
				// Hold a few at once, in address order (no deadlock).
				a, b := (w*7+i*13)%instances, (w*11+i*17+1)%instances
				if a > b {
					a, b = b, a
				}
				if a == b {
					b = (b + 1) % instances
					a, b = min(a, b), max(a, b)
				}
				RWMutexLock(site, &mus[a])
				RWMutexRLock(site, &mus[b])
				counts[a]++
				RWMutexRUnlock(site, &mus[b])
				RWMutexUnlock(site, &mus[a])
			}
		})
	}
	wg.Wait()
	total := 0
	for _, c := range counts {
		total += c
	}
	if total != workers*iters {
		t.Fatalf("counted %d, want %d", total, workers*iters)
	}
	w, _ := mutexCountsOf(site, modeLock)
	if w.Acquisitions != workers*iters || w.Holds != workers*iters {
		t.Errorf("write mode %+v, want %d acquisitions and holds", w, workers*iters)
	}
	r, _ := mutexCountsOf(site, modeRLock)
	if r.Acquisitions != workers*iters || r.Holds == 0 || r.Holds > r.Acquisitions {
		t.Errorf("read mode %+v, want %d acquisitions", r, workers*iters)
	}
	st := site.state.Load()
	st.holds.mu.Lock()
	left := len(st.holds.over)
	st.holds.mu.Unlock()
	if left != 0 {
		t.Errorf("%d entries left in the overflow map", left)
	}
	for i := range st.holds.slots {
		s := &st.holds.slots[i]
		s.acquire()
		key, over := s.key, s.over
		s.release()
		if key != 0 || over != 0 {
			t.Errorf("slot %d left with key %#x, over %d", i, key, over)
		}
	}
}

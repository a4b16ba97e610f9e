package core

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
)

// opEntry is what op remembers now: the key and whether it says tracked.
func opEntry(op *ChanOp) (key uintptr, tracked, ok bool) {
	e := op.last.Load()
	if e == nil {
		return 0, false, false
	}
	return e.key, e.site != nil, true
}

// channelAt makes channels until one is at addr, collecting now and then
// so that the memory of a dead channel is swept and reused; nil if none
// was.
func channelAt(addr uintptr) chan int {
	var keep []chan int
	for i := 0; i < 1_000_000; i++ {
		ch := make(chan int, 1)
		if uintptr(sendPointer(ch)) == addr {
			return ch
		}
		keep = append(keep, ch)
		if len(keep) == 10_000 {
			keep = keep[:0]
			runtime.GC()
		}
	}
	return nil
}

// TestChanOpRemembers checks what an operation remembers: the first
// channel it meets, tracked or not, and another one only once the entry
// no longer holds (its channel collected, or a channel tracked since), or
// now and then at random, so that an operation that moved on to another
// channel for good has it remembered; and that the operations count
// exactly whichever answer they use.
func TestChanOpRemembers(t *testing.T) {
	site := newSite(t, "chan int")
	watched := Track(site, make(chan int, 4))
	plain := make(chan int, 4)
	var send, recv ChanOp
	for i := range 3 {
		SendAt(&send, watched, i)
		if v := RecvAt(&recv, watched); v != i {
			t.Fatalf("RecvAt = %d, want %d", v, i)
		}
	}
	if key, tracked, ok := opEntry(&send); !ok || !tracked || key != uintptr(sendPointer(watched)) {
		t.Fatalf("after sends on a tracked channel the op remembers %#x tracked=%v (%v)", key, tracked, ok)
	}
	// The untracked channel, for good: remembered within a few hundred
	// operations (a miss replaces the entry once in replaceOdds).
	n := 0
	for ; n < 100*replaceOdds; n++ {
		SendAt(&send, plain, n)
		if v := RecvAt(&recv, plain); v != n {
			t.Fatalf("RecvAt = %d, want %d", v, n)
		}
		if key, _, _ := opEntry(&send); key == uintptr(sendPointer(plain)) {
			break
		}
	}
	if key, tracked, ok := opEntry(&send); !ok || tracked || key != uintptr(sendPointer(plain)) {
		t.Fatalf("after %d sends on an untracked channel the op remembers %#x tracked=%v (%v)", n, key, tracked, ok)
	}
	// Back to the tracked channel: counted again.
	SendAt(&send, watched, 9)
	if v, ok := Recv2At(&recv, watched); v != 9 || !ok {
		t.Fatalf("Recv2At = %d, %v", v, ok)
	}
	checkCounts(t, site, siteCounts{Created: 1, Sent: 4, Received: 4, MaxDepth: 1})
	runtime.KeepAlive(plain)
}

// TestChanOpTrackedLater: an operation that remembers "untracked" for a
// channel counts it once it is tracked (the generation moved on).
func TestChanOpTrackedLater(t *testing.T) {
	site := newSite(t, "chan int")
	ch := make(chan int, 1)
	var op ChanOp
	for range 3 {
		SendAt(&op, ch, 1)
		<-ch
	}
	if _, tracked, ok := opEntry(&op); !ok || tracked {
		t.Fatal("the op does not remember the untracked channel")
	}
	Track(site, ch)
	SendAt(&op, ch, 1)
	<-ch
	checkCounts(t, site, siteCounts{Created: 1, Sent: 1, MaxDepth: 1})
}

// TestChanOpReusedAddress is TestChanReusedAddress for the operations'
// memory: a channel collected while an operation remembers it, and a new
// channel made at its address. The newcomer's answer must be its own.
func TestChanOpReusedAddress(t *testing.T) {
	t.Run("untracked then tracked", func(t *testing.T) {
		site := newSite(t, "chan int")
		var op ChanOp
		addr := func() uintptr {
			ch := make(chan int, 1)
			for range 2 {
				SendAt(&op, ch, 1)
				<-ch
			}
			return uintptr(sendPointer(ch))
		}()
		if key, tracked, ok := opEntry(&op); !ok || tracked || key != addr {
			t.Fatal("the op does not remember the untracked channel")
		}
		runtime.GC()
		reused := channelAt(addr)
		if reused == nil {
			t.Skip("no channel was allocated at the dead channel's address")
		}
		if key, tracked, _ := opEntry(&op); key != addr || tracked {
			t.Fatal("the op forgot the dead channel; the test did not exercise the window")
		}
		Track(site, reused)
		SendAt(&op, reused, 1)
		RecvAt(&op, reused)
		checkCounts(t, site, siteCounts{Created: 1, Sent: 1, Received: 1, MaxDepth: 1})
	})
	t.Run("tracked then untracked", func(t *testing.T) {
		site := newSite(t, "chan int")
		var op ChanOp
		addr := func() uintptr {
			ch := Track(site, make(chan int, 1))
			SendAt(&op, ch, 1)
			<-ch
			return uintptr(sendPointer(ch))
		}()
		if key, tracked, ok := opEntry(&op); !ok || !tracked || key != addr {
			t.Fatal("the op does not remember the tracked channel")
		}
		runtime.GC()
		reused := channelAt(addr)
		if reused == nil {
			t.Skip("no channel was allocated at the dead channel's address")
		}
		if key, tracked, _ := opEntry(&op); key != addr || !tracked {
			t.Fatal("the op forgot the dead channel; the test did not exercise the window")
		}
		for range 3 {
			SendAt(&op, reused, 1)
			if v, ok := Recv2At(&op, reused); v != 1 || !ok {
				t.Fatalf("Recv2At = %d, %v", v, ok)
			}
		}
		// Only the dead channel's send.
		checkCounts(t, site, siteCounts{Created: 1, Sent: 1, MaxDepth: 1})
	})
}

// TestChanOpAllocs: an operation that keeps to one channel, tracked or
// not, does not allocate; one that alternates between untracked channels
// allocates an entry only now and then (once in replaceOdds operations on
// average), not on every switch.
func TestChanOpAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	keep := Track(newSite(t, "chan int"), make(chan int, 1)) // the index is not empty
	a, b := make(chan int, 1), make(chan int, 1)
	var op ChanOp
	if n := testing.AllocsPerRun(1000, func() {
		SendAt(&op, a, 1)
		<-a
	}); n != 0 {
		t.Errorf("one untracked channel: %v allocations per run", n)
	}
	if n := testing.AllocsPerRun(1000, func() {
		SendAt(&op, keep, 1)
		<-keep
	}); n != 0 {
		t.Errorf("one tracked channel: %v allocations per run", n)
	}
	const switches = 64 * replaceOdds
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range switches / 2 {
		SendAt(&op, a, 1)
		<-a
		SendAt(&op, b, 1)
		<-b
	}
	runtime.ReadMemStats(&after)
	if n := after.Mallocs - before.Mallocs; n > 4*switches/replaceOdds {
		t.Errorf("alternating: %d allocations in %d switches", n, switches)
	}
}

// TestChanOpConcurrent shares operations between goroutines that make
// tracked and untracked channels, some dying, while collections run: the
// counts stay exact. Run it under -race too.
func TestChanOpConcurrent(t *testing.T) {
	site := newSite(t, "chan int")
	const workers, rounds = 8, 2000
	var send, recv, recv2 ChanOp
	var wg sync.WaitGroup
	var mu sync.Mutex
	var sent, received uint64
	stop := make(chan struct{})
	var gcDone sync.WaitGroup
	gcDone.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				runtime.GC()
			}
		}
	})
	for w := range workers {
		wg.Go(func() {
			var s, r uint64
			var shared chan int
			for i := range rounds {
				var ch chan int
				switch (i + w) % 4 {
				case 0:
					ch = Track(site, make(chan int, 2))
					shared = ch
				case 1:
					ch = make(chan int, 2)
				case 2:
					if shared == nil {
						continue
					}
					ch = shared
				case 3:
					ch = make(chan int, 2)
				}
				tracked := shared != nil && sendPointer(ch) == sendPointer(shared)
				SendAt(&send, ch, i)
				SendAt(&send, ch, i)
				if RecvAt(&recv, ch) != i {
					t.Error("wrong value")
				}
				if v, ok := Recv2At(&recv2, ch); v != i || !ok {
					t.Error("wrong value")
				}
				if tracked {
					s += 2
					r += 2
				}
			}
			mu.Lock()
			sent += s
			received += r
			mu.Unlock()
		})
	}
	wg.Wait()
	close(stop)
	gcDone.Wait()
	got := countsOf(site)
	if got.Sent != sent || got.Received != received {
		t.Errorf("counted %d sent, %d received; want %d, %d", got.Sent, got.Received, sent, received)
	}
}

// TestChanFlushRuns counts sequences of operations whose buffers flush in
// runs of equal words, in alternations, in no pattern at all, and with a
// remainder of fewer than four entries, and checks every depth bucket of
// both kinds against an independent count.
func TestChanFlushRuns(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	patterns := map[string]func(i int) (kind, depth int){
		"constant":    func(int) (int, int) { return kindSend, 3 },
		"alternating": func(i int) (int, int) { return i % 2, 1 - i%2 },
		"period3":     func(i int) (int, int) { return kindRecv, i % 3 },
		"period4":     func(i int) (int, int) { return i / 2 % 2, i % 4 * 1000 },
		"random": func(int) (int, int) {
			return rng.IntN(2), int(rng.Uint64N(1 << rng.UintN(26)))
		},
	}
	for name, next := range patterns {
		for _, n := range []int{1, 3, 4, 31, 32, 33, 100, 1001} {
			st := newSite(t, "chan int").load()
			var want [2][depthBuckets]uint64
			var maxDepth int
			for i := range n {
				kind, d := next(i)
				st.count(kind, d)
				want[kind][depthBucket(uint64(d))]++
				maxDepth = max(maxDepth, d)
			}
			snap := st.snapshot()
			if snap.depth != want {
				t.Errorf("%s, %d operations: depth counts differ", name, n)
			}
			// Flush what the shards hold, partly filled buffers too (no
			// goroutine counts into them now).
			st.mu.Lock()
			for i := range st.shards {
				if sh := st.shards[i].Load(); sh != nil {
					st.flush(sh)
				}
			}
			st.mu.Unlock()
			if snap := st.snapshot(); snap.depth != want {
				t.Errorf("%s, %d operations, flushed: depth counts differ", name, n)
			}
			if snap.maxDepth != uint64(maxDepth) {
				t.Errorf("%s, %d operations: max depth %d, want %d", name, n, snap.maxDepth, maxDepth)
			}
		}
	}
}

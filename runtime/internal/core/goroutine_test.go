package core

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// goWatched starts f as hotpathgen's rewrite of "go f()" does: take the
// go statement's time in the calling goroutine, then run f in a wrapper
// that begins the span and defers End with a flag set after f returns.
func goWatched(s *GoSite, f func()) {
	at := Nanotime()
	go func() {
		ok := false
		defer GoBegin(s, at).End(&ok)
		f()
		ok = true
	}()
}

// newGoSite returns a site of its own for one run of one test.
func newGoSite(t testing.TB) *GoSite {
	n := siteSeq.Add(1)
	return &GoSite{
		Label: fmt.Sprintf("%s#%d", t.Name(), n),
		Func:  "example.com/p.F",
		Site:  fmt.Sprintf("example.com/p/go_test.go:%d", n),
	}
}

// goSiteCounts is what a site counted since it was created.
type goSiteCounts struct {
	Started, Finished, Goexit, Panicked uint64
	Alive, Peak                         int64
	Lifetimes                           uint64
}

func goCountsOf(s *GoSite) goSiteCounts {
	st := s.state.Load()
	if st == nil {
		return goSiteCounts{}
	}
	c := st.snapshot()
	return goSiteCounts{
		Started: c.started, Finished: c.finished(), Goexit: c.goexited, Panicked: c.panicked,
		Alive: c.alive, Peak: c.peak, Lifetimes: c.life.count,
	}
}

// waitEnded waits until none of the site's goroutines is alive: a
// goroutine ends after its function's own signals (a WaitGroup's Done),
// so tests wait for End itself.
func waitEnded(t *testing.T, s *GoSite) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for s.state.Load() == nil || s.state.Load().alive.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines of %s still alive: %+v", s.Label, goCountsOf(s))
		}
		time.Sleep(time.Millisecond)
	}
}

// TestGoExactCounts starts many goroutines from many goroutines and checks
// every count exactly; under -race it also checks that the recording has
// no data race.
func TestGoExactCounts(t *testing.T) {
	defer goleak.VerifyNone(t)
	s := newGoSite(t)
	const parents, each = 16, 200
	const n = parents * each
	gate := make(chan struct{})
	var running sync.WaitGroup
	running.Add(n)
	var parentsWG sync.WaitGroup
	for range parents {
		parentsWG.Add(1)
		go func() {
			defer parentsWG.Done()
			for range each {
				goWatched(s, func() {
					running.Done()
					<-gate
				})
			}
		}()
	}
	parentsWG.Wait()
	running.Wait()
	// Every goroutine has started and none can end: alive and peak are
	// exact.
	if got, want := goCountsOf(s), (goSiteCounts{Started: n, Alive: n, Peak: n}); got != want {
		t.Errorf("all blocked: counts %+v, want %+v", got, want)
	}
	close(gate)
	waitEnded(t, s)
	if got, want := goCountsOf(s), (goSiteCounts{Started: n, Finished: n, Peak: n, Lifetimes: n}); got != want {
		t.Errorf("all ended: counts %+v, want %+v", got, want)
	}
}

// TestGoPeak checks that the peak is the largest number alive at once,
// and stays when fewer are alive later.
func TestGoPeak(t *testing.T) {
	defer goleak.VerifyNone(t)
	s := newGoSite(t)
	startBlocked := func(k int) chan struct{} {
		gate := make(chan struct{})
		var running sync.WaitGroup
		running.Add(k)
		for range k {
			goWatched(s, func() { running.Done(); <-gate })
		}
		running.Wait()
		return gate
	}
	g1 := startBlocked(5)
	close(g1)
	waitEnded(t, s)
	g2 := startBlocked(3)
	if got, want := goCountsOf(s), (goSiteCounts{Started: 8, Finished: 5, Alive: 3, Peak: 5, Lifetimes: 5}); got != want {
		t.Errorf("counts %+v, want %+v", got, want)
	}
	g3 := startBlocked(4) // 7 alive now
	close(g2)
	close(g3)
	waitEnded(t, s)
	if got, want := goCountsOf(s), (goSiteCounts{Started: 12, Finished: 12, Peak: 7, Lifetimes: 12}); got != want {
		t.Errorf("counts %+v, want %+v", got, want)
	}
}

// TestGoEndClassifies checks how each way of ending is counted: a return
// (also after a recovered panic) and runtime.Goexit are finished, Goexit
// counted apart; a deferred Goexit during a panic stops the panic, and the
// goroutine ends by Goexit without crashing the program.
func TestGoEndClassifies(t *testing.T) {
	defer goleak.VerifyNone(t)
	cases := []struct {
		name string
		f    func()
		want goSiteCounts
	}{
		{"return", func() {}, goSiteCounts{Finished: 1}},
		{"recovered panic", func() {
			defer func() { _ = recover() }()
			panic("recovered")
		}, goSiteCounts{Finished: 1}},
		{"Goexit", func() { runtime.Goexit() }, goSiteCounts{Finished: 1, Goexit: 1}},
		{"Goexit deep", func() {
			func() { defer func() {}(); runtime.Goexit() }()
		}, goSiteCounts{Finished: 1, Goexit: 1}},
		{"Goexit stops a panic", func() {
			defer runtime.Goexit()
			panic("stopped by Goexit")
		}, goSiteCounts{Finished: 1, Goexit: 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newGoSite(t)
			goWatched(s, c.f)
			waitEnded(t, s)
			want := c.want
			want.Started, want.Peak, want.Lifetimes = 1, 1, 1
			if got := goCountsOf(s); got != want {
				t.Errorf("counts %+v, want %+v", got, want)
			}
		})
	}
}

// TestGoBeginEndNoAlloc checks that counting a goroutine allocates
// nothing (but for the site's state, on first use).
func TestGoBeginEndNoAlloc(t *testing.T) {
	s := newGoSite(t)
	ok := true
	GoBegin(s, Nanotime()).End(&ok)
	if n := testing.AllocsPerRun(1000, func() {
		GoBegin(s, Nanotime()).End(&ok)
	}); n != 0 {
		t.Errorf("GoBegin + End allocate %v times", n)
	}
}

// BenchmarkGoBeginEnd is the recording of one goroutine alone, without
// the goroutine: two clock reads, two atomic adds on the site's line, the
// lifetime into the P's shard.
func BenchmarkGoBeginEnd(b *testing.B) {
	b.ReportAllocs()
	s := &GoSite{Label: "bench", Func: "example.com/p.F", Site: "example.com/p/bench_test.go:1"}
	ok := true
	for range b.N {
		GoBegin(s, Nanotime()).End(&ok)
	}
}

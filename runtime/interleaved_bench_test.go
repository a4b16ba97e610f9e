package hotpath_test

import (
	"sync"
	"testing"
	"time"

	hotpath "github.com/hotpath-go/hotpath/runtime"
	"github.com/hotpath-go/hotpath/runtime/hotpathimpl"
)

// BenchmarkOverheadInterleaved is BenchmarkOverhead for a machine that
// other work shares: it runs the probes in turns, a batch of calls each,
// for many rounds, and reports each probe's fastest batch (ns per call)
// and its ratio to the floor's, so that preemptions, which only ever make
// a batch slower, drop out. "par" runs each batch on two goroutines at
// once (ns per call per goroutine). Run it once:
//
//	go test -run '^$' -bench BenchmarkOverheadInterleaved -benchtime 1x ./runtime/
func BenchmarkOverheadInterleaved(b *testing.B) {
	tsc, restore := hotpath.SetClock("tsc")
	defer restore()
	hotpath.UseTSC(false)
	defer hotpath.SetSampleEvery(1)
	type probe struct {
		name  string
		setup func()
		call  func()
		floor bool
	}
	probes := []probe{
		{name: "floor", call: func() {
			start := benchNanotime()
			bare()
			floorSum += benchNanotime() - start
		}, floor: true},
		{name: "measured", call: measured},
		{name: "untimed", setup: func() { hotpath.SetSampleEvery(1 << 30) }, call: measured},
		{name: "sample64", setup: func() { hotpath.SetSampleEvery(64) }, call: measured},
		{name: "untimed-est", setup: func() { hotpath.SetSampling(1<<30, true) }, call: measured},
		{name: "sample64-est", setup: func() { hotpath.SetSampling(64, true) }, call: measured},
		{name: "call", call: bare},
	}
	if tsc {
		probes = append(probes, probe{name: "measured-tsc", setup: func() { hotpath.UseTSC(true) }, call: measured})
	}
	const batch, rounds = 2000, 300
	for _, par := range []int{1, 2} {
		best := make([]time.Duration, len(probes))
		for range b.N {
			for range rounds {
				for i, p := range probes {
					if p.setup != nil {
						p.setup()
					}
					d := runBatch(par, batch, p.call)
					hotpath.UseTSC(false)
					hotpath.SetSampleEvery(1)
					if best[i] == 0 || d < best[i] {
						best[i] = d
					}
				}
			}
		}
		suffix := "/serial"
		if par > 1 {
			suffix = "/par2"
		}
		for i, p := range probes {
			ns := float64(best[i]) / batch
			b.ReportMetric(ns, p.name+suffix+"-ns")
			if !p.floor {
				b.ReportMetric(float64(best[i])/float64(best[0]), p.name+suffix+"-x")
			}
		}
	}
}

var floorSum int64

// runBatch runs n calls of f on each of par goroutines at once and
// returns the wall time.
func runBatch(par, n int, f func()) time.Duration {
	if par == 1 {
		start := time.Now()
		for range n {
			f()
		}
		return time.Since(start)
	}
	var ready, wg sync.WaitGroup
	ready.Add(par)
	gate := make(chan struct{})
	for range par {
		wg.Go(func() {
			ready.Done()
			<-gate
			for range n {
				f()
			}
		})
	}
	ready.Wait()
	start := time.Now()
	close(gate)
	wg.Wait()
	return time.Since(start)
}

var ilSite = hotpathimpl.ChanSite{Label: "interleaved", Type: "chan int", Site: "interleaved_bench_test.go:1"}

// The operations' ChanOps, as a twin declares them: one per operation.
var ilSend, ilRecv, ilSendPlain, ilRecvPlain hotpathimpl.ChanOp

// BenchmarkChanInterleaved is BenchmarkChanPair run as
// BenchmarkOverheadInterleaved runs its probes: a buffered send and
// receive that never block, raw, on a watched channel, and on a channel no
// directive made (with watched channels alive, so that the index is not
// empty), both as the generator writes the operations (SendTo(ch).SendAt
// and RecvAt, each operation with its package-level ChanOp). The
// "-lookup" probes are the operations without a ChanOp (Send, Recv), which
// look the channel up every time, as twins did before. Run it once:
//
//	go test -run '^$' -bench BenchmarkChanInterleaved -benchtime 1x ./runtime/
func BenchmarkChanInterleaved(b *testing.B) {
	raw := make(chan int, 8)
	watched := hotpathimpl.Track(&ilSite, make(chan int, 8))
	plain := make(chan int, 8)
	keep := make([]chan int, 100)
	for i := range keep {
		keep[i] = hotpathimpl.Track(&ilSite, make(chan int, 1))
	}
	var sink int
	probes := []struct {
		name string
		call func()
	}{
		{"raw", func() { raw <- 1; sink += <-raw }},
		{"watched", func() {
			hotpathimpl.SendTo(watched).SendAt(&ilSend, 1)
			sink += hotpathimpl.RecvAt(&ilRecv, watched)
		}},
		{"unwatched", func() {
			hotpathimpl.SendTo(plain).SendAt(&ilSendPlain, 1)
			sink += hotpathimpl.RecvAt(&ilRecvPlain, plain)
		}},
		{"watched-lookup", func() { hotpathimpl.Send(watched, 1); sink += hotpathimpl.Recv(watched) }},
		{"unwatched-lookup", func() { hotpathimpl.Send(plain, 1); sink += hotpathimpl.Recv(plain) }},
	}
	const batch, rounds = 2000, 300
	best := make([]time.Duration, len(probes))
	for range b.N {
		for range rounds {
			for i, p := range probes {
				d := runBatch(1, batch, p.call)
				if best[i] == 0 || d < best[i] {
					best[i] = d
				}
			}
		}
	}
	for i, p := range probes {
		b.ReportMetric(float64(best[i])/batch, p.name+"-ns")
		if i > 0 {
			b.ReportMetric(float64(best[i])/float64(best[0]), p.name+"-x")
		}
	}
	floorSum += int64(sink)
	_ = keep
}

package core

import (
	"runtime"
	"testing"
)

var benchSite = ChanSite{Label: "bench", Type: "chan int", Site: "bench_test.go:1"}

var benchSink int

// BenchmarkChanPair is the figure the design asks for: a send and a receive
// on a buffered channel that never blocks, raw against instrumented as
// generated code performs them (SendTo(ch).SendAt, RecvAt, each operation
// with its ChanOp), in one run. "untracked" is the cost for channels that
// no directive made, with tracked channels alive so that the index is not
// empty. The "-lookup" cases are the operations without a ChanOp, which
// look the channel up every time (what the generator wrote before).
func BenchmarkChanPair(b *testing.B) {
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		ch := make(chan int, 8)
		for i := range b.N {
			ch <- i
			benchSink += <-ch
		}
	})
	b.Run("tracked", func(b *testing.B) {
		b.ReportAllocs()
		ch := Track(&benchSite, make(chan int, 8))
		var send, recv ChanOp
		for i := range b.N {
			SendTo(ch).SendAt(&send, i)
			benchSink += RecvAt(&recv, ch)
		}
	})
	keep := make([]chan int, 100)
	for i := range keep {
		keep[i] = Track(&benchSite, make(chan int, 1))
	}
	b.Run("untracked", func(b *testing.B) {
		b.ReportAllocs()
		ch := make(chan int, 8)
		var send, recv ChanOp
		for i := range b.N {
			SendTo(ch).SendAt(&send, i)
			benchSink += RecvAt(&recv, ch)
		}
	})
	b.Run("tracked-lookup", func(b *testing.B) {
		b.ReportAllocs()
		ch := Track(&benchSite, make(chan int, 8))
		for i := range b.N {
			Send(ch, i)
			benchSink += Recv(ch)
		}
	})
	b.Run("untracked-lookup", func(b *testing.B) {
		b.ReportAllocs()
		ch := make(chan int, 8)
		for i := range b.N {
			Send(ch, i)
			benchSink += Recv(ch)
		}
	})
	runtime.KeepAlive(keep)
}

// BenchmarkChanSelect is the pair through a select with a default case, as
// the generator rewrites one: the non-blocking attempt succeeds.
func BenchmarkChanSelect(b *testing.B) {
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		ch := make(chan int, 8)
		for i := range b.N {
			select {
			case ch <- i:
			default:
			}
			select {
			case v := <-ch:
				benchSink += v
			default:
			}
		}
	})
	b.Run("tracked", func(b *testing.B) {
		b.ReportAllocs()
		ch := Track(&benchSite, make(chan int, 8))
		var send, recv ChanOp
		for i := range b.N {
			select {
			case ch <- SendTo(ch).Value(i):
				SelectSentAt(&send, ch, 0)
			default:
			}
			select {
			case v, ok := <-ch:
				SelectRecvAt(&recv, ch, ok, 0)
				benchSink += v
			default:
			}
		}
	})
}

// BenchmarkChanBlocking passes a value back and forth over two unbuffered
// channels, so every operation waits for the other goroutine: the path
// that reads the clock and records into a histogram.
func BenchmarkChanBlocking(b *testing.B) {
	run := func(b *testing.B, ping, pong chan int, send func(chan int, int), recv func(chan int) int) {
		b.ReportAllocs()
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range b.N {
				send(pong, recv(ping))
			}
		}()
		for i := range b.N {
			send(ping, i)
			benchSink += recv(pong)
		}
		<-done
	}
	b.Run("raw", func(b *testing.B) {
		run(b, make(chan int), make(chan int),
			func(ch chan int, v int) { ch <- v },
			func(ch chan int) int { return <-ch })
	})
	b.Run("tracked", func(b *testing.B) {
		// One ChanOp per operation in the source, shared by the two
		// goroutines and their two channels, as generated code has it.
		var send, recv ChanOp
		run(b, Track(&benchSite, make(chan int)), Track(&benchSite, make(chan int)),
			func(ch chan int, v int) { SendTo(ch).SendAt(&send, v) },
			func(ch chan int) int { return RecvAt(&recv, ch) })
	})
}

// BenchmarkChanParallel runs the non-blocking pair on every P at once, one
// channel per goroutine, all from one site: the site's counters are
// sharded by P, so this scales like the raw operations. "tracked" shares
// its two ChanOps between the goroutines, as generated code does when
// goroutines run one function on channels of their own; "tracked-own"
// gives each goroutine ChanOps of its own.
func BenchmarkChanParallel(b *testing.B) {
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			ch := make(chan int, 8)
			s := 0
			for pb.Next() {
				ch <- 1
				s += <-ch
			}
			_ = s
		})
	})
	b.Run("tracked", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			ch := Track(&benchSite, make(chan int, 8))
			s := 0
			for pb.Next() {
				SendTo(ch).SendAt(&parSend, 1)
				s += RecvAt(&parRecv, ch)
			}
			_ = s
		})
	})
	b.Run("tracked-own", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			ch := Track(&benchSite, make(chan int, 8))
			var send, recv ChanOp
			s := 0
			for pb.Next() {
				SendTo(ch).SendAt(&send, 1)
				s += RecvAt(&recv, ch)
			}
			_ = s
		})
	})
	b.Run("tracked-lookup", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			ch := Track(&benchSite, make(chan int, 8))
			s := 0
			for pb.Next() {
				Send(ch, 1)
				s += Recv(ch)
			}
			_ = s
		})
	})
}

var parSend, parRecv ChanOp

// BenchmarkChanTrack is the price of making a channel at a directive's
// site: entering it, weakly, in the index of tracked channels.
func BenchmarkChanTrack(b *testing.B) {
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			ch := make(chan int, 1)
			ch <- 1
			benchSink += <-ch
		}
	})
	b.Run("tracked", func(b *testing.B) {
		b.ReportAllocs()
		var send, recv ChanOp
		for range b.N {
			ch := Track(&benchSite, make(chan int, 1))
			SendTo(ch).SendAt(&send, 1)
			benchSink += RecvAt(&recv, ch)
		}
	})
}

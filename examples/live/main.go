//go:build !hotpath

// Command live is a small program to watch in the live view
// (docs/LIVE.md): a producer goroutine hashes blocks and sends them on a
// measured channel to a consumer goroutine that counts them under a
// measured mutex and waits a little per hundred blocks, until it is
// interrupted or --for has passed.
//
//	go generate ./examples/live
//	HOTPATH_HTTP=127.0.0.1:6770 go run -tags hotpath ./examples/live
//
// then open http://127.0.0.1:6770/debug/hotpath/ or run
// "go run ./cmd/hotpathgen top". The browser test of runtime/live runs it.
package main

//go:generate go tool hotpathgen

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"time"

	hotpath "github.com/hotpath-go/hotpath/runtime"
)

// checksum hashes one block.
//
//hotpath:measure
func checksum(block []byte) [32]byte {
	return sha256.Sum256(block)
}

// produce hashes blocks and sends their sums until stop is closed.
//
//hotpath:measure
func produce(out chan<- [32]byte, stop <-chan struct{}) {
	defer close(out)
	block := make([]byte, 4096)
	for i := 0; ; i++ {
		block[i%len(block)]++
		sum := checksum(block)
		select {
		case out <- sum:
		case <-stop:
			return
		}
	}
}

// consumedMu guards consumed, the sums received so far, which the
// consumer updates per sum and main reads once the consumer has ended.
//
//hotpath:mutex label=consumed
var consumedMu sync.Mutex

var consumed int

// consume receives sums, counts them, and pauses after every hundredth, as a program
// writing its results somewhere slow would.
//
//hotpath:measure
func consume(in <-chan [32]byte) {
	n := 0
	for range in {
		n++
		consumedMu.Lock()
		consumed = n
		consumedMu.Unlock()
		if n%100 == 0 {
			//hotpath:block flush
			time.Sleep(time.Millisecond)
		}
	}
}

func main() {
	runFor := flag.Duration("for", 0, "stop after this `duration` (default: run until interrupted)")
	flag.Parse()
	g := hotpath.Start(hotpath.Options{Name: "live", Format: hotpath.FormatNone})

	stop := make(chan struct{})
	//hotpath:channel label=sums
	sums := make(chan [32]byte, 64)
	//hotpath:go label=producer
	go produce(sums, stop)
	done := make(chan struct{})
	//hotpath:go label=consumer
	go func() {
		defer close(done)
		consume(sums)
	}()

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	var timeout <-chan time.Time
	if *runFor > 0 {
		timeout = time.After(*runFor)
	}
	select {
	case <-sig:
	case <-timeout:
	}
	close(stop)
	<-done
	consumedMu.Lock()
	n := consumed
	consumedMu.Unlock()
	if err := g.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("blocks:", n)
}

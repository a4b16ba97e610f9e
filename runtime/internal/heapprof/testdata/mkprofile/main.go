// Command mkprofile writes the real heap profile the heapprof tests and
// fuzz seeds decode: a small program's allocations at MemProfileRate 1,
// written by runtime/pprof and stored uncompressed, as Decode takes it.
//
//	go run ./runtime/internal/heapprof/testdata/mkprofile runtime/internal/heapprof/testdata/heap.pb
package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
)

var sink [][]byte

//go:noinline
func allocSmall(n int) {
	for range n {
		b := make([]byte, 48) // line 23, which the tests look for
		sink = append(sink, b)
	}
}

//go:noinline
func allocLarge(n int) {
	for range n {
		sink = append(sink, make([]byte, 64<<10))
	}
}

// allocInlined is small enough to be inlined into main, so its location
// has two frames.
func allocInlined() []byte { return make([]byte, 200) }

func main() {
	runtime.MemProfileRate = 1
	allocSmall(100)
	allocLarge(3)
	for range 5 {
		sink = append(sink, allocInlined())
	}
	runtime.GC()
	var gz bytes.Buffer
	if err := pprof.Lookup("allocs").WriteTo(&gz, 0); err != nil {
		fail(err)
	}
	zr, err := gzip.NewReader(&gz)
	if err != nil {
		fail(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		fail(err)
	}
	if len(os.Args) != 2 {
		fail(fmt.Errorf("usage: mkprofile OUTPUT"))
	}
	if err := os.WriteFile(os.Args[1], raw, 0o644); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "mkprofile:", err)
	os.Exit(1)
}

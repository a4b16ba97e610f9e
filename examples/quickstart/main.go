//go:build !hotpath

// Command quickstart is the smallest program profiled with hotpath: three
// measured functions, one measured block, and a guard in main that prints
// the report when the program ends.
//
//	go generate ./examples/quickstart
//	go run -tags hotpath ./examples/quickstart
//
// Without -tags hotpath the same program runs uninstrumented and the guard
// reports nothing.
package main

//go:generate go tool hotpathgen

import (
	"crypto/sha256"
	"fmt"
	"os"
	"strings"
	"time"

	hotpath "github.com/hotpath-go/hotpath/runtime"
)

// parse splits a line into fields.
//
//hotpath:measure
func parse(line string) []string {
	return strings.Fields(line)
}

// digest hashes the fields.
//
//hotpath:measure
func digest(fields []string) [32]byte {
	h := sha256.New()
	for _, f := range fields {
		h.Write([]byte(f))
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

// process runs the pipeline over every line and waits a little per batch,
// as a program waiting on I/O would.
//
//hotpath:measure
func process(lines []string) int {
	n := 0
	for i, l := range lines {
		sum := digest(parse(l))
		n += int(sum[0] & 1)
		if i%100 == 99 {
			//hotpath:block batch_wait
			time.Sleep(200 * time.Microsecond)
		}
	}
	return n
}

func main() {
	g := hotpath.Start(hotpath.Options{Name: "quickstart"})
	lines := make([]string, 1000)
	for i := range lines {
		lines[i] = fmt.Sprintf("line %d of the quickstart input with a few words", i)
	}
	fmt.Println("odd digests:", process(lines))
	if err := g.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if !hotpath.Enabled {
		// Untagged, the guard measured nothing and wrote nothing.
		fmt.Println("built without -tags hotpath: no profile (go run -tags hotpath ./examples/quickstart)")
	}
}

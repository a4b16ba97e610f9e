//go:build !hotpath

package tests

import (
	"context"
	"io/fs"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotpath-go/hotpath/kithara/worker"
	"github.com/hotpath-go/hotpath/testdata/fixtures"
)

// The sources and data below serve the profiling tests and the benchmarks
// alike, so they are in both builds.

// seek moves a test source to pos in epoch.
type seek struct {
	pos   int
	epoch uint64
}

// counter is an AsyncSource of the ints pos, pos+1, ... n-1 and then an
// EOF item with Data -1. It counts its fetches.
type counter struct {
	n, pos  int
	epoch   uint64
	fetched atomic.Int64
}

func (c *counter) FetchNext(context.Context) worker.Fetch[int] {
	c.fetched.Add(1)
	if c.pos >= c.n {
		return worker.Fetch[int]{Data: -1, EOF: true, Epoch: c.epoch}
	}
	c.pos++
	return worker.Fetch[int]{Data: c.pos - 1, Epoch: c.epoch}
}

func (c *counter) HandleCommand(cmd seek) uint64 {
	c.pos, c.epoch = cmd.pos, cmd.epoch
	return c.epoch
}

func (c *counter) Epoch() uint64 { return c.epoch }

// syncCounter is counter as a SyncSource whose every fetch blocks for
// pause first, like a decoder reading from a slow disk.
type syncCounter struct {
	counter
	pause time.Duration
}

func (c *syncCounter) FetchNext() worker.Fetch[int] {
	time.Sleep(c.pause)
	return c.counter.FetchNext(context.Background())
}

func (c *syncCounter) HandleCommand(cmd seek) { c.counter.HandleCommand(cmd) }

// run starts a worker's Run and returns a channel that delivers its result.
func run(ctx context.Context, fn func(context.Context) error) <-chan error {
	errc := make(chan error, 1)
	go func() { errc <- fn(ctx) }()
	return errc
}

// randomBytes returns n bytes from a fixed seed.
func randomBytes(n int) []byte {
	var seed [32]byte
	seed[0] = byte(n)
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(seed).Read(b) // never fails
	return b
}

// fixture returns the bytes of a fixture file.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(fixtures.FS, name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

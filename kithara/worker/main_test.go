//go:build !hotpath

package worker

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// guard bounds every wait in these tests. It only turns a hang into a failure;
// no test needs it to elapse to pass.
const guard = 10 * time.Second

// seek moves a test source to pos in epoch.
type seek struct {
	pos   int
	epoch uint64
}

// counter is an AsyncSource of the ints pos, pos+1, ... n-1, then an EOF item
// with Data -1. Hooks run on the worker's fetch goroutine.
type counter struct {
	n     int
	pos   int
	epoch uint64

	fetches atomic.Int64
	handled atomic.Int64
	// onFetch, if set, runs at the start of every fetch; a non-nil error makes
	// the fetch return a Data -1 item as if it had been interrupted.
	onFetch func(ctx context.Context, pos int) error
	// onCommand, if set, runs inside HandleCommand.
	onCommand func(cmd seek)
}

func (c *counter) FetchNext(ctx context.Context) Fetch[int] {
	c.fetches.Add(1)
	if c.onFetch != nil {
		if err := c.onFetch(ctx, c.pos); err != nil {
			return Fetch[int]{Data: -1, Epoch: c.epoch}
		}
	}
	if c.pos >= c.n {
		return Fetch[int]{Data: -1, EOF: true, Epoch: c.epoch}
	}
	v := c.pos
	c.pos++
	return Fetch[int]{Data: v, Epoch: c.epoch}
}

func (c *counter) HandleCommand(cmd seek) uint64 {
	c.handled.Add(1)
	if c.onCommand != nil {
		c.onCommand(cmd)
	}
	c.pos, c.epoch = cmd.pos, cmd.epoch
	return c.epoch
}

func (c *counter) Epoch() uint64 { return c.epoch }

// recv receives one item or fails the test after guard.
func recv[T any](t testing.TB, ch <-chan T) T {
	t.Helper()
	select {
	case v, ok := <-ch:
		if !ok {
			t.Fatal("channel closed")
		}
		return v
	case <-time.After(guard):
		t.Fatal("timed out waiting for an item")
	}
	panic("unreachable")
}

// wait waits for ch to be closed or to deliver, or fails the test after guard.
func wait[T any](t testing.TB, ch <-chan T, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(guard):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// runAsync starts w and returns a channel that delivers Run's result.
func runAsync(ctx context.Context, run func(context.Context) error) <-chan error {
	errc := make(chan error, 1)
	go func() { errc <- run(ctx) }()
	return errc
}

// runResult waits for Run's result.
func runResult(t testing.TB, errc <-chan error) error {
	t.Helper()
	select {
	case err := <-errc:
		return err
	case <-time.After(guard):
		t.Fatal("timed out waiting for Run to return")
	}
	return nil
}

// expectClosed checks that ch is closed with nothing left in it that matters:
// items still buffered are drained.
func expectClosed[T any](t testing.TB, ch <-chan T) {
	t.Helper()
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-time.After(guard):
			t.Fatal("data channel not closed")
		}
	}
}

//go:build !hotpath

package stream

import (
	"context"
	"io"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// guard bounds waits that only fail a hung test; no test needs it to pass.
const guard = 10 * time.Second

// pattern returns n bytes that differ from their neighbours at every small
// offset, so a misplaced byte shows.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// hookSource is a MemSource whose WaitRange can be intercepted and whose length
// can be hidden. It does not lend its bytes (it is no Lender): readers copy
// from it.
type hookSource struct {
	MemSource *MemSource
	// wait, if set, runs before the MemSource's WaitRange; an error replaces
	// its answer.
	wait func(ctx context.Context, start, end int64) error
	// read, if set, replaces ReadAt.
	read       func(p []byte, off int64) (int, error)
	hideLength bool
}

func (h *hookSource) WaitRange(ctx context.Context, start, end int64) error {
	if h.wait != nil {
		if err := h.wait(ctx, start, end); err != nil {
			return err
		}
	}
	return h.MemSource.WaitRange(ctx, start, end)
}

func (h *hookSource) ReadAt(p []byte, off int64) (int, error) {
	if h.read != nil {
		return h.read(p, off)
	}
	return h.MemSource.ReadAt(p, off)
}

func (h *hookSource) Len() (int64, bool) {
	if h.hideLength {
		return 0, false
	}
	return h.MemSource.Len()
}

// growingSource serves bytes that arrive over time, as a download does.
type growingSource struct {
	all []byte

	mu      sync.Mutex
	avail   int
	done    bool
	changed chan struct{} // closed and replaced whenever avail or done change
}

func newGrowingSource(all []byte) *growingSource {
	return &growingSource{all: all, changed: make(chan struct{})}
}

// grow makes n more bytes available, and marks the end once all are.
func (g *growingSource) grow(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.avail = min(g.avail+n, len(g.all))
	g.done = g.avail == len(g.all)
	close(g.changed)
	g.changed = make(chan struct{})
}

func (g *growingSource) WaitRange(ctx context.Context, start, end int64) error {
	for {
		g.mu.Lock()
		avail, done, changed := int64(g.avail), g.done, g.changed
		g.mu.Unlock()
		switch {
		case done && start >= avail:
			return io.EOF
		case avail >= end || (done && start < avail):
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (g *growingSource) ReadAt(p []byte, off int64) (int, error) {
	g.mu.Lock()
	avail := g.avail
	g.mu.Unlock()
	if off >= int64(avail) {
		return 0, io.EOF
	}
	return copy(p, g.all[off:avail]), nil
}

func (g *growingSource) Len() (int64, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return int64(g.avail), g.done
}

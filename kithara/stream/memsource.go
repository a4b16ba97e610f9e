package stream

import (
	"context"
	"fmt"
	"io"
)

// MemSource is a [Source] over bytes that are all present: WaitRange never
// waits. It serves tests and benchmarks, and callers that already hold a
// whole file in memory.
type MemSource struct {
	b []byte
}

// NewMemSource returns a Source over b. It does not copy b; the caller must not
// modify it while the source is in use.
func NewMemSource(b []byte) *MemSource { return &MemSource{b: b} }

// WaitRange reports io.EOF when start is at or past the end and nil otherwise;
// a done ctx wins over both.
func (m *MemSource) WaitRange(ctx context.Context, start, end int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if start < 0 || end < start {
		return fmt.Errorf("wait range [%d, %d): %w", start, end, ErrInvalidRange)
	}
	if start >= int64(len(m.b)) {
		return io.EOF
	}
	return nil
}

// ReadAt implements io.ReaderAt.
func (m *MemSource) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("read at %d: %w", off, ErrInvalidRange)
	}
	if off >= int64(len(m.b)) {
		return 0, io.EOF
	}
	n := copy(p, m.b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Lend implements Lender: it returns b[off:off+n], shorter with io.EOF at
// the end.
func (m *MemSource) Lend(off int64, n int) ([]byte, error) {
	if off < 0 || n < 0 {
		return nil, fmt.Errorf("lend %d bytes at %d: %w", n, off, ErrInvalidRange)
	}
	if off >= int64(len(m.b)) {
		return nil, io.EOF
	}
	rest := m.b[off:]
	if len(rest) <= n {
		return rest[:len(rest):len(rest)], io.EOF
	}
	return rest[:n:n], nil
}

var _ Lender = (*MemSource)(nil)

// Len reports the length of the bytes; it is always known.
func (m *MemSource) Len() (int64, bool) { return int64(len(m.b)), true }

package decode

import (
	"bufio"
	"fmt"
	"io"
)

// seekReader buffers an io.ReadSeeker and tracks the offset of the next
// unread byte, so framing code can peek ahead and skip bytes one at a time
// without issuing reads (or seeks, which restart a streaming reader) for each.
type seekReader struct {
	rs  io.ReadSeeker
	br  *bufio.Reader
	pos int64
}

// seekReaderSize holds the largest MPEG frame plus the next header with room
// to spare.
const seekReaderSize = 16 << 10

func newSeekReader(rs io.ReadSeeker) *seekReader {
	return &seekReader{rs: rs, br: bufio.NewReaderSize(rs, seekReaderSize)}
}

// peek returns the next n bytes without consuming them; fewer, with the
// error, near the end of the stream. The bytes are valid until the next call.
func (r *seekReader) peek(n int) ([]byte, error) {
	return r.br.Peek(n)
}

// discard skips n bytes.
func (r *seekReader) discard(n int) (int, error) {
	d, err := r.br.Discard(n)
	r.pos += int64(d)
	return d, err
}

// seek moves to the absolute offset off.
func (r *seekReader) seek(off int64) error {
	if _, err := r.rs.Seek(off, io.SeekStart); err != nil {
		return fmt.Errorf("seek to byte %d: %w", off, err)
	}
	r.br.Reset(r.rs)
	r.pos = off
	return nil
}

//go:build !hotpath

package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/hotpath-go/hotpath/kithara/bufpool"
	"github.com/hotpath-go/hotpath/kithara/worker"
)

// DefaultChunkSize is the largest chunk a BytePrefetchSource hands over.
const DefaultChunkSize = 64 << 10

// fillDivisor sets the smallest chunk worth waiting for, as a fraction of the
// chunk size: 4 KiB for DefaultChunkSize. See BytePrefetchSource.
const fillDivisor = 16

// Chunk is a run of bytes fetched from a Source, or the error that stopped
// the fetch.
type Chunk struct {
	// Offset is the position of Data[0] in the source.
	Offset int64
	// Data holds the bytes; it comes from a buffer pool, see Release, or is
	// lent by a Lender (then Release does nothing). Data is read-only.
	Data []byte
	// Err is the source's error, set on a final (EOF) item instead of Data.
	Err error

	pool *bufpool.Pool[byte]
}

// Release returns Data to its pool. Neither this chunk nor any copy of it may
// be used afterwards, and it must be released at most once.
func (c Chunk) Release() {
	if c.pool != nil && c.Data != nil {
		c.pool.Put(c.Data)
	}
}

// SeekCmd moves a BytePrefetchSource to Pos and into Epoch.
type SeekCmd struct {
	Pos   int64
	Epoch uint64
}

// BytePrefetchSource reads a Source front to back in chunks of at most the
// chunk size. It is a [worker.AsyncSource]: run it on a [worker.AsyncWorker]
// and steer it with [SeekCmd]s.
//
// A fetch waits for the first byte at the position only, then hands over
// every byte that is there, up to the chunk size: a reader starts as soon as
// anything has arrived rather than when a whole chunk has. To keep a reader
// that has caught up with a download from receiving a chunk per network
// packet, a fetch that finds less than a sixteenth of the chunk size there
// waits once more, for that much or the end of the data, and then hands over
// what it has; the first fetch after a start or a seek does not, because
// that is when a reader waits for its first bytes.
type BytePrefetchSource struct {
	src       Source
	chunkSize int
	fillSize  int
	pool      *bufpool.Pool[byte]
	pos       int64
	epoch     uint64
	// started is set once a chunk has been handed over since the start or
	// the last seek.
	started bool
}

var _ worker.AsyncSource[Chunk, SeekCmd] = (*BytePrefetchSource)(nil)

// NewBytePrefetchSource returns a prefetch source over src that starts at
// offset 0 in epoch 0. A chunkSize below 1 means DefaultChunkSize. Chunk
// buffers come from bufpool.Bytes.
func NewBytePrefetchSource(src Source, chunkSize int) *BytePrefetchSource {
	if chunkSize < 1 {
		chunkSize = DefaultChunkSize
	}
	return &BytePrefetchSource{
		src:       src,
		chunkSize: chunkSize,
		fillSize:  max(chunkSize/fillDivisor, 1),
		pool:      bufpool.Bytes,
	}
}

// FetchNext waits for the next chunk and returns it. At the end of the source
// it returns an empty EOF item; when the source fails, an EOF item whose
// Chunk.Err holds the error.
func (s *BytePrefetchSource) FetchNext(ctx context.Context) worker.Fetch[Chunk] {
	return s.fetchNext(ctx)
}

// fetchNext waits for the first byte at the position, reads what is there
// into a pooled buffer and returns it with the current epoch.
//
//hotpath:measure
func (s *BytePrefetchSource) fetchNext(ctx context.Context) worker.Fetch[Chunk] {
	start := s.pos
	//hotpath:block wait_range
	err := s.src.WaitRange(ctx, start, addClamped(start, 1))
	if err != nil {
		if errors.Is(err, io.EOF) {
			return s.final(start, nil)
		}
		return s.final(start, fmt.Errorf("stream: wait at %d: %w", start, err))
	}

	if l, ok := s.src.(Lender); ok {
		return s.lend(ctx, l, start)
	}
	buf := s.pool.Get(s.chunkSize)
	n, err := s.readAt(buf, start)
	if n > 0 && n < s.fillSize && s.started && !errors.Is(err, io.EOF) {
		n = s.fill(ctx, buf, start, n)
	}
	if n > 0 {
		// A read error after some bytes is left for the next fetch to meet
		// again, from the first byte not yet delivered.
		s.pos = start + int64(n)
		s.started = true
		return worker.Fetch[Chunk]{
			Data:  Chunk{Offset: start, Data: buf[:n], pool: s.pool},
			Epoch: s.epoch,
		}
	}
	s.pool.Put(buf)
	switch {
	case err == nil:
		err = ErrNoProgress
	case errors.Is(err, io.EOF):
		return s.final(start, nil)
	}
	return s.final(start, fmt.Errorf("stream: read at %d: %w", start, err))
}

// lend is fetchNext for a Lender, after the first byte at start is there:
// the chunk is the lent bytes themselves, with no pool to return them to. The
// same rules hold for a short chunk and for errors.
func (s *BytePrefetchSource) lend(ctx context.Context, l Lender, start int64) worker.Fetch[Chunk] {
	b, err := l.Lend(start, s.chunkSize)
	b = b[:min(len(b), s.chunkSize)]
	if len(b) > 0 && len(b) < s.fillSize && s.started && !errors.Is(err, io.EOF) {
		if s.src.WaitRange(ctx, start+int64(len(b)), addClamped(start, int64(s.fillSize))) == nil {
			if more, _ := l.Lend(start, s.chunkSize); len(more) > len(b) {
				b = more[:min(len(more), s.chunkSize)]
			}
		}
	}
	if len(b) > 0 {
		s.pos = start + int64(len(b))
		s.started = true
		return worker.Fetch[Chunk]{Data: Chunk{Offset: start, Data: b}, Epoch: s.epoch}
	}
	switch {
	case err == nil:
		err = ErrNoProgress
	case errors.Is(err, io.EOF):
		return s.final(start, nil)
	}
	return s.final(start, fmt.Errorf("stream: lend at %d: %w", start, err))
}

// readAt reads into buf at off, with the count clamped to buf whatever the
// source says.
func (s *BytePrefetchSource) readAt(buf []byte, off int64) (int, error) {
	n, err := s.src.ReadAt(buf, off)
	return min(max(n, 0), len(buf)), err
}

// fill tops up a short chunk: buf holds n bytes read at start, fewer than the
// fill size. It waits until the fill size is there or the data ends inside
// it, then reads what follows into buf, and returns the new count. Whatever
// stops it early (the end, a failure, ctx) is left for the next fetch, so it
// returns at least n.
func (s *BytePrefetchSource) fill(ctx context.Context, buf []byte, start int64, n int) int {
	at := start + int64(n)
	if s.src.WaitRange(ctx, at, addClamped(start, int64(s.fillSize))) != nil {
		return n
	}
	m, _ := s.readAt(buf[n:], at)
	return n + m
}

// addClamped returns off+n, or math.MaxInt64 where that overflows.
func addClamped(off, n int64) int64 {
	if off > math.MaxInt64-n {
		return math.MaxInt64
	}
	return off + n
}

// final is the last item before the worker waits for a seek: the end of the
// source, or its failure.
func (s *BytePrefetchSource) final(off int64, err error) worker.Fetch[Chunk] {
	return worker.Fetch[Chunk]{Data: Chunk{Offset: off, Err: err}, EOF: true, Epoch: s.epoch}
}

// HandleCommand moves the source to cmd.Pos in cmd.Epoch and returns the epoch.
func (s *BytePrefetchSource) HandleCommand(cmd SeekCmd) uint64 {
	s.pos = cmd.Pos
	s.epoch = cmd.Epoch
	s.started = false
	return s.epoch
}

// Epoch reports the epoch of the source's current position.
func (s *BytePrefetchSource) Epoch() uint64 { return s.epoch }

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

// DefaultChunkSize is the size of the chunks a BytePrefetchSource fetches.
const DefaultChunkSize = 64 << 10

// Chunk is a run of bytes fetched from a Source, or the error that stopped
// the fetch.
type Chunk struct {
	// Offset is the position of Data[0] in the source.
	Offset int64
	// Data holds the bytes; it comes from a buffer pool, see Release.
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

// BytePrefetchSource reads a Source front to back in fixed-size chunks. It is
// a [worker.AsyncSource]: run it on a [worker.AsyncWorker] and steer it with
// [SeekCmd]s.
type BytePrefetchSource struct {
	src       Source
	chunkSize int
	pool      *bufpool.Pool[byte]
	pos       int64
	epoch     uint64
}

var _ worker.AsyncSource[Chunk, SeekCmd] = (*BytePrefetchSource)(nil)

// NewBytePrefetchSource returns a prefetch source over src that starts at
// offset 0 in epoch 0. A chunkSize below 1 means DefaultChunkSize. Chunk
// buffers come from bufpool.Bytes.
func NewBytePrefetchSource(src Source, chunkSize int) *BytePrefetchSource {
	if chunkSize < 1 {
		chunkSize = DefaultChunkSize
	}
	return &BytePrefetchSource{src: src, chunkSize: chunkSize, pool: bufpool.Bytes}
}

// FetchNext waits for the next chunk and returns it. At the end of the source
// it returns an empty EOF item; when the source fails, an EOF item whose
// Chunk.Err holds the error.
func (s *BytePrefetchSource) FetchNext(ctx context.Context) worker.Fetch[Chunk] {
	return s.fetchNext(ctx)
}

// fetchNext waits for the next chunk's range, reads it into a pooled
// buffer and returns it with the current epoch.
//
//hotpath:measure
func (s *BytePrefetchSource) fetchNext(ctx context.Context) worker.Fetch[Chunk] {
	start := s.pos
	end := start + int64(s.chunkSize)
	if end < start {
		end = math.MaxInt64
	}
	//hotpath:block wait_range
	err := s.src.WaitRange(ctx, start, end)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return s.final(start, nil)
		}
		return s.final(start, fmt.Errorf("stream: wait for bytes [%d, %d): %w", start, end, err))
	}

	buf := s.pool.Get(s.chunkSize)
	n, err := s.src.ReadAt(buf, start)
	n = min(max(n, 0), len(buf))
	if n > 0 {
		// A read error after some bytes is left for the next fetch to meet
		// again, from the first byte not yet delivered.
		s.pos = start + int64(n)
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

// final is the last item before the worker waits for a seek: the end of the
// source, or its failure.
func (s *BytePrefetchSource) final(off int64, err error) worker.Fetch[Chunk] {
	return worker.Fetch[Chunk]{Data: Chunk{Offset: off, Err: err}, EOF: true, Epoch: s.epoch}
}

// HandleCommand moves the source to cmd.Pos in cmd.Epoch and returns the epoch.
func (s *BytePrefetchSource) HandleCommand(cmd SeekCmd) uint64 {
	s.pos = cmd.Pos
	s.epoch = cmd.Epoch
	return s.epoch
}

// Epoch reports the epoch of the source's current position.
func (s *BytePrefetchSource) Epoch() uint64 { return s.epoch }

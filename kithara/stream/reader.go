//go:build !hotpath

package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/hotpath-go/hotpath/kithara/worker"
)

// DefaultPrefetchDepth is how many chunks a SyncReader lets its worker fetch
// ahead of the reader.
const DefaultPrefetchDepth = 4

// ReaderOption configures a SyncReader.
type ReaderOption func(*readerConfig)

type readerConfig struct {
	chunkSize int
	depth     int
}

// WithChunkSize sets the size of the chunks fetched from the source. Values
// below 1 are ignored.
func WithChunkSize(n int) ReaderOption {
	return func(c *readerConfig) {
		if n >= 1 {
			c.chunkSize = n
		}
	}
}

// WithPrefetchDepth sets how many chunks may wait, fetched, for the reader.
// Negative values are ignored.
func WithPrefetchDepth(n int) ReaderOption {
	return func(c *readerConfig) {
		if n >= 0 {
			c.depth = n
		}
	}
}

// SyncReader is an io.ReadSeekCloser over a Source. A prefetch worker fetches
// chunks ahead of the read position; Read blocks until the next bytes are
// there, the source ends (io.EOF) or fails (its error), or the reader's
// context is done (ctx.Err()).
//
// Seeking anywhere at or after 0 is allowed, past the end too (reads there
// return io.EOF); a seek inside the chunk being read costs nothing, any other
// seek restarts the worker at the new position in a new epoch. An error from
// the source is returned by every Read until a Seek, which retries.
//
// Over a [Lender] there is no worker and no chunk: Read waits for the bytes
// at the read position itself and copies what the source lends straight into
// the caller's buffer, one copy in all, as a bytes.Reader does. The chunk size
// and prefetch depth do not apply; errors, seeks and the context behave the
// same.
//
// A SyncReader is not safe for concurrent use. Close it to stop its worker.
type SyncReader struct {
	src    Source
	lender Lender // src, when it lends its bytes: then there is no worker
	w      *worker.AsyncWorker[Chunk, SeekCmd]
	cmds   chan<- SeekCmd
	data   <-chan worker.Fetch[Chunk]
	ctx    context.Context
	cancel context.CancelFunc

	epochs worker.EpochValidator
	pos    int64
	cur    Chunk // cur.Data[off:] is unread and starts at pos
	off    int
	eof    bool  // no bytes follow cur in this epoch
	err    error // the source failed at pos in this epoch
	closed bool
}

var _ io.ReadSeekCloser = (*SyncReader)(nil)

// NewSyncReader returns a reader at offset 0 of src and starts its prefetch
// worker, which runs until Close or until ctx is done.
func NewSyncReader(ctx context.Context, src Source, opts ...ReaderOption) *SyncReader {
	cfg := readerConfig{chunkSize: DefaultChunkSize, depth: DefaultPrefetchDepth}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	if l, ok := src.(Lender); ok {
		return &SyncReader{src: src, lender: l, ctx: ctx, cancel: cancel}
	}
	w := worker.NewAsyncWorker(NewBytePrefetchSource(src, cfg.chunkSize), worker.WithDataCapacity(cfg.depth))
	r := &SyncReader{src: src, w: w, cmds: w.Commands(), data: w.Data(), ctx: ctx, cancel: cancel}
	//hotpath:go label=stream_worker
	go func() { _ = w.Run(ctx) }() // its result is seen through the data channel
	return r
}

// Read implements io.Reader.
func (r *SyncReader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, ErrClosed
	}
	if len(p) == 0 {
		return 0, nil
	}
	if r.lender != nil {
		return r.readLent(p)
	}
	for r.off >= len(r.cur.Data) {
		if err := r.recvChunk(); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.cur.Data[r.off:])
	r.off += n
	r.pos += int64(n)
	// A chunk read to its end stays until the next one arrives, so a seek
	// back into it stays free.
	return n, nil
}

// readLent is Read over a Lender: it waits for the first byte at the read
// position, then copies what the source lends from there. The errors are the
// worker's: a failure sticks until a Seek.
func (r *SyncReader) readLent(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	start := r.pos
	if err := r.src.WaitRange(r.ctx, start, addClamped(start, 1)); err != nil {
		switch {
		case errors.Is(err, io.EOF):
			return 0, io.EOF
		case r.ctx.Err() != nil:
			return 0, r.ctx.Err()
		}
		r.err = fmt.Errorf("stream: wait at %d: %w", start, err)
		return 0, r.err
	}
	b, err := r.lender.Lend(start, len(p))
	n := copy(p, b)
	r.pos += int64(n)
	switch {
	case n > 0:
		// A failure after some bytes is met again by the next Read.
		return n, nil
	case err == nil:
		err = ErrNoProgress
	case errors.Is(err, io.EOF):
		return 0, io.EOF
	}
	r.err = fmt.Errorf("stream: read at %d: %w", start, err)
	return 0, r.err
}

// recvChunk makes the next chunk of the current epoch the current chunk, or
// returns why there is none.
//
//hotpath:measure
func (r *SyncReader) recvChunk() error {
	r.dropChunk()
	for {
		if r.err != nil {
			return r.err
		}
		if r.eof {
			return io.EOF
		}
		if err := r.ctx.Err(); err != nil {
			return err
		}
		f, ok := <-r.data
		if !ok {
			if err := r.ctx.Err(); err != nil {
				return err
			}
			return ErrWorkerStopped
		}
		if !r.epochs.Valid(f.Epoch) {
			f.Data.Release()
			continue
		}
		c := f.Data
		r.eof = f.EOF
		switch {
		case c.Err != nil:
			r.err = c.Err
			c.Release()
		case c.Offset != r.pos:
			// Within one epoch the worker delivers contiguous chunks from the
			// seek target; anything else is a broken source or worker.
			r.err = fmt.Errorf("stream: chunk at offset %d, reader at %d", c.Offset, r.pos)
			c.Release()
		case len(c.Data) == 0:
			c.Release()
		default:
			r.cur, r.off = c, 0
			return nil
		}
	}
}

// dropChunk returns the current chunk to its pool.
func (r *SyncReader) dropChunk() {
	r.cur.Release()
	r.cur, r.off = Chunk{}, 0
}

// Seek implements io.Seeker. Seeking relative to the end needs a known length
// (ErrUnknownLength otherwise); a target before 0 is ErrNegativePosition.
func (r *SyncReader) Seek(offset int64, whence int) (int64, error) {
	if r.closed {
		return 0, ErrClosed
	}
	var base int64
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		base = r.pos
	case io.SeekEnd:
		n, known := r.src.Len()
		if !known {
			return 0, fmt.Errorf("stream: seek %d from end: %w", offset, ErrUnknownLength)
		}
		base = n
	default:
		return 0, fmt.Errorf("stream: seek: %w %d", ErrInvalidWhence, whence)
	}
	if offset > 0 && base > math.MaxInt64-offset {
		return 0, fmt.Errorf("stream: seek %d from %d: position overflows int64", offset, base)
	}
	target := base + offset
	if target < 0 {
		return 0, fmt.Errorf("stream: seek to %d: %w", target, ErrNegativePosition)
	}
	r.seekTo(target)
	return target, nil
}

func (r *SyncReader) seekTo(target int64) {
	if r.lender != nil {
		r.pos, r.err = target, nil
		return
	}
	if r.err == nil {
		if target == r.pos {
			return
		}
		// Inside the current chunk the worker's stream still lines up: the
		// next chunk starts where this one ends.
		if start := r.cur.Offset; len(r.cur.Data) > 0 && target >= start && target < start+int64(len(r.cur.Data)) {
			r.off = int(target - start)
			r.pos = target
			return
		}
	}
	r.dropChunk()
	r.pos, r.eof, r.err = target, false, nil
	cmd := SeekCmd{Pos: target, Epoch: r.epochs.Next()}
	select {
	case r.cmds <- cmd:
	case <-r.w.Done():
		// The worker is gone; the next Read reports why.
	}
}

// Close stops the prefetch worker, waits for it to end and returns the
// buffers it holds. Later calls return nil; Read and Seek return ErrClosed.
func (r *SyncReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.cancel()
	if r.lender != nil {
		return nil
	}
	close(r.cmds)
	<-r.w.Done()
	r.dropChunk()
	for f := range r.data {
		f.Data.Release()
	}
	return nil
}

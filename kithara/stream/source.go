// Package stream turns a random-access byte [Source] that may still be
// arriving (a cache file being downloaded, the byte space of an HLS playlist)
// into a plain [io.ReadSeeker].
//
// A [BytePrefetchSource] walks the source in chunks of up to 64 KiB on a
// [worker.AsyncWorker], handing over whatever has arrived once the first byte
// it needs has; a [SyncReader] receives those chunks, a few ahead of the
// reader, and serves Read and Seek from them. Seeks carry an epoch so that
// chunks fetched for the old position are recognised and dropped.
//
// A Source whose bytes are in memory can say so by being a [Lender]: a
// SyncReader then needs no worker and no chunk, and copies each byte once,
// from the source into the caller's buffer.
package stream

//go:generate go tool hotpathgen

import (
	"context"
	"errors"
)

// Source is random-access bytes that may still be arriving (a cache file
// being downloaded, an HLS byte space).
//
// Implementations must be safe for concurrent use: the prefetch worker calls
// WaitRange and ReadAt while other goroutines may call Len.
//
// Readers wait for little and read much: a BytePrefetchSource waits for the
// first byte it needs, then reads a whole chunk's worth with ReadAt and takes
// the bytes that are there. ReadAt must therefore return every byte that is
// readable from off on, up to len(p), and not only the range last waited for.
type Source interface {
	// WaitRange blocks until bytes [start, end) are readable, or the data ends
	// inside that range (then it returns nil and ReadAt returns the short
	// count), or start is at/past a known end (io.EOF), or the source failed
	// (that error), or ctx is done (ctx.Err()).
	WaitRange(ctx context.Context, start, end int64) error
	// ReadAt reads the bytes readable from off on, up to len(p); it never
	// waits. When it returns fewer than len(p) bytes, it also returns why:
	// io.EOF at the end of the data, an error of the implementation's own
	// for bytes that have not arrived yet (storage.ErrUnavailable, say), or
	// the failure that stopped the data. Bytes a WaitRange reported readable
	// stay readable.
	ReadAt(p []byte, off int64) (int, error)
	// Len reports the total length when it is known.
	Len() (n int64, known bool)
}

// Lender is a Source that can lend its bytes instead of copying them: memory,
// or a mapped file. A SyncReader over a Lender hands the lent bytes from its
// prefetch worker to Read, which copies them once, into the caller's buffer;
// over any other Source the worker copies into a pooled chunk first.
type Lender interface {
	Source
	// Lend returns the bytes readable from off on, up to n, without copying,
	// under ReadAt's rules for a short count and its error. The bytes stay
	// valid and unchanged for as long as the source is in use; the caller
	// must not modify them.
	Lend(off int64, n int) ([]byte, error)
}

// Errors callers may need to tell apart.
var (
	// ErrInvalidRange is returned by a Source for a range with a negative
	// start or an end before its start.
	ErrInvalidRange = errors.New("stream: invalid byte range")
	// ErrNegativePosition is returned by Seek for a target before the start.
	ErrNegativePosition = errors.New("stream: negative position")
	// ErrUnknownLength is returned by Seek relative to the end of a source
	// whose length is not known yet.
	ErrUnknownLength = errors.New("stream: length unknown")
	// ErrInvalidWhence is returned by Seek for a whence other than
	// io.SeekStart, io.SeekCurrent or io.SeekEnd.
	ErrInvalidWhence = errors.New("stream: invalid whence")
	// ErrNoProgress reports a Source that said a range was ready and then
	// read nothing at its start.
	ErrNoProgress = errors.New("stream: source ready but read no bytes")
	// ErrClosed is returned by a closed SyncReader.
	ErrClosed = errors.New("stream: reader closed")
	// ErrWorkerStopped is returned by Read when the prefetch worker has
	// stopped for a reason other than the reader's context.
	ErrWorkerStopped = errors.New("stream: prefetch worker stopped")
)

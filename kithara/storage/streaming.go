//go:build !hotpath

package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
)

// Status is the lifecycle state of a StreamingResource.
type Status int

const (
	// StatusInProgress: bytes may still be written; the length is not known.
	StatusInProgress Status = iota
	// StatusCommitted: every byte up to the final length is on disk and the
	// resource is sealed.
	StatusCommitted
	// StatusFailed: the writer gave up; readers get the failure error.
	StatusFailed
)

func (s Status) String() string {
	switch s {
	case StatusInProgress:
		return "in progress"
	case StatusCommitted:
		return "committed"
	case StatusFailed:
		return "failed"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// StreamingOptions configures OpenStreaming.
type StreamingOptions struct {
	// Truncate discards whatever the file already holds.
	Truncate bool
	// OnCommit, when set, is called once after a successful Commit, outside
	// the resource's locks, with the final length. A cache uses it to record
	// that the file is complete.
	OnCommit func(finalLen int64)
	// Handles, when set, takes the file over once the resource is
	// committed and bounds, with the files of the other resources it holds,
	// how many stay open (see HandleCache). When nil, the file stays open
	// until Close.
	Handles *HandleCache
}

// StreamingResource is a file that one or more writers fill at arbitrary
// offsets while readers wait for the ranges they need. All methods are safe for
// concurrent use.
type StreamingResource struct {
	path     string
	onCommit func(int64)
	claimed  atomic.Bool

	// ioMu guards the file's lifetime and the commit boundary: reads and writes
	// hold it shared, so Commit and Close (exclusive) never race an in-flight
	// pwrite — a commit therefore validates exactly the bytes that are on
	// disk, and no write can land after it.
	//
	//hotpath:mutex
	ioMu sync.RWMutex
	// file is the file opened for writing; nil once a committed resource
	// has given it to handles.
	file    *os.File
	handles *HandleCache
	// handle is the file handles holds for the resource, when it does;
	// guarded by handles.mu.
	handle *handle

	mu        sync.Mutex
	avail     RangeSet
	dirty     bool // written since open: Commit must sync
	status    Status
	finalLen  int64
	failure   error
	closed    bool
	changed   chan struct{} // closed and replaced when watched and state changes
	isWatched bool          // a waiter holds changed; skip the swap otherwise
}

// OpenStreaming opens the file at path as a streaming resource, creating the
// file and its parent directories when missing.
//
// Bytes already in the file are published as available, but the resource is
// not committed: a file on disk cannot tell whether its download finished.
// Call Commit with the known length to seal it, or use opts.Truncate to start
// over.
func OpenStreaming(path string, opts StreamingOptions) (*StreamingResource, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("open streaming %s: %w", path, err)
	}
	flags := os.O_RDWR | os.O_CREATE
	if opts.Truncate {
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open streaming: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open streaming: %w", err)
	}
	r := &StreamingResource{
		path:     path,
		onCommit: opts.OnCommit,
		file:     f,
		handles:  opts.Handles,
		changed:  make(chan struct{}),
	}
	r.avail.Insert(0, info.Size())
	return r, nil
}

// Path returns the file's path.
func (r *StreamingResource) Path() string { return r.path }

// ClaimWriter reports whether the caller is the first to claim the right to
// fill the resource. Parties sharing a resource (two readers of one URL) use it
// so that only one of them downloads while the others wait for its bytes. The
// claim is never released: a writer that gives up calls Fail, and a retry
// starts on a fresh resource.
func (r *StreamingResource) ClaimWriter() bool {
	return r.claimed.CompareAndSwap(false, true)
}

// Status returns the resource's current lifecycle state.
func (r *StreamingResource) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status
}

// Err returns the failure error after Fail, ErrClosed after Close, and nil
// otherwise.
func (r *StreamingResource) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stateErrLocked()
}

// Available returns a snapshot of the byte ranges written so far.
func (r *StreamingResource) Available() []Range {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.avail.Ranges()
}

// Len reports the final length once the resource is committed.
func (r *StreamingResource) Len() (n int64, known bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.status != StatusCommitted {
		return 0, false
	}
	return r.finalLen, true
}

// WriteAt writes p at offset off and publishes the range to waiters once the
// bytes are in the file. It implements io.WriterAt. Writing to a committed,
// failed or closed resource is an error.
//
//hotpath:measure
func (r *StreamingResource) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || int64(len(p)) > math.MaxInt64-off {
		return 0, fmt.Errorf("write %s at %d+%d: %w", r.path, off, len(p), ErrInvalidRange)
	}
	r.ioMu.RLock()
	defer r.ioMu.RUnlock()
	if err := r.writableErr(off); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	n, err := r.file.WriteAt(p, off)
	r.mu.Lock()
	r.avail.Insert(off, off+int64(n))
	r.dirty = true
	r.notifyLocked()
	r.mu.Unlock()
	if err != nil {
		return n, fmt.Errorf("write %s at %d: %w", r.path, off, err)
	}
	return n, nil
}

func (r *StreamingResource) writableErr(off int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.stateErrLocked(); err != nil {
		return err
	}
	if r.status == StatusCommitted {
		return fmt.Errorf("write %s at %d: %w", r.path, off, ErrCommitted)
	}
	return nil
}

// ReadAt reads bytes that are already available; it never waits. It returns
// io.EOF with a short count when the read reaches the committed end, and
// ErrUnavailable with a short count when it reaches bytes not written yet.
// A failed or closed resource returns its error.
//
//hotpath:measure
func (r *StreamingResource) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("read %s at %d: %w", r.path, off, ErrInvalidRange)
	}
	r.ioMu.RLock()
	defer r.ioMu.RUnlock()

	r.mu.Lock()
	if err := r.stateErrLocked(); err != nil {
		r.mu.Unlock()
		return 0, err
	}
	var short error = ErrUnavailable
	end := r.avail.ContiguousEnd(off)
	if r.status == StatusCommitted {
		end = min(end, r.finalLen)
		short = io.EOF
	}
	r.mu.Unlock()

	if len(p) == 0 {
		return 0, nil
	}
	want := int64(len(p))
	if have := end - off; have < want {
		want = max(have, 0)
	}
	var (
		n   int
		err error
	)
	if want > 0 {
		n, err = r.readFile(p[:want], off)
	}
	switch {
	case err != nil && !errors.Is(err, io.EOF):
		return n, fmt.Errorf("read %s at %d: %w", r.path, off, err)
	case n < int(want):
		// The file is shorter than the published ranges: someone truncated
		// it behind our back.
		return n, fmt.Errorf("read %s at %d: file shorter than written ranges: %w", r.path, off, io.ErrUnexpectedEOF)
	case n < len(p):
		// Bare: a reader that waits for a byte and reads a chunk meets
		// this on every read at the front of a download.
		return n, short
	}
	return n, nil
}

// readFile reads p at off from the file opened for writing or, once a
// committed resource has handed it over, from the file handles holds. The
// caller holds ioMu shared.
func (r *StreamingResource) readFile(p []byte, off int64) (int, error) {
	if r.file != nil {
		return r.file.ReadAt(p, off)
	}
	h, err := r.handles.acquire(r)
	if err != nil {
		return 0, err
	}
	defer r.handles.release(h)
	return h.f.ReadAt(p, off)
}

// WaitRange blocks until bytes [start, end) can be read. It returns nil when
// they are available, or when the resource is committed and ends inside the
// range (ReadAt then returns the short count); io.EOF when the resource is
// committed and start is at or past its end; the failure error after Fail;
// ErrClosed after Close; and ctx.Err() when ctx is done first.
//
// Waiting costs no goroutine and no polling: each change of state closes a
// channel that the waiters select on.
//
//hotpath:measure
func (r *StreamingResource) WaitRange(ctx context.Context, start, end int64) error {
	if start < 0 || end < start {
		return fmt.Errorf("wait %s %v: %w", r.path, Range{start, end}, ErrInvalidRange)
	}
	for {
		r.mu.Lock()
		if err := r.stateErrLocked(); err != nil {
			r.mu.Unlock()
			return err
		}
		if r.status == StatusCommitted {
			eof := start >= r.finalLen
			r.mu.Unlock()
			if eof {
				return io.EOF
			}
			return nil // Commit proved [0, finalLen) is complete.
		}
		if r.avail.Contains(start, end) {
			r.mu.Unlock()
			return nil
		}
		changed := r.changed
		r.isWatched = true
		r.mu.Unlock()

		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Commit seals the resource at finalLen bytes. Every byte of [0, finalLen)
// must have been written and none past it, otherwise Commit returns
// ErrIncomplete and the resource stays in progress. The file is synced to disk
// before the commit is published, so a cache that records the commit can trust
// the bytes after a crash. Committing again with the same length is a no-op.
func (r *StreamingResource) Commit(finalLen int64) error {
	if finalLen < 0 {
		return fmt.Errorf("commit %s at %d: %w", r.path, finalLen, ErrInvalidRange)
	}
	r.ioMu.Lock()
	r.mu.Lock()
	err := r.commitCheckLocked(finalLen)
	done, dirty := r.status == StatusCommitted, r.dirty
	r.mu.Unlock()
	if err != nil || done {
		r.ioMu.Unlock()
		return err
	}
	// Bytes found on disk at open were synced by whoever wrote them; only
	// our own writes need syncing.
	if dirty {
		if err := r.file.Sync(); err != nil {
			r.ioMu.Unlock()
			return fmt.Errorf("commit %s: %w", r.path, err)
		}
	}
	r.mu.Lock()
	r.status = StatusCommitted
	r.finalLen = finalLen
	r.notifyLocked()
	r.mu.Unlock()
	if r.handles != nil {
		r.handles.adopt(r, r.file)
		r.file = nil
	}
	r.ioMu.Unlock()

	if r.onCommit != nil {
		r.onCommit(finalLen)
	}
	return nil
}

func (r *StreamingResource) commitCheckLocked(finalLen int64) error {
	if err := r.stateErrLocked(); err != nil {
		return err
	}
	if r.status == StatusCommitted {
		if r.finalLen != finalLen {
			return fmt.Errorf("commit %s at %d: committed at %d: %w", r.path, finalLen, r.finalLen, ErrCommitted)
		}
		return nil
	}
	if gaps := r.avail.Gaps(0, finalLen); len(gaps) > 0 {
		return fmt.Errorf("commit %s at %d: %d missing ranges, first %v: %w", r.path, finalLen, len(gaps), gaps[0], ErrIncomplete)
	}
	if written := r.avail.End(); written > finalLen {
		return fmt.Errorf("commit %s at %d: bytes written up to %d: %w", r.path, finalLen, written, ErrIncomplete)
	}
	return nil
}

// Fail marks the resource failed with cause and wakes every waiter, which then
// returns an error matching both ErrFailed and cause. Its message is the
// cause's alone: the writer's failure is not the file's, so the path stays
// out of it. A committed resource stays committed: its bytes are complete
// whatever happened afterwards. Only the first failure is kept.
func (r *StreamingResource) Fail(cause error) {
	if cause == nil {
		cause = errors.New("no cause given")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.status != StatusInProgress {
		return
	}
	r.status = StatusFailed
	r.failure = &failure{cause: cause}
	r.notifyLocked()
}

// Close releases the file. Waiters return ErrClosed; later calls of any
// method but Close, Status and Path return ErrClosed. Close is idempotent.
func (r *StreamingResource) Close() error {
	r.ioMu.Lock()
	defer r.ioMu.Unlock()
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.notifyLocked()
	r.mu.Unlock()
	var err error
	if r.file != nil {
		err = r.file.Close()
	} else {
		err = r.handles.drop(r)
	}
	if err != nil {
		return fmt.Errorf("close %s: %w", r.path, err)
	}
	return nil
}

// stateErrLocked returns the error of a closed or failed resource, which every
// operation returns as it is: ErrClosed names the path, a failure does not
// (see Fail).
func (r *StreamingResource) stateErrLocked() error {
	if r.closed {
		return fmt.Errorf("%s: %w", r.path, ErrClosed)
	}
	if r.status == StatusFailed {
		return r.failure
	}
	return nil
}

// notifyLocked wakes every current waiter. The channel is only replaced when
// someone is watching it, so a writer that nobody waits for allocates nothing.
func (r *StreamingResource) notifyLocked() {
	if !r.isWatched {
		return
	}
	close(r.changed)
	r.changed = make(chan struct{})
	r.isWatched = false
}

// failure is the error of a failed resource: it reads as the cause given to
// Fail and matches both that cause and ErrFailed.
type failure struct{ cause error }

func (f *failure) Error() string { return f.cause.Error() }

func (f *failure) Unwrap() []error { return []error{ErrFailed, f.cause} }

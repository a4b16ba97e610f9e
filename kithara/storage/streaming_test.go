//go:build !hotpath

package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// guard bounds how long a test waits for something that must happen; it only
// trips when the code under test is broken.
const guard = 10 * time.Second

func openTemp(t testing.TB, opts StreamingOptions) *StreamingResource {
	t.Helper()
	r, err := OpenStreaming(filepath.Join(t.TempDir(), "sub", "res.bin"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func mustWrite(t testing.TB, r *StreamingResource, off int64, p []byte) {
	t.Helper()
	n, err := r.WriteAt(p, off)
	if err != nil || n != len(p) {
		t.Fatalf("WriteAt(%d bytes, %d) = %d, %v", len(p), off, n, err)
	}
}

func pattern(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*7 + i>>8)
	}
	return p
}

// waitAsync runs WaitRange on its own goroutine and delivers the result.
func waitAsync(ctx context.Context, r *StreamingResource, start, end int64) <-chan error {
	done := make(chan error, 1)
	go func() { done <- r.WaitRange(ctx, start, end) }()
	return done
}

func recv(t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(guard):
		t.Fatal("waiter was not released")
		return nil
	}
}

func TestReadAtNeverWaits(t *testing.T) {
	r := openTemp(t, StreamingOptions{})
	mustWrite(t, r, 0, []byte("hello"))
	mustWrite(t, r, 8, []byte("XY"))

	buf := make([]byte, 10)
	n, err := r.ReadAt(buf, 0)
	if n != 5 || !errors.Is(err, ErrUnavailable) || string(buf[:n]) != "hello" {
		t.Fatalf("ReadAt over a hole = %d %q, %v; want 5 \"hello\", ErrUnavailable", n, buf[:n], err)
	}
	n, err = r.ReadAt(buf[:2], 8)
	if n != 2 || err != nil || string(buf[:2]) != "XY" {
		t.Fatalf("ReadAt(8) = %d %q, %v", n, buf[:n], err)
	}
	if n, err := r.ReadAt(buf, 6); n != 0 || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("ReadAt in a hole = %d, %v; want 0, ErrUnavailable", n, err)
	}
	if got, want := r.Available(), rs(0, 5, 8, 10); !slices.Equal(got, want) {
		t.Fatalf("Available() = %v, want %v", got, want)
	}
	if _, known := r.Len(); known {
		t.Fatal("Len known before Commit")
	}
}

func TestWaitRangeAtEOF(t *testing.T) {
	r := openTemp(t, StreamingOptions{})
	data := pattern(100)
	mustWrite(t, r, 0, data)
	if err := r.Commit(100); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	cases := []struct {
		start, end int64
		want       error
	}{
		{0, 100, nil},
		{90, 200, nil}, // straddles the end: data ends inside the range
		{99, 100, nil},
		{100, 164, io.EOF},
		{100, 100, io.EOF},
		{150, 200, io.EOF},
	}
	for _, c := range cases {
		if err := r.WaitRange(ctx, c.start, c.end); !errors.Is(err, c.want) || (c.want == nil && err != nil) {
			t.Errorf("WaitRange(%d, %d) = %v, want %v", c.start, c.end, err, c.want)
		}
	}

	buf := make([]byte, 64)
	n, err := r.ReadAt(buf, 90)
	if n != 10 || err != io.EOF || !bytes.Equal(buf[:n], data[90:]) {
		t.Fatalf("ReadAt straddling the end = %d, %v; want 10, io.EOF", n, err)
	}
	if n, err := r.ReadAt(buf, 100); n != 0 || err != io.EOF {
		t.Fatalf("ReadAt at the end = %d, %v; want 0, io.EOF", n, err)
	}
	if n, known := r.Len(); n != 100 || !known {
		t.Fatalf("Len() = %d, %v", n, known)
	}
}

func TestWaitRangeBlocksUntilCommitPastWrittenEnd(t *testing.T) {
	r := openTemp(t, StreamingOptions{})
	mustWrite(t, r, 0, pattern(50))
	past := waitAsync(context.Background(), r, 50, 60)
	straddle := waitAsync(context.Background(), r, 40, 60)
	select {
	case err := <-past:
		t.Fatalf("waiter past the written end returned %v before Commit", err)
	case err := <-straddle:
		t.Fatalf("straddling waiter returned %v before Commit", err)
	default:
	}
	if err := r.Commit(50); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, past); err != io.EOF {
		t.Fatalf("past the end after Commit: %v, want io.EOF", err)
	}
	if err := recv(t, straddle); err != nil {
		t.Fatalf("straddling after Commit: %v, want nil", err)
	}
}

// TestWaitersReleasedExactlyWhenComplete writes chunks one at a time in a
// shuffled order. After each write, every waiter whose range just became
// complete must return, and no waiter may return before its range is.
func TestWaitersReleasedExactlyWhenComplete(t *testing.T) {
	const chunk, chunks, waiters = 16, 32, 40
	r := openTemp(t, StreamingOptions{})
	rng := rand.New(rand.NewPCG(1, 2))
	order := rng.Perm(chunks)

	type waiter struct {
		start, end int64
		readyAt    int // index in order after which the range is complete
		done       chan error
		sawStep    atomic.Int64
	}
	var step atomic.Int64
	step.Store(-1)
	ws := make([]*waiter, waiters)
	for i := range ws {
		a, b := rng.IntN(chunks*chunk), rng.IntN(chunks*chunk)
		if a > b {
			a, b = b, a
		}
		w := &waiter{start: int64(a), end: int64(b + 1), done: make(chan error, 1)}
		seen := map[int]bool{}
		for k, c := range order {
			seen[c] = true
			complete := true
			for c := int(w.start) / chunk; c <= int(w.end-1)/chunk; c++ {
				complete = complete && seen[c]
			}
			if complete {
				w.readyAt = k
				break
			}
		}
		ws[i] = w
		go func() {
			err := r.WaitRange(context.Background(), w.start, w.end)
			w.sawStep.Store(step.Load())
			w.done <- err
		}()
	}

	data := pattern(chunks * chunk)
	released := make([]bool, waiters)
	for k, c := range order {
		step.Store(int64(k))
		mustWrite(t, r, int64(c*chunk), data[c*chunk:(c+1)*chunk])
		for i, w := range ws {
			if released[i] || w.readyAt != k {
				continue
			}
			if err := recv(t, w.done); err != nil {
				t.Fatalf("waiter [%d, %d): %v", w.start, w.end, err)
			}
			released[i] = true
			if got := w.sawStep.Load(); got < int64(k) {
				t.Fatalf("waiter [%d, %d) returned at step %d, complete at %d", w.start, w.end, got, k)
			}
		}
		for i, w := range ws {
			if released[i] {
				continue
			}
			select {
			case err := <-w.done:
				t.Fatalf("waiter [%d, %d) returned %v at step %d, complete only at %d", w.start, w.end, err, k, w.readyAt)
			default:
			}
		}
	}
	for i, w := range ws {
		if !released[i] {
			t.Errorf("waiter [%d, %d) never released", w.start, w.end)
		}
	}
}

// TestConcurrentWritersAndWaiters runs several writers over interleaved
// chunks while readers wait for random ranges and check the bytes they read.
func TestConcurrentWritersAndWaiters(t *testing.T) {
	const size, chunk, writers, readers = 1 << 18, 1000, 4, 8
	r := openTemp(t, StreamingOptions{})
	data := pattern(size)
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()

	var wg sync.WaitGroup
	errs := make(chan error, writers+readers)
	for w := range writers {
		wg.Go(func() {
			for off := w * chunk; off < size; off += writers * chunk {
				end := min(off+chunk, size)
				if _, err := r.WriteAt(data[off:end], int64(off)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for i := range readers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			buf := make([]byte, 4096)
			for range 50 {
				off := rng.Int64N(size)
				end := min(off+int64(rng.IntN(len(buf))+1), size)
				if err := r.WaitRange(ctx, off, end); err != nil {
					errs <- fmt.Errorf("WaitRange(%d, %d): %w", off, end, err)
					return
				}
				n, err := r.ReadAt(buf[:end-off], off)
				if err != nil || !bytes.Equal(buf[:n], data[off:end]) {
					errs <- fmt.Errorf("ReadAt(%d, %d) = %d, %v, or wrong bytes", off, end, n, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := r.Commit(size); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(r.Path())
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("file content differs from what was written (err %v)", err)
	}
}

func TestFailWakesWaitersWithTheError(t *testing.T) {
	r := openTemp(t, StreamingOptions{})
	cause := errors.New("connection reset")
	w1 := waitAsync(context.Background(), r, 0, 10)
	w2 := waitAsync(context.Background(), r, 100, 200)
	r.Fail(cause)
	for _, w := range []<-chan error{w1, w2} {
		if err := recv(t, w); !errors.Is(err, ErrFailed) || !errors.Is(err, cause) {
			t.Fatalf("waiter got %v, want ErrFailed and the cause", err)
		}
	}
	if r.Status() != StatusFailed {
		t.Fatalf("Status() = %v, want failed", r.Status())
	}
	if err := r.WaitRange(context.Background(), 0, 1); !errors.Is(err, cause) {
		t.Fatalf("WaitRange after Fail = %v", err)
	}
	if _, err := r.ReadAt(make([]byte, 1), 0); !errors.Is(err, ErrFailed) {
		t.Fatalf("ReadAt after Fail = %v", err)
	}
	if _, err := r.WriteAt([]byte("x"), 0); !errors.Is(err, ErrFailed) {
		t.Fatalf("WriteAt after Fail = %v", err)
	}
	if err := r.Commit(0); !errors.Is(err, ErrFailed) {
		t.Fatalf("Commit after Fail = %v; a failed resource must never become complete", err)
	}
	r.Fail(errors.New("second"))
	if err := r.Err(); !errors.Is(err, cause) {
		t.Fatalf("Err() = %v; the first failure must be kept", err)
	}
}

// TestFailureReadsAsItsCause checks that every operation on a failed
// resource reports the writer's failure in its own words: the resource's
// path, a temporary file's, is no part of it.
func TestFailureReadsAsItsCause(t *testing.T) {
	r := openTemp(t, StreamingOptions{})
	cause := errors.New("download http://example.com/a.mp3: HTTP 404 Not Found")
	r.Fail(cause)
	_, readErr := r.ReadAt(make([]byte, 1), 0)
	_, writeErr := r.WriteAt([]byte("x"), 0)
	for name, err := range map[string]error{
		"WaitRange": r.WaitRange(context.Background(), 0, 1),
		"ReadAt":    readErr,
		"WriteAt":   writeErr,
		"Commit":    r.Commit(0),
		"Err":       r.Err(),
	} {
		if err == nil || err.Error() != cause.Error() || !errors.Is(err, ErrFailed) || !errors.Is(err, cause) {
			t.Errorf("%s = %v; want the cause's message, matching ErrFailed and the cause", name, err)
		}
	}
}

func TestFailAfterCommitKeepsItCommitted(t *testing.T) {
	r := openTemp(t, StreamingOptions{})
	mustWrite(t, r, 0, []byte("abc"))
	if err := r.Commit(3); err != nil {
		t.Fatal(err)
	}
	r.Fail(errors.New("late"))
	if r.Status() != StatusCommitted || r.Err() != nil {
		t.Fatalf("Status, Err = %v, %v; want committed, nil", r.Status(), r.Err())
	}
}

func TestContextCancelWakesWaiter(t *testing.T) {
	r := openTemp(t, StreamingOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	w := waitAsync(ctx, r, 0, 10)
	other := waitAsync(context.Background(), r, 0, 10)
	cancel()
	if err := recv(t, w); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter got %v", err)
	}
	// The resource is untouched: the other waiter still gets its bytes.
	mustWrite(t, r, 0, pattern(10))
	if err := recv(t, other); err != nil {
		t.Fatalf("other waiter got %v", err)
	}
}

func TestCloseWakesWaiters(t *testing.T) {
	r := openTemp(t, StreamingOptions{})
	w := waitAsync(context.Background(), r, 0, 10)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, w); !errors.Is(err, ErrClosed) {
		t.Fatalf("waiter got %v, want ErrClosed", err)
	}
	if _, err := r.WriteAt([]byte("x"), 0); !errors.Is(err, ErrClosed) {
		t.Fatalf("WriteAt after Close = %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
}

func TestCommitValidates(t *testing.T) {
	r := openTemp(t, StreamingOptions{})
	mustWrite(t, r, 0, pattern(10))
	mustWrite(t, r, 20, pattern(10))

	if err := r.Commit(30); !errors.Is(err, ErrIncomplete) {
		t.Fatalf("Commit over a gap = %v, want ErrIncomplete", err)
	}
	if err := r.Commit(5); !errors.Is(err, ErrIncomplete) {
		t.Fatalf("Commit short of written bytes = %v, want ErrIncomplete", err)
	}
	if r.Status() != StatusInProgress {
		t.Fatalf("Status after failed commits = %v", r.Status())
	}
	mustWrite(t, r, 10, pattern(10))
	var hooked []int64
	r.onCommit = func(n int64) { hooked = append(hooked, n) }
	if err := r.Commit(30); err != nil {
		t.Fatal(err)
	}
	if err := r.Commit(30); err != nil {
		t.Fatalf("second Commit with the same length = %v", err)
	}
	if err := r.Commit(31); !errors.Is(err, ErrCommitted) {
		t.Fatalf("Commit with another length = %v, want ErrCommitted", err)
	}
	if !slices.Equal(hooked, []int64{30}) {
		t.Fatalf("OnCommit calls = %v, want [30]", hooked)
	}
	if _, err := r.WriteAt([]byte("x"), 0); !errors.Is(err, ErrCommitted) {
		t.Fatalf("WriteAt after Commit = %v, want ErrCommitted", err)
	}
}

func TestCommitEmpty(t *testing.T) {
	r := openTemp(t, StreamingOptions{})
	w := waitAsync(context.Background(), r, 0, 64)
	if err := r.Commit(0); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, w); err != io.EOF {
		t.Fatalf("waiter on an empty resource got %v, want io.EOF", err)
	}
}

func TestInvalidArguments(t *testing.T) {
	r := openTemp(t, StreamingOptions{})
	ctx := context.Background()
	for _, c := range [][2]int64{{-1, 3}, {5, 4}} {
		if err := r.WaitRange(ctx, c[0], c[1]); !errors.Is(err, ErrInvalidRange) {
			t.Errorf("WaitRange(%d, %d) = %v", c[0], c[1], err)
		}
	}
	if _, err := r.WriteAt([]byte("x"), -1); !errors.Is(err, ErrInvalidRange) {
		t.Errorf("WriteAt(-1) = %v", err)
	}
	if _, err := r.WriteAt([]byte("xy"), 1<<63-1); !errors.Is(err, ErrInvalidRange) {
		t.Errorf("WriteAt overflowing = %v", err)
	}
	if _, err := r.ReadAt(make([]byte, 1), -1); !errors.Is(err, ErrInvalidRange) {
		t.Errorf("ReadAt(-1) = %v", err)
	}
	if err := r.Commit(-1); !errors.Is(err, ErrInvalidRange) {
		t.Errorf("Commit(-1) = %v", err)
	}
}

func TestReopenFromDisk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "seg.ts")
	data := pattern(1000)
	r, err := OpenStreaming(path, StreamingOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, r, 0, data)
	if err := r.Commit(1000); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}

	var committedAt int64 = -1
	r, err = OpenStreaming(path, StreamingOptions{OnCommit: func(n int64) { committedAt = n }})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Status() != StatusInProgress {
		t.Fatalf("reopened Status() = %v, want in progress", r.Status())
	}
	if _, known := r.Len(); known {
		t.Fatal("reopened resource knows its length before Commit")
	}
	if err := r.WaitRange(context.Background(), 0, 1000); err != nil {
		t.Fatalf("reopened bytes not available: %v", err)
	}
	buf := make([]byte, 1000)
	if n, err := r.ReadAt(buf, 0); n != 1000 || err != nil || !bytes.Equal(buf, data) {
		t.Fatalf("ReadAt = %d, %v", n, err)
	}
	if err := r.Commit(1000); err != nil || committedAt != 1000 {
		t.Fatalf("Commit of reopened = %v, hook saw %d", err, committedAt)
	}

	r2, err := OpenStreaming(path, StreamingOptions{Truncate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if got := r2.Available(); len(got) != 0 {
		t.Fatalf("truncated resource has ranges %v", got)
	}
	if info, err := os.Stat(path); err != nil || info.Size() != 0 {
		t.Fatalf("truncated file: %v, %v", info, err)
	}
}

func TestStatusString(t *testing.T) {
	for s, want := range map[Status]string{StatusInProgress: "in progress", StatusCommitted: "committed", StatusFailed: "failed", Status(9): "Status(9)"} {
		if got := s.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(s), got, want)
		}
	}
}

func TestClaimWriterOnce(t *testing.T) {
	r := openTemp(t, StreamingOptions{})
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if r.ClaimWriter() {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d claims succeeded, want 1", wins.Load())
	}
}

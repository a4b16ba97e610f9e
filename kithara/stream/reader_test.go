//go:build !hotpath

package stream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// newReader returns a SyncReader closed at the end of the test.
func newReader(t testing.TB, src Source, opts ...ReaderOption) *SyncReader {
	t.Helper()
	r := NewSyncReader(t.Context(), src, opts...)
	t.Cleanup(func() { r.Close() })
	return r
}

func TestReadWholeSource(t *testing.T) {
	for _, size := range []int{0, 1, 999, 1000, 1001, 3017, DefaultChunkSize*3 + 17} {
		for _, chunk := range []int{1000, DefaultChunkSize} {
			t.Run(fmt.Sprintf("size%d/chunk%d", size, chunk), func(t *testing.T) {
				want := pattern(size)
				r := newReader(t, NewMemSource(want), WithChunkSize(chunk))
				got, err := io.ReadAll(r)
				if err != nil {
					t.Fatalf("ReadAll: %v", err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("read %d bytes, want %d equal bytes", len(got), len(want))
				}
				if n, err := r.Read(make([]byte, 10)); n != 0 || err != io.EOF {
					t.Fatalf("Read at the end = %d, %v; want 0, io.EOF", n, err)
				}
			})
		}
	}
}

func TestReadOddBufferSizes(t *testing.T) {
	want := pattern(300_001)
	for _, bufSize := range []int{1, 7, 4095, 65537, 200_000} {
		t.Run(fmt.Sprint(bufSize), func(t *testing.T) {
			r := newReader(t, NewMemSource(want))
			got := make([]byte, 0, len(want))
			buf := make([]byte, bufSize)
			for {
				n, err := r.Read(buf)
				got = append(got, buf[:n]...)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					t.Fatal("Read returned 0, nil")
				}
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("read %d bytes, want %d equal bytes", len(got), len(want))
			}
		})
	}
	t.Run("empty buffer", func(t *testing.T) {
		r := newReader(t, NewMemSource(want))
		if n, err := r.Read(nil); n != 0 || err != nil {
			t.Fatalf("Read(nil) = %d, %v", n, err)
		}
	})
}

func TestSeekEveryWhence(t *testing.T) {
	data := pattern(5000)
	r := newReader(t, NewMemSource(data), WithChunkSize(512))
	steps := []struct {
		offset int64
		whence int
		want   int64
	}{
		{100, io.SeekStart, 100},
		{50, io.SeekCurrent, 160}, // the previous step read 10 bytes
		{-30, io.SeekCurrent, 140},
		{-10, io.SeekEnd, 4990},
		{-5000, io.SeekEnd, 0},
		{4000, io.SeekCurrent, 4010},
		{0, io.SeekCurrent, 4020},
		{1024, io.SeekStart, 1024}, // a chunk boundary
		{-1, io.SeekCurrent, 1033},
	}
	for i, s := range steps {
		pos, err := r.Seek(s.offset, s.whence)
		if err != nil || pos != s.want {
			t.Fatalf("step %d: Seek(%d, %d) = %d, %v; want %d", i, s.offset, s.whence, pos, err, s.want)
		}
		got := make([]byte, 10)
		if _, err := io.ReadFull(r, got); err != nil {
			t.Fatalf("step %d: read: %v", i, err)
		}
		if !bytes.Equal(got, data[pos:pos+10]) {
			t.Fatalf("step %d: read %v at %d, want %v", i, got, pos, data[pos:pos+10])
		}
	}
}

func TestSeekPastEnd(t *testing.T) {
	data := pattern(3000)
	r := newReader(t, NewMemSource(data), WithChunkSize(1000))
	if pos, err := r.Seek(10_000, io.SeekStart); err != nil || pos != 10_000 {
		t.Fatalf("Seek past end = %d, %v", pos, err)
	}
	if n, err := r.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Fatalf("Read past end = %d, %v; want 0, io.EOF", n, err)
	}
	if pos, err := r.Seek(5, io.SeekEnd); err != nil || pos != 3005 {
		t.Fatalf("Seek(5, End) = %d, %v", pos, err)
	}
	if n, err := r.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Fatalf("Read past end = %d, %v; want 0, io.EOF", n, err)
	}
	if _, err := r.Seek(2995, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, data[2995:]) {
		t.Fatalf("ReadAll after seeking back = %v, %v", got, err)
	}
}

func TestSeekErrors(t *testing.T) {
	data := pattern(3000)
	r := newReader(t, &hookSource{MemSource: NewMemSource(data), hideLength: true})
	if _, err := r.Seek(20, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		offset int64
		whence int
		want   error
	}{
		{-1, io.SeekStart, ErrNegativePosition},
		{-21, io.SeekCurrent, ErrNegativePosition},
		{0, io.SeekEnd, ErrUnknownLength},
		{0, 3, ErrInvalidWhence},
		{1 << 62, io.SeekCurrent, nil},    // fine: past the end
		{1<<63 - 21, io.SeekCurrent, nil}, // exactly math.MaxInt64
	}
	for _, tt := range tests {
		pos, err := r.Seek(tt.offset, tt.whence)
		if tt.want == nil {
			if err != nil {
				t.Fatalf("Seek(%d, %d) = %v", tt.offset, tt.whence, err)
			}
			if n, err := r.Read(make([]byte, 10)); n != 0 || err != io.EOF {
				t.Fatalf("Read at %d = %d, %v; want io.EOF", pos, n, err)
			}
			if _, err := r.Seek(20, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if !errors.Is(err, tt.want) || pos != 0 {
			t.Errorf("Seek(%d, %d) = %d, %v; want 0, %v", tt.offset, tt.whence, pos, err, tt.want)
		}
	}
	if _, err := r.Seek(1<<62, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Seek(1<<62, io.SeekCurrent); err == nil {
		t.Error("Seek overflowing int64 succeeded")
	}
	// A failed seek leaves the position alone.
	if _, err := r.Seek(20, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	r.Seek(-100, io.SeekCurrent)
	got := make([]byte, 5)
	if _, err := io.ReadFull(r, got); err != nil || !bytes.Equal(got, data[20:25]) {
		t.Fatalf("after a failed seek read %v, %v; want %v", got, err, data[20:25])
	}
}

// TestStaleChunksDroppedAfterSeek fills the prefetch queue with chunks of the
// old position, seeks, and holds the new position's data back until the seek
// has been made, so the reader must skip every queued chunk.
func TestStaleChunksDroppedAfterSeek(t *testing.T) {
	data := pattern(100_000)
	var mu sync.Mutex
	var waits []int64
	release := make(chan struct{})
	queued := make(chan struct{}, 100)
	src := &hookSource{MemSource: NewMemSource(data), wait: func(ctx context.Context, start, _ int64) error {
		mu.Lock()
		waits = append(waits, start)
		mu.Unlock()
		if start >= 50_000 {
			select {
			case <-release:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		select {
		case queued <- struct{}{}:
		default:
		}
		return nil
	}}
	const chunk, depth = 100, 4
	r := newReader(t, src, WithChunkSize(chunk), WithPrefetchDepth(depth))

	got := make([]byte, 10)
	if _, err := io.ReadFull(r, got); err != nil || !bytes.Equal(got, data[:10]) {
		t.Fatalf("first read %v, %v", got, err)
	}
	// Chunk 0 is being read; chunks 1..depth are queued and chunk depth+1 is
	// waiting for room.
	for range depth + 2 {
		<-queued
	}
	if _, err := r.Seek(60_000, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	close(release)
	if _, err := io.ReadFull(r, got); err != nil || !bytes.Equal(got, data[60_000:60_010]) {
		t.Fatalf("read after seek %v, %v; want %v", got, err, data[60_000:60_010])
	}
	rest, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(rest, data[60_010:]) {
		t.Fatalf("rest after seek: %d bytes, %v", len(rest), err)
	}
	mu.Lock()
	defer mu.Unlock()
	if i := slices.Index(waits, 60_000); i < 0 || i < depth+2 {
		t.Fatalf("waits %v: the seek target was not fetched after the old chunks", waits)
	}
}

func TestSeekWithinChunkNeedsNoRefetch(t *testing.T) {
	data := pattern(10_000)
	var mu sync.Mutex
	var waits []int64
	src := &hookSource{MemSource: NewMemSource(data), wait: func(_ context.Context, start, _ int64) error {
		mu.Lock()
		waits = append(waits, start)
		mu.Unlock()
		return nil
	}}
	r := newReader(t, src, WithChunkSize(1000))
	buf := make([]byte, 500)
	if _, err := io.ReadFull(r, buf); err != nil {
		t.Fatal(err)
	}
	// Back and forth inside chunk 0, as a decoder probing a header does.
	for _, pos := range []int64{3, 999, 0, 250} {
		if _, err := r.Seek(pos, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 1)
		if _, err := io.ReadFull(r, b); err != nil || b[0] != data[pos] {
			t.Fatalf("byte at %d = %v, %v; want %v", pos, b, err, data[pos])
		}
	}
	rest, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(rest, data[251:]) {
		t.Fatalf("rest: %d bytes, %v", len(rest), err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []int64{0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000}
	if !slices.Equal(waits, want) {
		t.Fatalf("waits %v, want one per chunk %v", waits, want)
	}
}

func TestSourceErrorSurfaces(t *testing.T) {
	data := pattern(5000)
	boom := errors.New("connection reset")
	var failing sync.Map
	failing.Store("on", true)
	src := &hookSource{MemSource: NewMemSource(data), wait: func(_ context.Context, start, _ int64) error {
		if on, _ := failing.Load("on"); on.(bool) && start >= 3000 {
			return boom
		}
		return nil
	}}
	r := newReader(t, src, WithChunkSize(1000))
	got, err := io.ReadAll(r)
	if !errors.Is(err, boom) {
		t.Fatalf("ReadAll error = %v, want %v", err, boom)
	}
	if !bytes.Equal(got, data[:3000]) {
		t.Fatalf("read %d bytes before the error, want 3000", len(got))
	}
	if n, err := r.Read(make([]byte, 10)); n != 0 || !errors.Is(err, boom) {
		t.Fatalf("Read after the error = %d, %v; the error must stick", n, err)
	}
	// A seek retries: here, to the same position once the source recovered.
	failing.Store("on", false)
	if _, err := r.Seek(0, io.SeekCurrent); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(rest, data[3000:]) {
		t.Fatalf("after recovery: %d bytes, %v", len(rest), err)
	}
}

func TestReadErrorsFromReadAt(t *testing.T) {
	data := pattern(3000)
	diskErr := errors.New("input/output error")
	tests := []struct {
		name string
		read func(p []byte, off int64) (int, error)
		want error
	}{
		{"no progress", func([]byte, int64) (int, error) { return 0, nil }, ErrNoProgress},
		{"read error", func([]byte, int64) (int, error) { return 0, diskErr }, diskErr},
		{"short read then error", func(p []byte, off int64) (int, error) {
			if off >= 1500 {
				return 0, diskErr
			}
			return copy(p, data[off:1500]), diskErr
		}, diskErr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReader(t, &hookSource{MemSource: NewMemSource(data), read: tt.read}, WithChunkSize(1000))
			got, err := io.ReadAll(r)
			if !errors.Is(err, tt.want) {
				t.Fatalf("ReadAll = %d bytes, %v; want %v", len(got), err, tt.want)
			}
			if tt.name == "short read then error" && !bytes.Equal(got, data[:1500]) {
				t.Fatalf("read %d bytes before the error, want the 1500 the source had", len(got))
			}
		})
	}
}

func TestReadingOvertakesArrival(t *testing.T) {
	data := pattern(500_000)
	src := newGrowingSource(data)
	r := newReader(t, src, WithChunkSize(4096))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for avail := 0; avail < len(data); avail += 3001 {
			src.grow(3001)
			runtime.Gosched()
		}
	}()
	got, err := io.ReadAll(r)
	<-done
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("ReadAll = %d bytes, %v; want %d equal bytes", len(got), err, len(data))
	}
}

func TestReadReturnsTheFirstBytesThatArrive(t *testing.T) {
	data := pattern(1 << 20)
	src := newGrowingSource(data)
	src.grow(10)
	r := newReader(t, src)
	type result struct {
		got []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		buf := make([]byte, 100)
		n, err := r.Read(buf)
		done <- result{buf[:n], err}
	}()
	select {
	case res := <-done:
		if res.err != nil || !bytes.Equal(res.got, data[:10]) {
			t.Fatalf("Read = %d bytes, %v; want the 10 bytes that arrived", len(res.got), res.err)
		}
	case <-time.After(guard):
		t.Fatal("Read still waits with 10 bytes there")
	}
	src.grow(len(data))
	rest, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(rest, data[10:]) {
		t.Fatalf("ReadAll after the first bytes = %d bytes, %v", len(rest), err)
	}
}

func TestContextCancelUnblocksRead(t *testing.T) {
	src := newGrowingSource(pattern(10_000)) // nothing arrives
	ctx, cancel := context.WithCancel(t.Context())
	r := NewSyncReader(ctx, src)
	defer r.Close()
	errc := make(chan error, 1)
	go func() {
		_, err := r.Read(make([]byte, 10))
		errc <- err
	}()
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Read = %v, want context.Canceled", err)
		}
	case <-time.After(guard):
		t.Fatal("Read still blocked after cancel")
	}
	if _, err := r.Read(make([]byte, 10)); !errors.Is(err, context.Canceled) {
		t.Fatalf("second Read = %v, want context.Canceled", err)
	}
}

func TestClose(t *testing.T) {
	t.Run("while the source blocks", func(t *testing.T) {
		r := NewSyncReader(t.Context(), newGrowingSource(pattern(100)))
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if err := r.Close(); err != nil {
			t.Fatalf("second Close = %v", err)
		}
		if _, err := r.Read(make([]byte, 1)); !errors.Is(err, ErrClosed) {
			t.Fatalf("Read after Close = %v", err)
		}
		if _, err := r.Seek(0, io.SeekStart); !errors.Is(err, ErrClosed) {
			t.Fatalf("Seek after Close = %v", err)
		}
	})
	t.Run("with a full queue", func(t *testing.T) {
		r := NewSyncReader(t.Context(), NewMemSource(pattern(1<<20)), WithChunkSize(1000))
		if _, err := io.ReadFull(r, make([]byte, 10)); err != nil {
			t.Fatal(err)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

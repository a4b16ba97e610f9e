//go:build !hotpath

package stream

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"testing"
)

// growingLender is a growingSource that lends the bytes that have arrived.
type growingLender struct{ *growingSource }

func (g growingLender) Lend(off int64, n int) ([]byte, error) {
	g.mu.Lock()
	avail := g.avail
	g.mu.Unlock()
	if off >= int64(avail) {
		return nil, io.EOF
	}
	return g.all[off:min(int64(avail), off+int64(n))], nil
}

// failingLender lends the first half of its bytes, then fails.
type failingLender struct {
	*MemSource
	half int64
	err  error
}

func (f failingLender) Lend(off int64, n int) ([]byte, error) {
	if off >= f.half {
		return nil, f.err
	}
	b, _ := f.MemSource.Lend(off, int(min(int64(n), f.half-off)))
	return b, f.err
}

func TestMemSourceLend(t *testing.T) {
	data := pattern(100)
	m := NewMemSource(data)
	for _, tt := range []struct {
		off     int64
		n       int
		want    []byte
		wantErr error
	}{
		{0, 10, data[:10], nil},
		{90, 10, data[90:], io.EOF},
		{95, 10, data[95:], io.EOF},
		{100, 1, nil, io.EOF},
		{-1, 1, nil, ErrInvalidRange},
		{0, -1, nil, ErrInvalidRange},
	} {
		b, err := m.Lend(tt.off, tt.n)
		if !bytes.Equal(b, tt.want) || !errors.Is(err, tt.wantErr) {
			t.Errorf("Lend(%d, %d) = %d bytes, %v; want %d bytes, %v", tt.off, tt.n, len(b), err, len(tt.want), tt.wantErr)
		}
		if len(b) > 0 && &b[0] != &data[tt.off] {
			t.Errorf("Lend(%d, %d) copied", tt.off, tt.n)
		}
		if cap(b) != len(b) {
			t.Errorf("Lend(%d, %d): capacity %d reaches past the lent bytes", tt.off, tt.n, cap(b))
		}
	}
}

// Over a Lender the prefetch chunks are the source's own bytes; over any
// other source they are pooled copies.
func TestPrefetchLendsOrCopies(t *testing.T) {
	data := pattern(10_000)
	for _, tt := range []struct {
		name  string
		src   Source
		lends bool
	}{
		{"lender", NewMemSource(data), true},
		{"copying", &hookSource{MemSource: NewMemSource(data)}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := NewBytePrefetchSource(tt.src, 3000)
			var got []byte
			for {
				f := s.FetchNext(t.Context())
				c := f.Data
				if f.EOF {
					if c.Err != nil || len(c.Data) != 0 {
						t.Fatalf("final item %d bytes, %v", len(c.Data), c.Err)
					}
					break
				}
				if len(c.Data) == 0 || len(c.Data) > 3000 || c.Offset != int64(len(got)) {
					t.Fatalf("chunk of %d bytes at %d after %d bytes", len(c.Data), c.Offset, len(got))
				}
				if lent := &c.Data[0] == &data[c.Offset]; lent != tt.lends {
					t.Fatalf("chunk at %d lent = %v, want %v", c.Offset, lent, tt.lends)
				}
				got = append(got, c.Data...)
				c.Release() // a no-op for lent bytes, which must stay intact
			}
			if !bytes.Equal(got, data) || !bytes.Equal(data, pattern(10_000)) {
				t.Fatalf("read %d bytes that differ from the source, or the source changed", len(got))
			}
		})
	}
}

// A lender whose bytes arrive over time: the reader gets them all, chunk by
// chunk as they come, including the short chunks the fill rule tops up.
func TestReaderOverGrowingLender(t *testing.T) {
	data := pattern(500_000)
	src := growingLender{newGrowingSource(data)}
	r := newReader(t, src, WithChunkSize(4096))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for avail := 0; avail < len(data); avail += 301 {
			src.grow(301)
			runtime.Gosched()
		}
	}()
	got, err := io.ReadAll(r)
	<-done
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("ReadAll = %d bytes, %v; want %d equal bytes", len(got), err, len(data))
	}
	// Seeks back and forth serve the same bytes.
	for _, off := range []int64{123_456, 7, 499_999, 250_000} {
		if _, err := r.Seek(off, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 1000)
		n, err := io.ReadFull(r, b)
		if want := data[off:min(off+1000, int64(len(data)))]; !bytes.Equal(b[:n], want) {
			t.Fatalf("after Seek(%d): %d bytes, %v, differing from the source", off, n, err)
		}
	}
}

// A lender's errors reach the reader as a copying source's do.
func TestReaderLendErrors(t *testing.T) {
	data := pattern(3000)
	diskErr := errors.New("input/output error")
	for _, tt := range []struct {
		name string
		src  Source
		want []byte
		err  error
	}{
		{"short lend then error", failingLender{NewMemSource(data), 1500, diskErr}, data[:1500], diskErr},
		{"no progress", failingLender{NewMemSource(data), 0, nil}, nil, ErrNoProgress},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newReader(t, tt.src, WithChunkSize(1000))
			got, err := io.ReadAll(r)
			if !errors.Is(err, tt.err) || !bytes.Equal(got, tt.want) {
				t.Fatalf("ReadAll = %d bytes, %v; want %d bytes, %v", len(got), err, len(tt.want), tt.err)
			}
		})
	}
}

// A done context stops a reader that waits on a lender.
func TestLenderContextCancel(t *testing.T) {
	src := growingLender{newGrowingSource(pattern(10_000))} // nothing arrives
	ctx, cancel := context.WithCancel(t.Context())
	r := NewSyncReader(ctx, src)
	defer r.Close()
	cancel()
	if _, err := r.Read(make([]byte, 10)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Read = %v, want context.Canceled", err)
	}
}

// Both read paths, lent and copied, give the source's bytes whatever the
// buffer sizes, and io.EOF at the end.
func TestReadWholeSourceLentAndCopied(t *testing.T) {
	for _, size := range []int{0, 1, 999, 1000, 1001, DefaultChunkSize*2 + 17} {
		for _, bufSize := range []int{1, 7, 1000, 65537} {
			if size > 100_000 && bufSize < 1000 {
				continue
			}
			want := pattern(size)
			for name, src := range map[string]Source{
				"lent":   NewMemSource(want),
				"copied": &hookSource{MemSource: NewMemSource(want)},
			} {
				r := newReader(t, src, WithChunkSize(1000))
				var got []byte
				buf := make([]byte, bufSize)
				for {
					n, err := r.Read(buf)
					got = append(got, buf[:n]...)
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil || n == 0 {
						t.Fatalf("%s, size %d, buffer %d: Read = %d, %v", name, size, bufSize, n, err)
					}
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("%s, size %d, buffer %d: read %d bytes, want %d equal bytes", name, size, bufSize, len(got), len(want))
				}
			}
		}
	}
}

// A lending reader does not start a worker: it holds no goroutine, and Close
// is immediate; Read and Seek fail after it.
func TestLendingReaderHasNoWorker(t *testing.T) {
	r := NewSyncReader(t.Context(), NewMemSource(pattern(1000)))
	if r.w != nil {
		t.Fatal("a lending reader started a worker")
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(make([]byte, 1)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Read after Close = %v", err)
	}
	if _, err := r.Seek(0, io.SeekStart); !errors.Is(err, ErrClosed) {
		t.Fatalf("Seek after Close = %v", err)
	}
}

// The prefetch worker's lending path: bytes that arrive over time come out
// whole, in chunks no larger than the chunk size, and a failure after some
// bytes ends the fetches with it.
func TestPrefetchLendingPath(t *testing.T) {
	data := pattern(200_000)
	src := growingLender{newGrowingSource(data)}
	s := NewBytePrefetchSource(src, 4096)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for avail := 0; avail < len(data); avail += 301 {
			src.grow(301)
			runtime.Gosched()
		}
	}()
	var got []byte
	for {
		f := s.FetchNext(t.Context())
		if f.EOF {
			if f.Data.Err != nil {
				t.Fatal(f.Data.Err)
			}
			break
		}
		if n := len(f.Data.Data); n == 0 || n > 4096 || f.Data.Offset != int64(len(got)) {
			t.Fatalf("chunk of %d bytes at %d after %d bytes", n, f.Data.Offset, len(got))
		}
		got = append(got, f.Data.Data...)
	}
	<-done
	if !bytes.Equal(got, data) {
		t.Fatalf("fetched %d bytes, want %d equal bytes", len(got), len(data))
	}

	diskErr := errors.New("input/output error")
	s = NewBytePrefetchSource(failingLender{NewMemSource(pattern(3000)), 1500, diskErr}, 1000)
	var n int
	for {
		f := s.FetchNext(t.Context())
		if f.EOF {
			if !errors.Is(f.Data.Err, diskErr) || n != 1500 {
				t.Fatalf("ended after %d bytes with %v, want 1500 and the source's error", n, f.Data.Err)
			}
			break
		}
		n += len(f.Data.Data)
	}
}

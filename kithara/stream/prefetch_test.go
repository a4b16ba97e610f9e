package stream

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"testing"
)

func TestBytePrefetchSourceChunks(t *testing.T) {
	data := pattern(2500)
	s := NewBytePrefetchSource(NewMemSource(data), 1000)
	ctx := t.Context()
	for _, off := range []int64{0, 1000, 2000} {
		f := s.FetchNext(ctx)
		c := f.Data
		if f.EOF || c.Err != nil || c.Offset != off || f.Epoch != 0 {
			t.Fatalf("chunk at %d: %+v", off, f)
		}
		if want := data[off:min(off+1000, 2500)]; !bytes.Equal(c.Data, want) {
			t.Fatalf("chunk at %d: %d bytes differ", off, len(c.Data))
		}
		c.Release()
	}
	if f := s.FetchNext(ctx); !f.EOF || f.Data.Err != nil || len(f.Data.Data) != 0 || f.Data.Offset != 2500 {
		t.Fatalf("at the end: %+v, want an empty EOF item", f)
	}

	if e := s.HandleCommand(SeekCmd{Pos: 1999, Epoch: 3}); e != 3 || s.Epoch() != 3 {
		t.Fatalf("HandleCommand epoch %d, Epoch %d; want 3", e, s.Epoch())
	}
	f := s.FetchNext(ctx)
	if f.Epoch != 3 || f.Data.Offset != 1999 || !bytes.Equal(f.Data.Data, data[1999:]) {
		t.Fatalf("after seek: %+v", f)
	}
	f.Data.Release()
}

func TestBytePrefetchSourceErrors(t *testing.T) {
	lost := errors.New("segment lost")
	ctx, cancel := context.WithCancel(t.Context())
	s := NewBytePrefetchSource(&hookSource{MemSource: NewMemSource(pattern(10)), wait: func(ctx context.Context, start, _ int64) error {
		if start == 5 {
			return lost
		}
		return ctx.Err()
	}}, 0)
	s.HandleCommand(SeekCmd{Pos: 5, Epoch: 1})
	f := s.FetchNext(ctx)
	if !f.EOF || !errors.Is(f.Data.Err, lost) || f.Epoch != 1 {
		t.Fatalf("failed wait: %+v", f)
	}
	s.HandleCommand(SeekCmd{Pos: 0, Epoch: 2})
	cancel()
	if f := s.FetchNext(ctx); !f.EOF || !errors.Is(f.Data.Err, context.Canceled) {
		t.Fatalf("cancelled wait: %+v", f)
	}
}

func TestBytePrefetchSourceNearMaxOffset(t *testing.T) {
	var ranges [][2]int64
	s := NewBytePrefetchSource(&hookSource{MemSource: NewMemSource(nil), wait: func(_ context.Context, start, end int64) error {
		ranges = append(ranges, [2]int64{start, end})
		return nil
	}}, 1000)
	s.HandleCommand(SeekCmd{Pos: math.MaxInt64})
	if f := s.FetchNext(t.Context()); !f.EOF || f.Data.Err != nil {
		t.Fatalf("fetch at the end of int64: %+v", f)
	}
	if len(ranges) != 1 || ranges[0] != [2]int64{math.MaxInt64, math.MaxInt64} {
		t.Fatalf("waited for %v, want one range clamped to [MaxInt64, MaxInt64)", ranges)
	}
}

// TestFetchWaitsForTheFirstByte follows a download that is slower than its
// reader: the first chunk goes out with the first packet, later ones wait
// for a sixteenth of the chunk size, and a seek starts that over.
func TestFetchWaitsForTheFirstByte(t *testing.T) {
	data := pattern(200_000)
	src := newDemandSource(data, mss)
	s := NewBytePrefetchSource(src, 0)
	ctx := t.Context()
	fetch := func(what string, off int64, n int) {
		t.Helper()
		f := s.FetchNext(ctx)
		c := f.Data
		if f.EOF || c.Err != nil || c.Offset != off || len(c.Data) != n {
			t.Fatalf("%s: chunk at %d of %d bytes (EOF %v, err %v); want %d bytes at %d",
				what, c.Offset, len(c.Data), f.EOF, c.Err, n, off)
		}
		if !bytes.Equal(c.Data, data[off:off+int64(n)]) {
			t.Fatalf("%s: bytes differ", what)
		}
		c.Release()
	}

	fetch("first chunk", 0, mss)
	if src.arrived != 1 {
		t.Fatalf("%d packets arrived before the first chunk, want 1", src.arrived)
	}
	// One packet is under the fill size: the chunk waits for three.
	fetch("second chunk", mss, 3*mss)
	if src.arrived != 4 {
		t.Fatalf("%d packets arrived after the second chunk, want 4", src.arrived)
	}

	// What has arrived goes out in one chunk, bounded by the chunk size.
	src.avail = 150_000
	fetch("backlog", 4*mss, DefaultChunkSize)

	// After a seek the first chunk goes out at once again, however short.
	s.HandleCommand(SeekCmd{Pos: 197_000, Epoch: 1})
	src.avail = 197_500
	arrived := src.arrived
	fetch("first chunk after the seek", 197_000, 500)
	if src.arrived != arrived {
		t.Fatalf("%d packets arrived for a chunk that was there", src.arrived-arrived)
	}
	// The data ends within the fill size: the fill stops at the end.
	fetch("tail", 197_500, 2500)
	if f := s.FetchNext(ctx); !f.EOF || f.Data.Err != nil || f.Data.Offset != int64(len(data)) {
		t.Fatalf("at the end: %+v, want an empty EOF item", f)
	}
}

// TestFillFailure checks that a source failing while a short chunk waits to
// fill hands over the bytes read, and that the next fetch reports the
// failure.
func TestFillFailure(t *testing.T) {
	data := pattern(10_000)
	lost := errors.New("connection lost")
	avail := int64(100)
	s := NewBytePrefetchSource(&hookSource{
		MemSource: NewMemSource(data),
		wait: func(_ context.Context, _, end int64) error {
			if end > avail {
				return lost
			}
			return nil
		},
		read: func(p []byte, off int64) (int, error) {
			n := copy(p, data[off:avail])
			if n < len(p) {
				return n, errNotYet
			}
			return n, nil
		},
	}, 0)
	ctx := t.Context()
	for _, want := range []int64{0, 100} {
		f := s.FetchNext(ctx)
		if f.EOF || f.Data.Offset != want || len(f.Data.Data) != 100 || !bytes.Equal(f.Data.Data, data[want:want+100]) {
			t.Fatalf("fetch at %d: %+v, want the 100 bytes there", want, f)
		}
		f.Data.Release()
		avail += 100
	}
	avail = 200
	if f := s.FetchNext(ctx); !f.EOF || !errors.Is(f.Data.Err, lost) || f.Data.Offset != 200 {
		t.Fatalf("after the failure: %+v, want an EOF item with the error at 200", f)
	}
}

func TestMemSource(t *testing.T) {
	data := pattern(100)
	m := NewMemSource(data)
	ctx := t.Context()
	if n, known := m.Len(); n != 100 || !known {
		t.Fatalf("Len = %d, %v", n, known)
	}
	waits := []struct {
		start, end int64
		want       error
	}{
		{0, 10, nil},
		{90, 200, nil}, // the data ends inside the range
		{100, 110, io.EOF},
		{500, 510, io.EOF},
		{-1, 10, ErrInvalidRange},
		{10, 5, ErrInvalidRange},
	}
	for _, w := range waits {
		if err := m.WaitRange(ctx, w.start, w.end); !errors.Is(err, w.want) {
			t.Errorf("WaitRange(%d, %d) = %v, want %v", w.start, w.end, err, w.want)
		}
	}
	p := make([]byte, 20)
	if n, err := m.ReadAt(p, 90); n != 10 || err != io.EOF || !bytes.Equal(p[:10], data[90:]) {
		t.Errorf("short ReadAt = %d, %v", n, err)
	}
	if n, err := m.ReadAt(p, 10); n != 20 || err != nil {
		t.Errorf("ReadAt = %d, %v", n, err)
	}
	if _, err := m.ReadAt(p, -1); !errors.Is(err, ErrInvalidRange) {
		t.Errorf("ReadAt(-1) = %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := m.WaitRange(cctx, 0, 10); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitRange with a done context = %v", err)
	}
}

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
	var gotEnd int64
	s := NewBytePrefetchSource(&hookSource{MemSource: NewMemSource(nil), wait: func(_ context.Context, _, end int64) error {
		gotEnd = end
		return nil
	}}, 1000)
	s.HandleCommand(SeekCmd{Pos: math.MaxInt64 - 10})
	if f := s.FetchNext(t.Context()); !f.EOF || f.Data.Err != nil {
		t.Fatalf("fetch near the end of int64: %+v", f)
	}
	if gotEnd != math.MaxInt64 {
		t.Fatalf("range end %d, want it clamped to MaxInt64", gotEnd)
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

//go:build !hotpath

package decode

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"
)

func ramp(from, n, ch int) []float32 {
	s := make([]float32, n*ch)
	for i := range s {
		s[i] = float32(from*ch + i)
	}
	return s
}

func TestPCMBufferRandomAccess(t *testing.T) {
	f := Format{48000, 2}
	b := NewPCMBuffer(f, 0)
	if err := b.Append(Chunk{Format: f, Samples: ramp(0, 100, 2)}); err != nil {
		t.Fatal(err)
	}
	if err := b.Append(Chunk{Format: f, Samples: ramp(100, 50, 2)}); err != nil {
		t.Fatal(err)
	}
	dst := make([]float32, 2*30+1) // room for 30 frames and a half
	n, err := b.ReadFrames(90, dst)
	if err != nil || n != 30 || !slicesEqual(dst[:60], ramp(90, 30, 2)) {
		t.Fatalf("ReadFrames(90) = %d, %v, %v", n, err, dst[:4])
	}
	if n, err := b.ReadFrames(140, dst); n != 10 || err != nil {
		t.Fatalf("ReadFrames(140) = %d, %v; want the 10 frames there are", n, err)
	}
	if n, err := b.ReadFrames(150, dst); n != 0 || err != nil {
		t.Fatalf("ReadFrames at the end before Finish = %d, %v; want 0, nil", n, err)
	}
	b.Finish(nil)
	if _, err := b.ReadFrames(150, dst); !errors.Is(err, io.EOF) {
		t.Fatalf("ReadFrames at the end after Finish: %v, want io.EOF", err)
	}
	if err := b.Append(Chunk{Format: Format{44100, 2}, Samples: ramp(0, 1, 2)}); err == nil {
		t.Fatal("appending another format succeeded")
	}

	b.Reset(2 * time.Second)
	if b.Frames() != 0 || b.Origin() != 2*time.Second {
		t.Fatalf("after Reset: %d frames, origin %v", b.Frames(), b.Origin())
	}
	if ended, _ := b.Ended(); ended {
		t.Fatal("Reset left the buffer ended")
	}
	boom := errors.New("boom")
	b.Finish(boom)
	if _, err := b.ReadFrames(0, dst); !errors.Is(err, boom) {
		t.Fatalf("ReadFrames after Finish(boom): %v", err)
	}
}

func TestPCMBufferLimit(t *testing.T) {
	f := Format{8000, 1}
	b := NewPCMBuffer(f, 100)
	for i := range 10 {
		if err := b.Append(Chunk{Format: f, Samples: ramp(i*50, 50, 1)}); err != nil {
			t.Fatal(err)
		}
	}
	if b.Frames() != 500 {
		t.Fatalf("Frames = %d, want 500", b.Frames())
	}
	dst := make([]float32, 100)
	if n, err := b.ReadFrames(400, dst); n != 100 || err != nil || !slicesEqual(dst, ramp(400, 100, 1)) {
		t.Fatalf("the newest 100 frames: %d, %v", n, err)
	}
	if _, err := b.ReadFrames(0, dst); !errors.Is(err, ErrEvicted) {
		t.Fatalf("ReadFrames(0) = %v, want ErrEvicted", err)
	}
}

func TestPCMBufferWait(t *testing.T) {
	f := Format{8000, 1}
	b := NewPCMBuffer(f, 0)
	appended := make(chan struct{})
	go func() {
		defer close(appended)
		for i := range 5 {
			_ = b.Append(Chunk{Format: f, Samples: ramp(i*10, 10, 1)})
		}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := b.WaitFrames(ctx, 50); err != nil {
		t.Fatal(err)
	}
	if b.Frames() < 50 {
		t.Fatalf("WaitFrames(50) returned with %d frames", b.Frames())
	}
	<-appended
	// Finish wakes a waiter for frames that will never come.
	done := make(chan error)
	go func() { done <- b.WaitFrames(ctx, 1000) }()
	b.Finish(nil)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// A cancelled context ends the wait.
	b.Reset(0)
	short, cancelShort := context.WithCancel(t.Context())
	cancelShort()
	if err := b.WaitFrames(short, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitFrames with a cancelled context: %v", err)
	}
}

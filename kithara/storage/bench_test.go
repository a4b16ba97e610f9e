//go:build !hotpath

package storage

import (
	"context"
	"runtime"
	"testing"
)

// parked reports whether a waiter is blocked on the change channel.
func (r *StreamingResource) parked() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.isWatched
}

// BenchmarkWaitRangeWake measures one hand-off: the writer waits until the
// waiter is parked in WaitRange, writes the byte it waits for, and the waiter
// wakes and acknowledges. ns/op is that round trip (write, wake, one channel
// send); the writer's wait for the waiter to park is not timed out of it.
func BenchmarkWaitRangeWake(b *testing.B) {
	r := openTemp(b, StreamingOptions{})
	ack := make(chan struct{})
	ctx := context.Background()
	n := b.N
	go func() {
		for i := range n {
			if err := r.WaitRange(ctx, int64(i), int64(i+1)); err != nil {
				b.Error(err)
			}
			ack <- struct{}{}
		}
	}()
	one := []byte{1}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range n {
		for !r.parked() {
			runtime.Gosched()
		}
		if _, err := r.WriteAt(one, int64(i)); err != nil {
			b.Fatal(err)
		}
		<-ack
	}
}

// BenchmarkWaitRangeReady measures the fast path: the range is already there.
func BenchmarkWaitRangeReady(b *testing.B) {
	r := openTemp(b, StreamingOptions{})
	mustWrite(b, r, 0, make([]byte, 1<<20))
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		off := int64(i%16) << 16
		if err := r.WaitRange(ctx, off, off+1<<16); err != nil {
			b.Fatal(err)
		}
	}
}

const benchChunk = 64 << 10

// BenchmarkWrite measures sequential 64 KiB writes (page cache, no sync).
func BenchmarkWrite(b *testing.B) {
	r := openTemp(b, StreamingOptions{})
	buf := pattern(benchChunk)
	b.SetBytes(benchChunk)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		// Wrap at 64 MiB so the file stays small; rewrites of written
		// ranges cost the same as new ones.
		off := int64(i%1024) * benchChunk
		if _, err := r.WriteAt(buf, off); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadAt measures 64 KiB reads of a committed 16 MiB resource.
func BenchmarkReadAt(b *testing.B) {
	const size = 16 << 20
	r := openTemp(b, StreamingOptions{})
	buf := pattern(benchChunk)
	for off := 0; off < size; off += benchChunk {
		mustWrite(b, r, int64(off), buf)
	}
	if err := r.Commit(size); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(benchChunk)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		off := int64(i%(size/benchChunk)) * benchChunk
		if n, err := r.ReadAt(buf, off); n != benchChunk || err != nil {
			b.Fatal(n, err)
		}
	}
}

package stream

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"
)

const benchSize = 64 << 20

// readOnly hides io.WriterTo, so io.CopyBuffer reads in the caller's buffer
// size the way a decoder does, for both readers under comparison.
type readOnly struct{ io.Reader }

// copyingSource hides a MemSource's Lend: readers copy from it.
type copyingSource struct{ Source }

// BenchmarkRead64MiB reads 64 MiB end to end in 32 KiB reads through a
// SyncReader and, as the baseline, through a bytes.Reader over the same bytes.
// The SyncReader reads a MemSource, which lends its bytes; SyncReader-copying
// reads the same bytes through a source that does not.
func BenchmarkRead64MiB(b *testing.B) {
	data := pattern(benchSize)
	buf := make([]byte, 32<<10)
	b.Run("SyncReader", func(b *testing.B) {
		b.SetBytes(benchSize)
		b.ReportAllocs()
		for b.Loop() {
			r := NewSyncReader(b.Context(), NewMemSource(data))
			n, err := io.CopyBuffer(io.Discard, readOnly{r}, buf)
			if err != nil || n != benchSize {
				b.Fatalf("copied %d, %v", n, err)
			}
			r.Close()
		}
	})
	// The same bytes through a source that does not lend them: the prefetch
	// worker copies them into pooled chunks, then Read into buf.
	b.Run("SyncReader-copying", func(b *testing.B) {
		b.SetBytes(benchSize)
		b.ReportAllocs()
		for b.Loop() {
			r := NewSyncReader(b.Context(), copyingSource{NewMemSource(data)})
			n, err := io.CopyBuffer(io.Discard, readOnly{r}, buf)
			if err != nil || n != benchSize {
				b.Fatalf("copied %d, %v", n, err)
			}
			r.Close()
		}
	})
	b.Run("bytes.Reader", func(b *testing.B) {
		b.SetBytes(benchSize)
		b.ReportAllocs()
		for b.Loop() {
			n, err := io.CopyBuffer(io.Discard, readOnly{bytes.NewReader(data)}, buf)
			if err != nil || n != benchSize {
				b.Fatalf("copied %d, %v", n, err)
			}
		}
	})
}

// BenchmarkSeekRead measures a seek to a new position and the first read
// there: the worker round trip a decoder pays on every seek.
func BenchmarkSeekRead(b *testing.B) {
	data := pattern(8 << 20)
	r := NewSyncReader(b.Context(), NewMemSource(data))
	defer r.Close()
	p := make([]byte, 4096)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		off := int64(i*1_234_567) % int64(len(data)-len(p))
		i++
		if _, err := r.Seek(off, io.SeekStart); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(r, p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadRatio64MiB alternates the readers of BenchmarkRead64MiB in
// every iteration and reports each SyncReader's throughput as a fraction of
// bytes.Reader's (sync/bytes-throughput for the lending MemSource,
// copying/bytes-throughput for a source that does not lend), so that load
// drifting on a shared machine affects all sides alike. Its ns/op is the time
// for the three reads.
func BenchmarkReadRatio64MiB(b *testing.B) {
	data := pattern(benchSize)
	buf := make([]byte, 32<<10)
	var syncTime, copyTime, bytesTime time.Duration
	b.SetBytes(3 * benchSize)
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		r := NewSyncReader(b.Context(), NewMemSource(data))
		if n, err := io.CopyBuffer(io.Discard, readOnly{r}, buf); err != nil || n != benchSize {
			b.Fatalf("SyncReader copied %d, %v", n, err)
		}
		r.Close()
		t1 := time.Now()
		r = NewSyncReader(b.Context(), copyingSource{NewMemSource(data)})
		if n, err := io.CopyBuffer(io.Discard, readOnly{r}, buf); err != nil || n != benchSize {
			b.Fatalf("copying SyncReader copied %d, %v", n, err)
		}
		r.Close()
		t2 := time.Now()
		if n, err := io.CopyBuffer(io.Discard, readOnly{bytes.NewReader(data)}, buf); err != nil || n != benchSize {
			b.Fatalf("bytes.Reader copied %d, %v", n, err)
		}
		syncTime += t1.Sub(start)
		copyTime += t2.Sub(t1)
		bytesTime += time.Since(t2)
	}
	b.ReportMetric(float64(bytesTime)/float64(syncTime), "sync/bytes-throughput")
	b.ReportMetric(float64(bytesTime)/float64(copyTime), "copying/bytes-throughput")
	b.ReportMetric(float64(syncTime.Nanoseconds())/float64(b.N), "sync-ns/read")
	b.ReportMetric(float64(copyTime.Nanoseconds())/float64(b.N), "copying-ns/read")
	b.ReportMetric(float64(bytesTime.Nanoseconds())/float64(b.N), "bytes-ns/read")
}

// demandSource is a download slower than its reader, made deterministic: one
// packet arrives each time a reader waits for bytes that have not, and never
// otherwise. Its length is known from the start, as a file's declared length
// is.
type demandSource struct {
	all    []byte
	packet int

	mu      sync.Mutex
	avail   int
	arrived int // packets delivered
}

func newDemandSource(all []byte, packet int) *demandSource {
	return &demandSource{all: all, packet: packet}
}

func (d *demandSource) WaitRange(ctx context.Context, start, end int64) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		switch {
		case start >= int64(len(d.all)):
			return io.EOF
		case int64(d.avail) >= end || d.avail == len(d.all):
			return nil
		}
		d.avail = min(d.avail+d.packet, len(d.all))
		d.arrived++
	}
}

func (d *demandSource) ReadAt(p []byte, off int64) (int, error) {
	d.mu.Lock()
	avail := d.avail
	d.mu.Unlock()
	if off >= int64(len(d.all)) {
		return 0, io.EOF
	}
	n := copy(p, d.all[off:max(off, int64(avail))])
	switch {
	case n == len(p):
		return n, nil
	case avail == len(d.all):
		return n, io.EOF
	}
	return n, errNotYet
}

func (d *demandSource) Len() (int64, bool) { return int64(len(d.all)), true }

// errNotYet is demandSource's answer for bytes that have not arrived.
var errNotYet = errors.New("bytes not arrived yet")

// mss is a typical TCP payload: the unit in which a download arrives.
const mss = 1460

// BenchmarkFirstChunk measures what a reader at the start of a download
// waits for before its first chunk: arrived-B is how many bytes had to
// arrive first.
func BenchmarkFirstChunk(b *testing.B) {
	b.ReportAllocs()
	data := pattern(1 << 20)
	var arrived int
	for b.Loop() {
		src := newDemandSource(data, mss)
		f := NewBytePrefetchSource(src, 0).FetchNext(b.Context())
		if f.EOF || len(f.Data.Data) == 0 {
			b.Fatalf("first fetch: %+v", f)
		}
		f.Data.Release()
		arrived += src.avail
	}
	b.ReportMetric(float64(arrived)/float64(b.N), "arrived-B")
}

// BenchmarkTrickleRead reads 4 MiB through a SyncReader that is always at
// the front of the download, the worst case for chunk sizes: chunks/op and
// B/chunk show how finely the prefetcher cuts it.
func BenchmarkTrickleRead(b *testing.B) {
	const size = 4 << 20
	data := pattern(size)
	buf := make([]byte, DefaultChunkSize)
	b.SetBytes(size)
	b.ReportAllocs()
	var chunks int
	for b.Loop() {
		r := NewSyncReader(b.Context(), newDemandSource(data, mss))
		var got int
		for {
			// A Read never spans two chunks, and this buffer holds a whole
			// one: one Read per chunk.
			n, err := r.Read(buf)
			got += n
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			chunks++
		}
		r.Close()
		if got != size {
			b.Fatalf("read %d bytes, want %d", got, size)
		}
	}
	b.ReportMetric(float64(chunks)/float64(b.N), "chunks/op")
	b.ReportMetric(float64(size)*float64(b.N)/float64(chunks), "B/chunk")
}

package file

import (
	"context"
	"io"
	"testing"

	"github.com/hotpath-go/hotpath/kithara/stream"
)

// BenchmarkCachedReRead opens a downloaded 4 MiB file from the cache and
// reads it end to end through a stream.SyncReader: the path of a second play.
// Every iteration includes Open (lease, index update) and Close.
func BenchmarkCachedReRead(b *testing.B) {
	benchCached(b, true, func(src *Source) (int64, error) {
		r := stream.NewSyncReader(context.Background(), src)
		defer r.Close()
		return io.Copy(io.Discard, r)
	})
}

// BenchmarkCachedReadAt is BenchmarkCachedReRead with the Source read
// directly in 64 KiB ReadAt calls, without the prefetch worker.
func BenchmarkCachedReadAt(b *testing.B) {
	buf := make([]byte, 64<<10)
	benchCached(b, true, func(src *Source) (int64, error) {
		var off int64
		for {
			if err := src.WaitRange(context.Background(), off, off+int64(len(buf))); err != nil {
				if err == io.EOF {
					return off, nil
				}
				return off, err
			}
			n, err := src.ReadAt(buf, off)
			off += int64(n)
			if err == io.EOF {
				return off, nil
			}
			if err != nil {
				return off, err
			}
		}
	})
}

func benchCached(b *testing.B, throughput bool, read func(*Source) (int64, error)) {
	const size = 4 << 20
	srv, reqs := serve(b, content(payload(size)))
	store, client := newStore(b, b.TempDir()), newClient(b)
	rawURL := srv.URL + "/bench.mp3"
	first := openSource(b, rawURL, store, client)
	waitDone(b, first)
	first.Close()
	before := reqs.total()

	if throughput {
		b.SetBytes(size)
	}
	b.ReportAllocs()
	for b.Loop() {
		src, err := Open(context.Background(), rawURL, store, client, Options{})
		if err != nil {
			b.Fatal(err)
		}
		n, err := read(src)
		if err != nil || n != size {
			b.Fatalf("read %d bytes, %v", n, err)
		}
		if err := src.Close(); err != nil {
			b.Fatal(err)
		}
	}
	if reqs.total() != before {
		b.Fatalf("%d requests during cached reads", reqs.total()-before)
	}
}

// BenchmarkCachedOpenClose is the fixed cost of a cache hit that reads
// nothing: the lease, the committed reopen and the index write on release.
func BenchmarkCachedOpenClose(b *testing.B) {
	benchCached(b, false, func(src *Source) (int64, error) { return 4 << 20, nil })
}

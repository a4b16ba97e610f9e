//go:build hotpath

package tests

import (
	"bytes"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hotpath-go/hotpath/kithara/file"
	"github.com/hotpath-go/hotpath/kithara/storage"
	"github.com/hotpath-go/hotpath/kithara/stream"
	hotpath "github.com/hotpath-go/hotpath/runtime"
)

// Seed section 8, kithara-stream: the prefetch worker's latency, seeks,
// coordination of readers waiting on ranges, a large download and the chunk
// size, read from BytePrefetchSource.fetchNext and its wait_range block,
// SyncReader.recvChunk, the cache's WaitRange, ReadAt and WriteAt and the
// async worker's channels.

const chunk = stream.DefaultChunkSize

// chunksOf returns the number of chunks of size that hold n bytes.
func chunksOf(n, size int) int { return (n + size - 1) / size }

// newResource opens an empty streaming resource in the test's directory.
func newResource(t *testing.T) *storage.StreamingResource {
	t.Helper()
	res, err := storage.OpenStreaming(filepath.Join(t.TempDir(), "res"), storage.StreamingOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Close() })
	return res
}

// fill writes data into res in pieces of size, in the order given by order
// (piece indexes), pausing after every piece, and commits it. It is the
// download a cache reader waits for.
func fill(res *storage.StreamingResource, data []byte, size int, order []int, pause time.Duration) error {
	for _, k := range order {
		p := data[k*size : min((k+1)*size, len(data))]
		if _, err := res.WriteAt(p, int64(k*size)); err != nil {
			return err
		}
		time.Sleep(pause)
	}
	return res.Commit(int64(len(data)))
}

// readAll reads r to its end and closes it.
func readAll(t *testing.T, r *stream.SyncReader) []byte {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	return b
}

// wantChunkedRead checks the rows of readers that each read a source of n
// bytes front to back, with no seek, and returns the number of items their
// workers delivered. Every item is one fetch (with one wait_range), one
// send, one receive and one recvChunk, so those counts are equal exactly.
// How many items there are depends on how the bytes arrive: a prefetch
// source hands over at most size bytes at a time, so there are at least
// ceil(n/size) chunks per reader, and one EOF item more. When the whole
// source is there from the start, every chunk is full and the count is
// exact: pass full.
func wantChunkedRead(t *testing.T, rep *hotpath.Report, readers, n, size int, full bool) int {
	t.Helper()
	items := int(row(t, rep, fnPrefetchFetchNext).Calls)
	least := readers * (chunksOf(n, size) + 1)
	switch {
	case full && items != least:
		t.Errorf("%d fetches, want %d: %d chunks of %d bytes and an EOF item per reader", items, least, chunksOf(n, size), size)
	case items < least:
		t.Errorf("%d fetches, want at least %d: %d chunks of %d bytes and an EOF item per reader", items, least, chunksOf(n, size), size)
	}
	wantCalls(t, rep, fnAsyncRunWorker, readers)
	wantBlock(t, rep, blkWaitRange, fnPrefetchFetchNext)
	wantCalls(t, rep, blkWaitRange, items)
	wantCalls(t, rep, fnRecvChunk, items)
	wantTraffic(t, rep, asyncData, items, items)
	wantTraffic(t, rep, asyncCmds, 0, 0)
	return items
}

// wantCacheReads checks the cache rows of fetches from a StreamingResource:
// each fetch waits at least once and each chunk is at least one read.
func wantCacheReads(t *testing.T, rep *hotpath.Report, readers, items int) {
	t.Helper()
	wantCallsAtLeast(t, rep, fnResWaitRange, items)
	wantCallsAtLeast(t, rep, fnResReadAt, items-readers)
}

// TestProfilePrefetchWorkerLatency reads a cache file while it downloads:
// the writer publishes 16 KiB at a time with a pause after each, so the
// prefetch worker waits for the bytes in wait_range, and the reader, faster
// than the download, waits for the worker's chunks on worker_data: the
// report's blocked time is the download's latency as the reader sees it.
func TestProfilePrefetchWorkerLatency(t *testing.T) {
	const size, piece = 1 << 20, 16 << 10
	data := randomBytes(size)
	res := newResource(t)
	ctx := testContext(t)
	g := profileGuard(t)

	order := make([]int, size/piece)
	for i := range order {
		order[i] = i
	}
	errc := make(chan error, 1)
	go func() { errc <- fill(res, data, piece, order, 200*time.Microsecond) }()
	got := readAll(t, stream.NewSyncReader(ctx, res))
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	rep := stopProfile(t, g)

	if !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes that differ from the %d written", len(got), len(data))
	}
	items := wantChunkedRead(t, rep, 1, size, chunk, false)
	wantCacheReads(t, rep, 1, items)
	wantCalls(t, rep, fnResWriteAt, size/piece)
	if b := chanAt(t, rep, asyncData).RecvBlocked; b.Count == 0 || b.TotalNS <= 0 {
		t.Errorf("worker_data: recv blocked %+v; a reader ahead of the download must wait", b)
	}
	wantTimed(t, rep, blkWaitRange)
}

// TestProfileSyncReaderSeeks jumps around a 4 MiB source: far seeks, each
// a command to the worker and one recvChunk that skips the chunks
// prefetched for the old position, and seeks inside the current chunk,
// which cost neither. seekRead's row is the latency of every seek, both
// kinds mixed.
func TestProfileSyncReaderSeeks(t *testing.T) {
	const size, far, read = 4 << 20, 40, 1000
	data := randomBytes(size)
	rng := rand.New(rand.NewPCG(1, 2))
	ctx := testContext(t)
	g := profileGuard(t)

	r := stream.NewSyncReader(ctx, noLend{stream.NewMemSource(data)})
	buf := make([]byte, read)
	pos := int64(-chunk) // no chunk yet
	for i := range far {
		// A target at least a chunk away from the last one, and a chunk
		// before the end, so that the chunk read after it is whole.
		off := pos
		for off > pos-chunk && off < pos+chunk {
			off = rng.Int64N(size - chunk)
		}
		pos = off
		for _, o := range []int64{off, off + 2*read} { // far, then inside the chunk
			if err := seekRead(r, o, buf); err != nil {
				t.Fatalf("seek %d to %d: %v", i, o, err)
			}
			if !bytes.Equal(buf, data[o:o+read]) {
				t.Fatalf("seek %d to %d: wrong bytes", i, o)
			}
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	rep := stopProfile(t, g)

	wantCalls(t, rep, fnSeekRead, 2*far)
	wantCalls(t, rep, fnAsyncRunWorker, 1)
	wantCalls(t, rep, fnRecvChunk, far)
	wantCallsAtLeast(t, rep, fnPrefetchFetchNext, far)
	wantTraffic(t, rep, asyncCmds, far, far)
	wantBalanced(t, rep, asyncData)
}

// TestProfileRangeWaitCoordination has three readers wait on one cache file
// that a writer fills out of order: a chunk becomes readable only when its
// last missing piece lands, and each WaitRange wakes on every write. All
// three read the same bytes, and each makes exactly one wait per chunk.
func TestProfileRangeWaitCoordination(t *testing.T) {
	const size, piece, readers = 1 << 20, 32 << 10, 3
	data := randomBytes(size)
	res := newResource(t)
	order := rand.New(rand.NewPCG(3, 4)).Perm(size / piece)
	ctx := testContext(t)
	g := profileGuard(t)

	errc := make(chan error, 1)
	go func() { errc <- fill(res, data, piece, order, 100*time.Microsecond) }()
	var wg sync.WaitGroup
	got := make([][]byte, readers)
	for i := range readers {
		wg.Go(func() {
			r := stream.NewSyncReader(ctx, res)
			defer r.Close()
			b, err := io.ReadAll(r)
			if err != nil {
				t.Error(err)
			}
			got[i] = b
		})
	}
	wg.Wait()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	rep := stopProfile(t, g)

	for i, b := range got {
		if !bytes.Equal(b, data) {
			t.Errorf("reader %d read %d bytes that differ from the %d written", i, len(b), len(data))
		}
	}
	items := wantChunkedRead(t, rep, readers, size, chunk, false)
	wantCacheReads(t, rep, readers, items)
	wantCalls(t, rep, fnResWriteAt, size/piece)
}

// TestProfileLargeFileStreaming downloads 8 MiB from a loopback server into
// the cache (file.Source) and reads it through a SyncReader while it
// arrives: one GetStream, the download's writes, and the reader's chunks.
func TestProfileLargeFileStreaming(t *testing.T) {
	const size = 8 << 20
	data := randomBytes(size)
	srv := newServer(t, nil, func(w http.ResponseWriter, r *http.Request) bool {
		http.ServeContent(w, r, "big.bin", time.Time{}, bytes.NewReader(data))
		return true
	})
	client := newClient(t, knetOptions())
	store := newStore(t)
	ctx := testContext(t)
	g := profileGuard(t)

	src, err := file.Open(ctx, srv.url("big.bin"), store, client, file.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	r := stream.NewSyncReader(ctx, src)
	n, err := io.Copy(h, r)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	<-src.Done()
	if err := src.Err(); err != nil {
		t.Fatal(err)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	rep := stopProfile(t, g)

	if want := sha256.Sum256(data); n != size || !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatalf("read %d bytes with another hash, want the %d served", n, size)
	}
	if srv.count("big.bin") != 2 { // HEAD for the length, GET for the body
		t.Errorf("%d requests, want a HEAD and a GET", srv.count("big.bin"))
	}
	wantCalls(t, rep, fnGetStream, 1)
	items := wantChunkedRead(t, rep, 1, size, chunk, false)
	wantCacheReads(t, rep, 1, items)
	wantCallsAtLeast(t, rep, fnResWriteAt, chunksOf(size, chunk)) // body reads of at most 64 KiB
}

// TestProfileChunkSizeImpact reads one 2 MiB source with chunks of 4, 16,
// 64 and 256 KiB, taking a snapshot of the guard after each: every size
// costs exactly one fetch and one receive per chunk (and one for the end),
// so the per-size deltas show what a chunk costs and how many a size needs.
func TestProfileChunkSizeImpact(t *testing.T) {
	const size = 2 << 20
	data := randomBytes(size)
	src := noLend{stream.NewMemSource(data)}
	sizes := []int{4 << 10, 16 << 10, 64 << 10, 256 << 10}
	ctx := testContext(t)
	g := profileGuard(t)

	total := 0
	for _, cs := range sizes {
		before := g.Snapshot()
		got := readAll(t, stream.NewSyncReader(ctx, src, stream.WithChunkSize(cs)))
		after := g.Snapshot()
		if !bytes.Equal(got, data) {
			t.Fatalf("%d KiB chunks: read %d bytes that differ", cs>>10, len(got))
		}
		want := int64(chunksOf(size, cs) + 1)
		fetch, recv := deltaOf(before, after, fnPrefetchFetchNext), deltaOf(before, after, fnRecvChunk)
		if fetch.calls != want || recv.calls != want {
			t.Errorf("%d KiB chunks: %d fetches and %d receives, want %d each", cs>>10, fetch.calls, recv.calls, want)
		}
		t.Logf("%3d KiB chunks: %4d fetches, %v each, %v in all", cs>>10, fetch.calls,
			time.Duration(fetch.totalNS/max(fetch.calls, 1)), time.Duration(fetch.totalNS))
		total += int(want)
	}
	rep := stopProfile(t, g)

	wantCalls(t, rep, fnAsyncRunWorker, len(sizes))
	wantCalls(t, rep, fnPrefetchFetchNext, total)
	wantCalls(t, rep, blkWaitRange, total)
	wantCalls(t, rep, fnRecvChunk, total)
	wantTraffic(t, rep, asyncData, total, total)
}

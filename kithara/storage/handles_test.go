package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hotpath-go/hotpath/kithara/internal/fdtest"
)

// committedResources writes and commits n resources of size bytes each in
// dir, with handles, and returns them with their contents.
func committedResources(t *testing.T, dir string, handles *HandleCache, n, size int) ([]*StreamingResource, [][]byte) {
	t.Helper()
	rs := make([]*StreamingResource, n)
	data := make([][]byte, n)
	for i := range rs {
		r, err := OpenStreaming(filepath.Join(dir, fmt.Sprintf("seg%04d", i)), StreamingOptions{Handles: handles})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		data[i] = pattern(size + i)
		mustWrite(t, r, 0, data[i])
		if err := r.Commit(int64(len(data[i]))); err != nil {
			t.Fatal(err)
		}
		rs[i] = r
	}
	return rs, data
}

// readWhole reads a committed resource through ReadAt.
func readWhole(t testing.TB, r *StreamingResource) []byte {
	t.Helper()
	n, _ := r.Len()
	buf := make([]byte, n+1)
	got, err := r.ReadAt(buf, 0)
	if err != io.EOF {
		t.Errorf("ReadAt of the whole resource %s = %d, %v; want io.EOF at its end", r.Path(), got, err)
	}
	return buf[:got]
}

func TestHandleCacheBoundsOpenFiles(t *testing.T) {
	dir := t.TempDir()
	handles := NewHandleCache(4)
	rs, data := committedResources(t, dir, handles, 40, 1000)
	if n := fdtest.OpenFilesUnder(t, dir); n != 4 || handles.OpenFiles() != 4 {
		t.Fatalf("after 40 commits %d files are open (the cache counts %d), want the 4 most recent", n, handles.OpenFiles())
	}
	// Read everything twice, in an order that misses the cache every time:
	// each resource opens its file again, and the bound holds.
	for range 2 {
		for i, r := range rs {
			if got := readWhole(t, r); !bytes.Equal(got, data[i]) {
				t.Fatalf("resource %d reads back differently", i)
			}
			if n := fdtest.OpenFilesUnder(t, dir); n > 4 {
				t.Fatalf("%d files open after reading resource %d, want at most 4", n, i)
			}
		}
	}
	for _, r := range rs {
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if n := fdtest.OpenFilesUnder(t, dir); n != 0 || handles.OpenFiles() != 0 {
		t.Fatalf("%d files open after Close (the cache counts %d), want 0", n, handles.OpenFiles())
	}
}

func TestWithoutHandleCacheFilesStayOpen(t *testing.T) {
	dir := t.TempDir()
	committedResources(t, dir, nil, 5, 100)
	if n := fdtest.OpenFilesUnder(t, dir); n != 5 {
		t.Fatalf("%d files open, want all 5: without a cache a resource keeps its file until Close", n)
	}
}

// TestHandleCacheConcurrentReads reads resources from many goroutines
// through a cache of two handles while a writer downloads another resource
// that readers follow across its commit, so that handles are evicted while
// in use and reopened all the time.
func TestHandleCacheConcurrentReads(t *testing.T) {
	dir := t.TempDir()
	handles := NewHandleCache(2)
	rs, data := committedResources(t, dir, handles, 8, 3000)

	growing, err := OpenStreaming(filepath.Join(dir, "downloading"), StreamingOptions{Handles: handles})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { growing.Close() })
	want := pattern(64 << 10)

	var wg sync.WaitGroup
	errs := make([]error, 6)
	for g := range errs {
		wg.Go(func() {
			for i := range 200 {
				k := (g*7 + i*3) % len(rs)
				buf := make([]byte, 500)
				off := int64(i*37) % int64(len(data[k])-len(buf))
				if n, err := rs[k].ReadAt(buf, off); n != len(buf) || err != nil || !bytes.Equal(buf, data[k][off:off+int64(n)]) {
					errs[g] = fmt.Errorf("resource %d at %d: %d bytes, %v", k, off, n, err)
					return
				}
			}
		})
	}
	followers := make([][]byte, 2)
	for f := range followers {
		wg.Go(func() {
			followers[f] = followWhole(growing)
		})
	}
	for off := 0; off < len(want); off += 1000 {
		mustWrite(t, growing, int64(off), want[off:min(off+1000, len(want))])
	}
	if err := growing.Commit(int64(len(want))); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for g, err := range errs {
		if err != nil {
			t.Errorf("reader %d: %v", g, err)
		}
	}
	for f, got := range followers {
		if !bytes.Equal(got, want) {
			t.Errorf("follower %d read %d bytes of the download, want the %d written", f, len(got), len(want))
		}
	}
	if n := handles.OpenFiles(); n != 2 {
		t.Errorf("%d files open through the cache after the reads, want 2", n)
	}
}

// followWhole reads r from the start as its bytes arrive, the way a reader
// of a download does, until its end.
func followWhole(r *StreamingResource) []byte {
	var out []byte
	buf := make([]byte, 700)
	for off := int64(0); ; {
		if err := r.WaitRange(context.Background(), off, off+1); err != nil {
			return out
		}
		n, err := r.ReadAt(buf, off)
		out = append(out, buf[:n]...)
		off += int64(n)
		if err != nil && !errors.Is(err, ErrUnavailable) {
			return out
		}
	}
}

func TestReopenOfAVanishedFileFails(t *testing.T) {
	dir := t.TempDir()
	handles := NewHandleCache(1)
	rs, _ := committedResources(t, dir, handles, 2, 10) // the first is closed
	if err := os.Remove(rs[0].Path()); err != nil {
		t.Fatal(err)
	}
	n, err := rs[0].ReadAt(make([]byte, 5), 0)
	if n != 0 || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), rs[0].Path()) {
		t.Fatalf("ReadAt of a removed file = %d, %v; want fs.ErrNotExist naming the file", n, err)
	}
	if got := readWhole(t, rs[1]); !bytes.Equal(got, pattern(11)) {
		t.Fatal("the other resource reads back differently")
	}
}

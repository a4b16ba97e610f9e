//go:build !hotpath

package assets

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotpath-go/hotpath/kithara/storage"
)

// logRecorder is a slog.Handler that keeps the messages it receives.
type logRecorder struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, r)
	return nil
}
func (h *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logRecorder) WithGroup(string) slog.Handler      { return h }

func (h *logRecorder) warnings() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.recs {
		if r.Level >= slog.LevelWarn {
			out = append(out, r.Message)
		}
	}
	return out
}

func openStore(t *testing.T, dir string, opts Options) *Store {
	t.Helper()
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func acquire(t *testing.T, s *Store, root string) *Lease {
	t.Helper()
	l, err := s.Acquire(root)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// putAsset stores one committed resource of size bytes under root and
// releases the asset.
func putAsset(t *testing.T, s *Store, root string, size int) {
	t.Helper()
	l := acquire(t, s, root)
	r, err := l.OpenStreaming("data.bin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.WriteAt(bytes.Repeat([]byte{'x'}, size), 0); err != nil {
		t.Fatal(err)
	}
	if err := r.Commit(int64(size)); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

func roots(entries []Entry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.Root)
	}
	return out
}

func exists(t *testing.T, path string) bool {
	t.Helper()
	_, err := os.Stat(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

func TestCommittedResourceIsACacheHitAfterRestart(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, Options{})
	data := []byte("ID3 some mp3 bytes")

	l := acquire(t, s, "abc")
	r, err := l.OpenStreaming("media/audio.mp3")
	if err != nil {
		t.Fatal(err)
	}
	if r.Status() != storage.StatusInProgress {
		t.Fatalf("new resource is %v", r.Status())
	}
	if _, err := r.WriteAt(data, 0); err != nil {
		t.Fatal(err)
	}
	if err := r.Commit(int64(len(data))); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2 := openStore(t, dir, Options{})
	l2 := acquire(t, s2, "abc")
	defer l2.Close()
	r2, err := l2.OpenStreaming("media/audio.mp3")
	if err != nil {
		t.Fatal(err)
	}
	if r2.Status() != storage.StatusCommitted {
		t.Fatalf("reopened resource is %v, want committed", r2.Status())
	}
	buf := make([]byte, 64)
	n, _ := r2.ReadAt(buf, 0)
	if !bytes.Equal(buf[:n], data) {
		t.Fatalf("read %q, want %q", buf[:n], data)
	}
	if got := s2.Entries(); len(got) != 1 || got[0].Bytes != int64(len(data)) || got[0].Pins != 1 {
		t.Fatalf("Entries() = %+v", got)
	}
}

func TestIncompleteLeftoverIsTruncated(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, Options{})
	l := acquire(t, s, "abc")
	r, _ := l.OpenStreaming("seg.ts")
	if _, err := r.WriteAt([]byte("partial"), 0); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if _, bytes := s.Usage(); bytes != 7 {
		t.Fatalf("leftover of 7 bytes counted as %d", bytes)
	}

	l = acquire(t, s, "abc")
	defer l.Close()
	r, _ = l.OpenStreaming("seg.ts")
	if r.Status() != storage.StatusInProgress || len(r.Available()) != 0 {
		t.Fatalf("leftover reopened as %v with %v; want in progress and empty", r.Status(), r.Available())
	}
}

func TestLeasesShareOneResource(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{})
	reader, writer := acquire(t, s, "abc"), acquire(t, s, "abc")
	defer reader.Close()
	rr, _ := reader.OpenStreaming("seg.ts")
	wr, _ := writer.OpenStreaming("seg.ts")
	if rr != wr {
		t.Fatal("two leases on one asset got different resources")
	}
	done := make(chan error, 1)
	go func() { done <- rr.WaitRange(context.Background(), 0, 4) }()
	if _, err := wr.WriteAt([]byte("data"), 0); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("reader not woken by a write through another lease")
	}
	// Closing one lease keeps the resource open for the other.
	writer.Close()
	if rr.Err() != nil {
		t.Fatalf("resource closed while a lease remains: %v", rr.Err())
	}
}

func TestFailedResourceIsReplaced(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{})
	l := acquire(t, s, "abc")
	defer l.Close()
	r, _ := l.OpenStreaming("seg.ts")
	r.WriteAt([]byte("bad"), 0)
	r.Fail(errors.New("boom"))
	r2, err := l.OpenStreaming("seg.ts")
	if err != nil {
		t.Fatal(err)
	}
	if r2 == r || r2.Status() != storage.StatusInProgress || len(r2.Available()) != 0 {
		t.Fatalf("retry got the failed resource back (%v, %v)", r2.Status(), r2.Available())
	}
}

func TestEvictionRespectsPins(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, Options{MaxAssets: 2})
	a, b, c := acquire(t, s, "a"), acquire(t, s, "b"), acquire(t, s, "c")
	for _, l := range []*Lease{a, b, c} {
		r, _ := l.OpenStreaming("x")
		r.WriteAt([]byte("12345"), 0)
		if err := r.Commit(5); err != nil {
			t.Fatal(err)
		}
	}
	if got := roots(s.Entries()); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("pinned assets evicted: %v", got)
	}
	b.Close() // b is now the newest but the only unpinned asset
	if got := roots(s.Entries()); !slices.Equal(got, []string{"a", "c"}) {
		t.Fatalf("after releasing b: %v, want [a c]", got)
	}
	if exists(t, filepath.Join(dir, "b")) || !exists(t, filepath.Join(dir, "a", "x")) {
		t.Fatal("eviction removed the wrong directories")
	}
	a.Close()
	c.Close()
	if n, _ := s.Usage(); n != 2 {
		t.Fatalf("%d assets after releasing all, want 2", n)
	}
}

func TestEvictionIsLeastRecentlyUsedFirst(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{MaxAssets: 3})
	for _, r := range []string{"a", "b", "c"} {
		putAsset(t, s, r, 10)
	}
	acquire(t, s, "a").Close() // a becomes the most recent
	if got := roots(s.Entries()); !slices.Equal(got, []string{"b", "c", "a"}) {
		t.Fatalf("LRU order %v, want [b c a]", got)
	}
	putAsset(t, s, "d", 10)
	if got := roots(s.Entries()); !slices.Equal(got, []string{"c", "a", "d"}) {
		t.Fatalf("after adding d: %v, want [c a d] (b evicted)", got)
	}
}

func TestEvictionByBytes(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{MaxBytes: 250})
	putAsset(t, s, "a", 100)
	putAsset(t, s, "b", 100)
	if n, b := s.Usage(); n != 2 || b != 200 {
		t.Fatalf("Usage() = %d, %d", n, b)
	}
	putAsset(t, s, "c", 100)
	if got := roots(s.Entries()); !slices.Equal(got, []string{"b", "c"}) {
		t.Fatalf("after 300 bytes: %v, want [b c]", got)
	}
	putAsset(t, s, "big", 240) // needs both b and c gone
	if got := roots(s.Entries()); !slices.Equal(got, []string{"big"}) {
		t.Fatalf("after a 240-byte asset: %v, want [big]", got)
	}
}

func TestEvictionNeverRemovesAnAssetBeingWritten(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, Options{MaxBytes: 100, MaxAssets: 1})
	w := acquire(t, s, "writing")
	r, _ := w.OpenStreaming("seg.ts")
	if _, err := r.WriteAt(bytes.Repeat([]byte{1}, 500), 0); err != nil {
		t.Fatal(err)
	}
	putAsset(t, s, "other", 10) // over both limits; only "other" may go
	if got := roots(s.Entries()); !slices.Equal(got, []string{"writing"}) {
		t.Fatalf("Entries() = %v, want [writing]", got)
	}
	if err := r.Commit(500); err != nil {
		t.Fatal(err)
	}
	if got := roots(s.Entries()); !slices.Equal(got, []string{"writing"}) || !exists(t, r.Path()) {
		t.Fatalf("a committed, pinned asset over the byte limit was evicted: %v", got)
	}
	w.Close() // unpinned and over the limit: now it goes
	if n, _ := s.Usage(); n != 0 || exists(t, filepath.Join(dir, "writing")) {
		t.Fatalf("released asset over the limit kept (%d assets)", n)
	}
}

func TestIndexSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, Options{})
	for i, r := range []string{"d", "a", "c", "b"} {
		putAsset(t, s, r, 10*(i+1))
	}
	l := acquire(t, s, "a")
	atom, _ := l.OpenAtomic("master.m3u8")
	if err := atom.Write([]byte("#EXTM3U\n")); err != nil {
		t.Fatal(err)
	}
	l.Close()
	acquire(t, s, "d").Close() // a use alone, written only by Close
	want := s.Entries()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Acquire("x"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Acquire on a closed store = %v", err)
	}

	s2 := openStore(t, dir, Options{})
	if got := s2.Entries(); !slices.Equal(got, want) {
		t.Fatalf("after restart Entries() = %+v\nwant %+v", got, want)
	}
	if got := roots(want); !slices.Equal(got, []string{"c", "b", "a", "d"}) {
		t.Fatalf("order %v, want [c b a d]", got)
	}
	if want[2].Bytes != 20+8 {
		t.Fatalf("asset a holds %d bytes, want 28", want[2].Bytes)
	}
}

func TestCorruptIndexIsRebuiltWithAWarning(t *testing.T) {
	valid := func(t *testing.T, dir string) []byte {
		s := openStore(t, dir, Options{})
		putAsset(t, s, "a", 10)
		putAsset(t, s, "b", 20)
		s.Close()
		data, err := os.ReadFile(filepath.Join(dir, indexDir, indexName))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	tests := []struct {
		name   string
		mangle func(valid []byte) []byte
	}{
		{"garbage", func([]byte) []byte { return []byte("\x00\x01not json at all") }},
		{"truncated", func(v []byte) []byte { return v[:len(v)/2] }},
		{"empty", func([]byte) []byte { return nil }},
		{"wrong version", func(v []byte) []byte { return bytes.Replace(v, []byte(`"version": 1`), []byte(`"version": 7`), 1) }},
		{"trailing data", func(v []byte) []byte { return append(v, []byte("{}")...) }},
		{"negative size", func(v []byte) []byte { return bytes.Replace(v, []byte(`"size": 10`), []byte(`"size": -10`), 1) }},
		{"traversal root", func(v []byte) []byte {
			return bytes.Replace(v, []byte(`"root": "a"`), []byte(`"root": "../../victim"`), 1)
		}},
		{"duplicate root", func(v []byte) []byte { return bytes.Replace(v, []byte(`"root": "a"`), []byte(`"root": "b"`), 1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := t.TempDir()
			victim := filepath.Join(base, "victim")
			if err := os.Mkdir(victim, 0o755); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(base, "cache", "x")
			data := tt.mangle(valid(t, dir))
			if err := os.WriteFile(filepath.Join(dir, indexDir, indexName), data, 0o644); err != nil {
				t.Fatal(err)
			}

			logs := &logRecorder{}
			s := openStore(t, dir, Options{Logger: slog.New(logs), MaxAssets: 1})
			w := logs.warnings()
			if len(w) != 1 || !strings.Contains(w[0], "index corrupt") {
				t.Fatalf("warnings %q, want one about the corrupt index", w)
			}
			// Rebuilt from the tree, then evicted to one asset; nothing
			// outside the cache was touched.
			if n, _ := s.Usage(); n != 1 || !exists(t, victim) {
				t.Fatalf("%d assets, victim exists %v", n, exists(t, victim))
			}
			// The rebuilt index is valid again.
			s.Close()
			logs2 := &logRecorder{}
			openStore(t, dir, Options{Logger: slog.New(logs2)})
			if w := logs2.warnings(); len(w) != 0 {
				t.Fatalf("warnings after the rebuild: %q", w)
			}
		})
	}
}

func TestRebuildForgetsCompletion(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, Options{})
	putAsset(t, s, "a", 10)
	s.Close()
	os.WriteFile(filepath.Join(dir, indexDir, indexName), []byte("{"), 0o644)

	s2 := openStore(t, dir, Options{Logger: slog.New(&logRecorder{})})
	if got := s2.Entries(); len(got) != 1 || got[0].Root != "a" || got[0].Bytes != 10 {
		t.Fatalf("rebuilt Entries() = %+v", got)
	}
	l := acquire(t, s2, "a")
	defer l.Close()
	r, _ := l.OpenStreaming("data.bin")
	if r.Status() != storage.StatusInProgress {
		t.Fatalf("resource without a completion record is %v; it must be downloaded again", r.Status())
	}
}

func TestUnreadableIndexIsRebuilt(t *testing.T) {
	dir := t.TempDir()
	// A directory where the index should be: reading it fails.
	if err := os.MkdirAll(filepath.Join(dir, indexDir, indexName, "blocker"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "a", "f"), []byte("123"), 0o644)
	logs := &logRecorder{}
	s := openStore(t, dir, Options{Logger: slog.New(logs)})
	if got := s.Entries(); len(got) != 1 || got[0].Bytes != 3 {
		t.Fatalf("Entries() = %+v", got)
	}
	w := logs.warnings()
	if len(w) < 1 || !strings.Contains(w[0], "index unreadable") {
		t.Fatalf("warnings %q", w)
	}
	// The store still works; writing the index keeps failing and says so.
	putAsset(t, s, "b", 1)
	if n, _ := s.Usage(); n != 2 {
		t.Fatalf("%d assets", n)
	}
}

func TestOpenCleansTheTree(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "a"), 0o755)
	os.MkdirAll(filepath.Join(dir, indexDir), 0o755)
	tmp := filepath.Join(dir, "a", storage.TempPrefix+"123.tmp")
	tmpIdx := filepath.Join(dir, indexDir, storage.TempPrefix+"9.tmp")
	stray := filepath.Join(dir, "README")
	for _, p := range []string{tmp, tmpIdx, stray, filepath.Join(dir, "a", "seg.ts")} {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	logs := &logRecorder{}
	s := openStore(t, dir, Options{Logger: slog.New(logs)})
	if exists(t, tmp) || exists(t, tmpIdx) {
		t.Fatal("temporary files left by a crash were not removed")
	}
	if !exists(t, stray) {
		t.Fatal("the store deleted a file it does not own")
	}
	if w := logs.warnings(); len(w) != 1 || !strings.Contains(w[0], "unexpected entry") {
		t.Fatalf("warnings %q", w)
	}
	if got := s.Entries(); len(got) != 1 || got[0].Bytes != 1 {
		t.Fatalf("Entries() = %+v", got)
	}
}

func TestPathTraversalIsRejected(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "cache")
	s := openStore(t, dir, Options{})
	for _, root := range []string{"..", "../x", "a/b", "", "_index", ".hidden", "/abs"} {
		if _, err := s.Acquire(root); !errors.Is(err, ErrInvalidRoot) {
			t.Errorf("Acquire(%q) = %v, want ErrInvalidRoot", root, err)
		}
	}
	l := acquire(t, s, "ok")
	defer l.Close()
	for _, key := range []string{"../../escape", "/etc/passwd", "a/../../b", "..", "a//b", ""} {
		if _, err := l.OpenStreaming(key); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("OpenStreaming(%q) = %v, want ErrInvalidKey", key, err)
		}
		if _, err := l.OpenAtomic(key); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("OpenAtomic(%q) = %v, want ErrInvalidKey", key, err)
		}
	}
	entries, _ := os.ReadDir(base)
	if len(entries) != 1 {
		t.Fatalf("something was created next to the cache: %v", entries)
	}
}

func TestClosedLease(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{})
	l := acquire(t, s, "a")
	r, _ := l.OpenStreaming("x")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	if _, err := l.OpenStreaming("x"); !errors.Is(err, ErrClosed) {
		t.Fatalf("OpenStreaming after Close = %v", err)
	}
	if err := r.Err(); !errors.Is(err, storage.ErrClosed) {
		t.Fatalf("resource after the last lease closed: %v", err)
	}
	if got := s.Entries(); len(got) != 1 || got[0].Pins != 0 {
		t.Fatalf("Entries() = %+v", got)
	}
	// An asset acquired and released without files leaves no entry.
	acquire(t, s, "empty").Close()
	if got := roots(s.Entries()); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("Entries() = %v", got)
	}
}

// TestConcurrentUse races leases on a few assets against eviction: while a
// lease is open its bytes must stay readable, whatever the others do.
func TestConcurrentUse(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{MaxAssets: 2, MaxBytes: 4000})
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			for i := range 20 {
				root := string(rune('a' + (g+i)%5))
				l, err := s.Acquire(root)
				if err != nil {
					t.Error(err)
					return
				}
				r, err := l.OpenStreaming("data")
				if err != nil {
					t.Error(err)
					l.Close()
					return
				}
				if r.ClaimWriter() && r.Status() == storage.StatusInProgress {
					r.WriteAt(bytes.Repeat([]byte(root), 1000), 0)
					if err := r.Commit(1000); err != nil {
						t.Error(err)
					}
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				// Whoever claimed the resource commits it before releasing
				// its lease, so every waiter gets the bytes.
				if err := r.WaitRange(ctx, 0, 1000); err != nil {
					t.Error(err)
				} else {
					buf := make([]byte, 1000)
					if n, _ := r.ReadAt(buf, 0); n != 1000 || !bytes.Equal(buf, bytes.Repeat([]byte(root), 1000)) {
						t.Errorf("asset %s: read %d bytes of wrong content while pinned", root, n)
					}
				}
				cancel()
				if err := l.Close(); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if n, b := s.Usage(); n > 2 || b > 4000 {
		t.Fatalf("after all leases closed: %d assets, %d bytes; limits are 2 and 4000", n, b)
	}
}

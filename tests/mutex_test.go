//go:build hotpath

package tests

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"testing"

	"github.com/hotpath-go/hotpath/kithara/assets"
	"github.com/hotpath-go/hotpath/kithara/storage"
	hotpath "github.com/hotpath-go/hotpath/runtime"
	"github.com/hotpath-go/hotpath/runtime/hotpathtest"
)

// The mutex rows of Kithara's watched locks, by the names hotpathgen gives
// them.
const (
	storeMu    = "github.com/hotpath-go/hotpath/kithara/assets.Store.mu"
	resourceMu = "github.com/hotpath-go/hotpath/kithara/storage.StreamingResource.ioMu"
)

// mutexRow returns a mutex row, failing the test when it is missing.
func mutexRow(t *testing.T, rep *hotpath.Report, label string) *hotpath.MutexRow {
	t.Helper()
	m := rep.Mutex(label)
	if m == nil {
		var have []string
		for _, r := range rep.Mutexes {
			have = append(have, r.Label)
		}
		t.Fatalf("no mutex row %s; rows: %v", label, have)
	}
	return m
}

// wantLockStats checks the numbers every mutex row must agree on: exact
// acquisitions, a hold per acquisition, a wait per contended one.
func wantLockStats(t *testing.T, label, mode string, s *hotpath.MutexStats, acquisitions, holds uint64) {
	t.Helper()
	if s.Acquisitions != acquisitions || s.Hold.Count != holds {
		t.Errorf("%s %s: %d acquisitions, %d holds; want %d and %d", label, mode, s.Acquisitions, s.Hold.Count, acquisitions, holds)
	}
	if s.Contended > s.Acquisitions || s.Wait.Count != s.Contended {
		t.Errorf("%s %s: %d contended of %d, %d waits", label, mode, s.Contended, s.Acquisitions, s.Wait.Count)
	}
	if s.Hold.Count > 0 && (s.Hold.MaxNS <= 0 || s.Hold.TotalNS < s.Hold.MaxNS) {
		t.Errorf("%s %s: hold %+v", label, mode, s.Hold)
	}
}

// TestMutexAssetsAndStorage fills one streaming resource of the assets store
// from many goroutines, each with its own lease, while others read it, and
// checks the rows of the store's lock and of the resource's I/O lock:
// every acquisition counted, reads and writes of the RWMutex apart.
func TestMutexAssetsAndStorage(t *testing.T) {
	t.Setenv("HOTPATH_FOCUS", "")
	t.Setenv("HOTPATH_LIMIT", "")
	g := hotpathtest.Start(t, hotpath.Options{Name: t.Name(), Format: hotpath.FormatNone})
	store, err := assets.Open(t.TempDir(), assets.Options{}) // store.mu: 1
	if err != nil {
		t.Fatal(err)
	}
	const writers, readers, chunk = 16, 4, 4096
	payload := bytes.Repeat([]byte("kithara!"), writers*chunk/8)

	lease, err := store.Acquire("track") // 1
	if err != nil {
		t.Fatal(err)
	}
	res, err := lease.OpenStreaming("audio.bin") // 1
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			l, err := store.Acquire("track") // 1 each
			if err != nil {
				t.Error(err)
				return
			}
			defer l.Close()                        // 1 each
			r, err := l.OpenStreaming("audio.bin") // 1 each: the shared resource
			if err != nil {
				t.Error(err)
				return
			}
			off := int64(w * chunk)
			if _, err := r.WriteAt(payload[off:off+chunk], off); err != nil { // ioMu read: 1 each
				t.Error(err)
			}
		})
	}
	for range readers {
		wg.Go(func() {
			buf := make([]byte, chunk)
			if _, err := res.ReadAt(buf, 0); err != nil && err != io.EOF && !errors.Is(err, storage.ErrUnavailable) { // ioMu read: 1 each
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := res.Commit(int64(len(payload))); err != nil { // ioMu write: 1; store.mu (record): 1
		t.Fatal(err)
	}
	got := make([]byte, len(payload))
	if n, err := res.ReadAt(got, 0); n != len(payload) || (err != nil && err != io.EOF) || !bytes.Equal(got, payload) { // ioMu read: 1
		t.Fatalf("read back %d bytes, %v", n, err)
	}
	if err := lease.Close(); err != nil { // store.mu: 1; the last pin closes the resource: ioMu write: 1
		t.Fatal(err)
	}
	if err := store.Close(); err != nil { // 1
		t.Fatal(err)
	}
	rep := hotpathtest.Stop(t, g)
	var table bytes.Buffer
	if err := rep.Write(&table, hotpath.FormatTable); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + table.String())

	sm := mutexRow(t, rep, storeMu)
	if sm.Type != "sync.Mutex" || sm.RLock != nil {
		t.Errorf("%s: %+v", storeMu, sm)
	}
	wantStore := uint64(1 + 1 + 1 + 3*writers + 1 + 1 + 1)
	wantLockStats(t, storeMu, "lock", &sm.Lock, wantStore, wantStore)

	rm := mutexRow(t, rep, resourceMu)
	if rm.Type != "sync.RWMutex" || rm.RLock == nil {
		t.Fatalf("%s: %+v", resourceMu, rm)
	}
	wantLockStats(t, resourceMu, "lock", &rm.Lock, 2, 2)
	reads := uint64(writers + readers + 1)
	if rm.RLock.Acquisitions != reads || rm.RLock.Hold.Count == 0 || rm.RLock.Hold.Count > reads {
		t.Errorf("%s rlock: %d acquisitions, %d read-held periods; want %d, and 1..%d", resourceMu, rm.RLock.Acquisitions, rm.RLock.Hold.Count, reads, reads)
	}
	wantLockStats(t, resourceMu, "rlock", rm.RLock, reads, rm.RLock.Hold.Count)
}

//go:build !hotpath

package hls

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/hotpath-go/hotpath/kithara/assets"
)

// newKeyTestManager returns a key manager over srv with a fresh cache.
func newKeyTestManager(t *testing.T, srv *testServer, process KeyProcessor) (*keyManager, *[]Event) {
	t.Helper()
	lease, err := openStore(t).Acquire("keys-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lease.Close() })
	var mu sync.Mutex
	var evs []Event
	emit := func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		evs = append(evs, e)
	}
	f := &fetchManager{net: noSleepNet(), lease: lease, now: time.Now}
	return newKeyManager(f, process, http.Header{"Authorization": {"Bearer t"}}, emit), &evs
}

func TestKeyFetchedOnceByConcurrentCallers(t *testing.T) {
	key := []byte("0123456789abcdef")
	srv := newTestServer(t, fstest.MapFS{"k.bin": {Data: key}})
	gate := make(chan struct{})
	srv.throttle = func(string) (int, time.Duration) { <-gate; return 0, 0 }
	m, evs := newKeyTestManager(t, srv, nil)
	k := &Key{Method: MethodAES128, URI: mustURL(t, srv.url("k.bin"))}

	var wg sync.WaitGroup
	results := make([][]byte, 8)
	errs := make([]error, 8)
	for i := range results {
		wg.Go(func() { results[i], errs[i] = m.key(context.Background(), k) })
	}
	close(gate)
	wg.Wait()
	for i := range results {
		if errs[i] != nil || !bytes.Equal(results[i], key) {
			t.Errorf("caller %d: %x, %v", i, results[i], errs[i])
		}
	}
	if n := srv.count("k.bin"); n != 1 {
		t.Errorf("key requested %d times by 8 callers, want once", n)
	}
	if len(*evs) != 1 || (*evs)[0] != (KeyFetched{URI: k.URI.String()}) {
		t.Errorf("events %v, want one KeyFetched from the network", *evs)
	}
}

func TestKeyFailureIsNotRemembered(t *testing.T) {
	key := []byte("0123456789abcdef")
	srv := newTestServer(t, fstest.MapFS{"k.bin": {Data: key}})
	srv.setStatus("k.bin", http.StatusForbidden)
	m, _ := newKeyTestManager(t, srv, nil)
	k := &Key{Method: MethodAES128, URI: mustURL(t, srv.url("k.bin"))}
	if _, err := m.key(context.Background(), k); err == nil {
		t.Fatal("key from a 403 succeeded")
	}
	srv.setStatus("k.bin", 0)
	got, err := m.key(context.Background(), k)
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("second try: %x, %v", got, err)
	}
	if n := srv.count("k.bin"); n != 2 {
		t.Errorf("key requested %d times, want 2", n)
	}
}

func TestKeyProcessorErrors(t *testing.T) {
	srv := newTestServer(t, fstest.MapFS{"k.bin": {Data: []byte("0123456789abcdef")}})
	boom := errors.New("licence server said no")
	m, _ := newKeyTestManager(t, srv, func(context.Context, []byte, string) ([]byte, error) { return nil, boom })
	k := &Key{Method: MethodAES128, URI: mustURL(t, srv.url("k.bin"))}
	if _, err := m.decrypter(context.Background(), k, 3); !errors.Is(err, boom) || !errors.Is(err, ErrKey) {
		t.Errorf("decrypter with a failing processor: %v, want ErrKey wrapping the processor's error", err)
	}
	if d, err := m.decrypter(context.Background(), nil, 3); d != nil || err != nil {
		t.Errorf("decrypter for a clear segment = %v, %v; want nil, nil", d, err)
	}
}

// The cache layout must keep apart resources whose last path element is the
// same, as every variant's "seg000.mp3" is.
func TestResourceKeysAreUnique(t *testing.T) {
	seen := map[string]string{}
	for _, raw := range []string{
		"http://h/v0/seg000.mp3", "http://h/v1/seg000.mp3", "http://h/v1/seg000.mp3?token=2",
		"http://h/" + string(bytes.Repeat([]byte("é"), 200)) + ".ts",
	} {
		key, err := resourceKey(kindSegment, mustURL(t, raw))
		if err != nil {
			t.Fatal(err)
		}
		if err := assets.ValidateKey(key); err != nil {
			t.Errorf("key %q for %s: %v", key, raw, err)
		}
		if other, dup := seen[key]; dup {
			t.Errorf("%s and %s share key %q", raw, other, key)
		}
		seen[key] = raw
	}
}

//go:build !hotpath

package assets

import (
	"fmt"
	"path/filepath"

	"github.com/hotpath-go/hotpath/kithara/storage"
)

// Lease pins one asset while it is open and opens its resources. A Lease is
// safe for concurrent use; Close it exactly when done (further Closes are
// no-ops).
type Lease struct {
	store  *Store
	root   string
	closed bool // guarded by store.mu
}

// Root returns the asset root the lease pins.
func (l *Lease) Root() string { return l.root }

// OpenStreaming returns the streaming resource key of the leased asset. Every
// lease on the asset gets the same resource while any of them is open. A
// resource the index records as complete comes back committed; any other file
// is truncated, so the caller downloads it again. A failed resource is
// replaced by a fresh one, so a retry starts from scratch. Callers that may
// race to fill the same resource decide who writes with ClaimWriter.
//
// The resource is valid until the asset's last lease is closed; do not Close
// it yourself.
func (l *Lease) OpenStreaming(key string) (*storage.StreamingResource, error) {
	if err := ValidateKey(key); err != nil {
		return nil, fmt.Errorf("open %s: %w", l.root, err)
	}
	s := l.store
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := l.entryLocked()
	if err != nil {
		return nil, err
	}
	if r, ok := e.streaming[key]; ok {
		if r.Status() != storage.StatusFailed {
			return r, nil
		}
		delete(e.streaming, key)
		if err := r.Close(); err != nil {
			s.log.Warn("cache: closing failed resource", "root", l.root, "key", key, "err", err)
		}
	}
	r, err := s.openStreamingLocked(e, key)
	if err != nil {
		return nil, err
	}
	e.streaming[key] = r
	return r, nil
}

func (s *Store) openStreamingLocked(e *assetEntry, key string) (*storage.StreamingResource, error) {
	path := filepath.Join(s.dir, e.root, filepath.FromSlash(key))
	root := e.root
	onCommit := func(n int64) { s.record(root, key, n) }

	if rec, ok := e.resources[key]; ok && rec.complete {
		// No OnCommit here: this Commit seals what the index already says,
		// and the hook would take s.mu, which we hold.
		r, err := storage.OpenStreaming(path, storage.StreamingOptions{Handles: s.handles})
		if err != nil {
			return nil, fmt.Errorf("open %s/%s: %w", e.root, key, err)
		}
		err = r.Commit(rec.size)
		if err == nil {
			return r, nil
		}
		s.log.Warn("cache: complete resource changed on disk, downloading again", "root", e.root, "key", key, "err", err)
		if err := r.Close(); err != nil {
			return nil, fmt.Errorf("open %s/%s: %w", e.root, key, err)
		}
	}
	r, err := storage.OpenStreaming(path, storage.StreamingOptions{Truncate: true, OnCommit: onCommit, Handles: s.handles})
	if err != nil {
		return nil, fmt.Errorf("open %s/%s: %w", e.root, key, err)
	}
	e.resources[key] = resourceRecord{}
	return r, nil
}

// OpenAtomic returns the atomic resource key of the leased asset. Its size
// counts towards the limits from its first Write.
func (l *Lease) OpenAtomic(key string) (*storage.AtomicResource, error) {
	if err := ValidateKey(key); err != nil {
		return nil, fmt.Errorf("open %s: %w", l.root, err)
	}
	s := l.store
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := l.entryLocked(); err != nil {
		return nil, err
	}
	path := filepath.Join(s.dir, l.root, filepath.FromSlash(key))
	root := l.root
	return storage.NewAtomic(path, storage.AtomicOptions{
		OnWrite: func(n int64) { s.record(root, key, n) },
	}), nil
}

func (l *Lease) entryLocked() (*assetEntry, error) {
	if l.closed || l.store.closed {
		return nil, fmt.Errorf("asset %s: %w", l.root, ErrClosed)
	}
	return l.store.assets[l.root], nil
}

// Close releases the pin. When it was the asset's last, the asset's streaming
// resources are closed and the asset becomes evictable.
func (l *Lease) Close() error {
	s := l.store
	s.mu.Lock()
	defer s.mu.Unlock()
	if l.closed || s.closed {
		l.closed = true
		return nil
	}
	l.closed = true
	if err := s.releaseLocked(l.root); err != nil {
		return fmt.Errorf("release %s: %w", l.root, err)
	}
	return nil
}

//go:build !hotpath

package hls

import (
	"context"
	"fmt"
	"net/http"
	"sync"
)

// KeyProcessor transforms the bytes of an AES-128 key after they are
// fetched and before they are used, for example to unwrap a key that a DRM
// scheme delivers encrypted. uri is the key's address. It is called once per
// key URI and session.
type KeyProcessor func(ctx context.Context, key []byte, uri string) ([]byte, error)

// keyManager fetches AES-128 keys, once per URI: the processed bytes are
// kept in memory for the session, and the raw bytes in the cache.
type keyManager struct {
	fetch   *fetchManager
	process KeyProcessor
	header  http.Header
	emit    func(Event)

	mu   sync.Mutex
	keys map[string]*keyEntry
}

// keyEntry is a key fetched or being fetched; done is closed when key and
// err are set.
type keyEntry struct {
	done chan struct{}
	key  []byte
	err  error
}

func newKeyManager(fetch *fetchManager, process KeyProcessor, header http.Header, emit func(Event)) *keyManager {
	return &keyManager{fetch: fetch, process: process, header: header, emit: emit, keys: map[string]*keyEntry{}}
}

// key returns the processed 16-byte key of k. Concurrent callers for the
// same URI share one fetch; a failed fetch is not remembered, so a later
// call tries again.
func (m *keyManager) key(ctx context.Context, k *Key) ([]byte, error) {
	uri := k.URI.String()
	m.mu.Lock()
	e, ok := m.keys[uri]
	if !ok {
		e = &keyEntry{done: make(chan struct{})}
		m.keys[uri] = e
	}
	m.mu.Unlock()
	if ok {
		select {
		case <-e.done:
			if e.err == nil {
				return e.key, nil
			}
			// The fetch that failed has forgotten its entry; try again.
			return m.key(ctx, k)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	e.key, e.err = m.load(ctx, k)
	if e.err != nil {
		m.mu.Lock()
		delete(m.keys, uri)
		m.mu.Unlock()
	}
	close(e.done)
	return e.key, e.err
}

// load fetches, processes and checks one key.
//
//hotpath:measure
func (m *keyManager) load(ctx context.Context, k *Key) ([]byte, error) {
	raw, cached, err := m.fetch.fetchKey(ctx, k.URI, m.header)
	if err != nil {
		return nil, err
	}
	if m.emit != nil {
		m.emit(KeyFetched{URI: k.URI.String(), Cached: cached})
	}
	key := raw
	if m.process != nil {
		if key, err = m.process(ctx, raw, k.URI.String()); err != nil {
			return nil, fmt.Errorf("%w: key processor for %s: %w", ErrKey, k.URI, err)
		}
	}
	if len(key) != 16 {
		return nil, fmt.Errorf("%w: key %s is %d bytes, want 16", ErrKey, k.URI, len(key))
	}
	return key, nil
}

// decrypter returns a decrypter for the segment with sequence number seq
// under k, or nil when k is nil (the segment is in the clear).
func (m *keyManager) decrypter(ctx context.Context, k *Key, seq uint64) (*Decrypter, error) {
	if k == nil {
		return nil, nil
	}
	key, err := m.key(ctx, k)
	if err != nil {
		return nil, err
	}
	return NewDecrypter(key, k.SegmentIV(seq))
}

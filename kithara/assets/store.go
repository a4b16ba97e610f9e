//go:build !hotpath

package assets

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/hotpath-go/hotpath/kithara/storage"
)

// Options configures a Store. The zero value is a cache without limits that
// logs nothing.
type Options struct {
	// MaxAssets is the most assets kept; 0 or less means no limit.
	MaxAssets int
	// MaxBytes is the most bytes kept over all assets; 0 or less means no
	// limit.
	MaxBytes int64
	// Logger receives warnings (a corrupt index that was rebuilt, an asset
	// that could not be deleted) and debug records of evictions. Nil
	// discards them.
	Logger *slog.Logger
	// MaxOpenFiles is the most files of complete streaming resources kept
	// open for reading, over all assets; the least recently read are closed
	// and opened again when read (see storage.HandleCache). 0 means
	// DefaultMaxOpenFiles; a negative value keeps every file open until its
	// asset's last lease is released. Resources being written keep their
	// files open regardless.
	MaxOpenFiles int
}

// DefaultMaxOpenFiles is the default Options.MaxOpenFiles: enough for a few
// players reading a few segments each, far below the usual descriptor limit.
const DefaultMaxOpenFiles = 64

// Entry describes one asset of the store.
type Entry struct {
	Root  string
	Bytes int64
	// Pins is the number of open leases on the asset.
	Pins int
}

// Store is a cache directory of assets. It is safe for concurrent use.
type Store struct {
	dir     string
	opts    Options
	log     *slog.Logger
	index   *storage.AtomicResource
	handles *storage.HandleCache // nil: no limit

	//hotpath:mutex
	mu     sync.Mutex
	assets map[string]*assetEntry
	clock  uint64 // logical time of the last use of any asset
	closed bool
}

// assetEntry is the store's record of one asset, on disk and in use.
type assetEntry struct {
	root      string
	lastUsed  uint64
	resources map[string]resourceRecord

	pins      int
	streaming map[string]*storage.StreamingResource // shared while pinned
}

func newAssetEntry(root string) *assetEntry {
	return &assetEntry{
		root:      root,
		resources: make(map[string]resourceRecord),
		streaming: make(map[string]*storage.StreamingResource),
	}
}

func (e *assetEntry) bytes() int64 {
	var n int64
	for _, r := range e.resources {
		n += r.size
	}
	return n
}

// Open opens the cache in dir, creating it when missing. It loads the index,
// reconciles it with the tree (rebuilding it, with a warning, when it is
// unreadable), removes temporary files left by a crash and evicts down to the
// limits.
func Open(dir string, opts Options) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open cache: %w", err)
	}
	s := &Store{
		dir:   dir,
		opts:  opts,
		log:   opts.Logger,
		index: storage.NewAtomic(filepath.Join(dir, indexDir, indexName), storage.AtomicOptions{}),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	switch n := opts.MaxOpenFiles; {
	case n == 0:
		s.handles = storage.NewHandleCache(DefaultMaxOpenFiles)
	case n > 0:
		s.handles = storage.NewHandleCache(n)
	}
	idx := s.loadIndex()
	tree, err := scanTree(dir, s.log.Warn)
	if err != nil {
		return nil, fmt.Errorf("open cache: %w", err)
	}
	s.clock, s.assets = reconcile(idx, tree)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.evictLocked()
	s.persistLocked()
	return s, nil
}

// loadIndex reads the index, or returns nil after logging why it cannot be
// used. A missing index is normal for a new cache and only worth a debug line.
func (s *Store) loadIndex() *indexFile {
	data, err := s.index.Read()
	if errors.Is(err, fs.ErrNotExist) {
		s.log.Debug("cache: no index, building it from the tree", "dir", s.dir)
		return nil
	}
	if err != nil {
		s.log.Warn("cache: index unreadable, rebuilding it from the tree", "path", s.index.Path(), "err", err)
		return nil
	}
	idx, err := decodeIndex(data)
	if err != nil {
		s.log.Warn("cache: index corrupt, rebuilding it from the tree", "path", s.index.Path(), "err", err)
		return nil
	}
	return idx
}

// Dir returns the cache directory.
func (s *Store) Dir() string { return s.dir }

// OpenFiles reports how many files of complete resources the store keeps
// open (see Options.MaxOpenFiles), or -1 when it does not limit them.
func (s *Store) OpenFiles() int {
	if s.handles == nil {
		return -1
	}
	return s.handles.OpenFiles()
}

// Acquire pins the asset named root and marks it used. The asset need not
// exist yet. Close the lease to release the pin.
func (s *Store) Acquire(root string) (*Lease, error) {
	if err := validateRoot(root); err != nil {
		return nil, fmt.Errorf("acquire: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("acquire %s: %w", root, ErrClosed)
	}
	e, ok := s.assets[root]
	if !ok {
		e = newAssetEntry(root)
		s.assets[root] = e
	}
	e.pins++
	s.touchLocked(e)
	if s.evictLocked() {
		s.persistLocked()
	}
	return &Lease{store: s, root: root}, nil
}

// Entries returns the assets, least recently used first: the order in which
// they would be evicted.
func (s *Store) Entries() []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Entry, 0, len(s.assets))
	for _, e := range s.lruLocked() {
		out = append(out, Entry{Root: e.root, Bytes: e.bytes(), Pins: e.pins})
	}
	return out
}

// Usage returns the number of assets and the bytes they hold.
func (s *Store) Usage() (assets int, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.assets), s.bytesLocked()
}

// Close writes the index and closes every open resource; leases still open
// become unusable. Close is idempotent.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	for _, e := range s.assets {
		errs = append(errs, closeStreaming(e))
	}
	if err := s.writeIndexLocked(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// touchLocked makes e the most recently used asset. The new order is written
// with the next change that must reach the disk (a commit, an eviction, a
// changed size) or at Close, not at once: a crash forgets some recent uses,
// which costs nothing but eviction order, while a synced write per lease would
// cost more than reading a cached file.
func (s *Store) touchLocked(e *assetEntry) {
	s.clock++
	e.lastUsed = s.clock
}

func (s *Store) lruLocked() []*assetEntry {
	entries := make([]*assetEntry, 0, len(s.assets))
	for _, e := range s.assets {
		entries = append(entries, e)
	}
	slices.SortFunc(entries, func(a, b *assetEntry) int {
		return cmp.Or(cmp.Compare(a.lastUsed, b.lastUsed), cmp.Compare(a.root, b.root))
	})
	return entries
}

func (s *Store) bytesLocked() int64 {
	var n int64
	for _, e := range s.assets {
		n += e.bytes()
	}
	return n
}

func (s *Store) overLocked(count int, bytes int64) bool {
	return s.opts.MaxAssets > 0 && count > s.opts.MaxAssets ||
		s.opts.MaxBytes > 0 && bytes > s.opts.MaxBytes
}

// evictLocked deletes unpinned assets, least recently used first, until the
// limits hold or only pinned assets are left. It reports whether it deleted
// any.
func (s *Store) evictLocked() (evicted bool) {
	count, bytes := len(s.assets), s.bytesLocked()
	if !s.overLocked(count, bytes) {
		return false
	}
	for _, e := range s.lruLocked() {
		if !s.overLocked(count, bytes) {
			return evicted
		}
		// Resources being written live only in pinned assets; the second
		// test is a guard, not a case that occurs.
		if e.pins > 0 || len(e.streaming) > 0 {
			continue
		}
		if err := os.RemoveAll(filepath.Join(s.dir, e.root)); err != nil {
			s.log.Warn("cache: cannot evict asset", "root", e.root, "err", err)
			continue
		}
		delete(s.assets, e.root)
		evicted = true
		count--
		bytes -= e.bytes()
		s.log.Debug("cache: evicted asset", "root", e.root, "bytes", e.bytes())
	}
	if s.overLocked(count, bytes) {
		s.log.Debug("cache: over its limits, every remaining asset is pinned", "assets", count, "bytes", bytes)
	}
	return evicted
}

// persistLocked writes the index. The tree is the source of truth, so a
// failure costs at most the LRU order and completion records: it is logged,
// not returned.
func (s *Store) persistLocked() {
	if err := s.writeIndexLocked(); err != nil {
		s.log.Warn("cache: cannot write index", "err", err)
	}
}

func (s *Store) writeIndexLocked() error {
	data, err := encodeIndex(s.clock, s.lruLocked())
	if err != nil {
		return fmt.Errorf("encode index: %w", err)
	}
	return s.index.Write(data)
}

// record updates what the store knows about one resource after it was
// committed or written whole, then evicts and persists.
func (s *Store) record(root, key string, size int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	e, ok := s.assets[root]
	if !ok {
		return
	}
	e.resources[key] = resourceRecord{size: size, complete: true}
	s.evictLocked()
	s.persistLocked()
}

// releaseLocked drops one pin. When the last pin goes, the asset's resources
// are closed, its sizes are read back from disk (to count leftovers of
// interrupted downloads) and it becomes the most recently used asset.
func (s *Store) releaseLocked(root string) error {
	e, ok := s.assets[root]
	if !ok || e.pins == 0 {
		return nil
	}
	e.pins--
	if e.pins > 0 {
		return nil
	}
	err := closeStreaming(e)
	changed := s.refreshSizesLocked(e)
	s.touchLocked(e)
	if s.evictLocked() || changed {
		s.persistLocked()
	}
	return err
}

// refreshSizesLocked reads the sizes of e's files back from disk and reports
// whether any record changed.
func (s *Store) refreshSizesLocked(e *assetEntry) (changed bool) {
	scanned, err := scanAsset(s.dir, e.root, s.log.Warn)
	if errors.Is(err, fs.ErrNotExist) {
		delete(s.assets, e.root) // acquired, never written, or its files were removed
		return true
	}
	if err != nil {
		s.log.Warn("cache: cannot scan asset", "root", e.root, "err", err)
		return false
	}
	for key, rec := range e.resources {
		size, ok := scanned.resources[key]
		switch {
		case !ok:
			delete(e.resources, key)
			changed = true
		case size != rec.size:
			e.resources[key] = resourceRecord{size: size}
			changed = true
		}
	}
	for key, size := range scanned.resources {
		if _, ok := e.resources[key]; !ok {
			e.resources[key] = resourceRecord{size: size}
			changed = true
		}
	}
	return changed
}

func closeStreaming(e *assetEntry) error {
	var errs []error
	for key, r := range e.streaming {
		errs = append(errs, r.Close())
		delete(e.streaming, key)
	}
	return errors.Join(errs...)
}

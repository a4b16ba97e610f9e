package storage

import (
	"container/list"
	"os"
	"sync"
)

// HandleCache bounds the number of files that committed StreamingResources
// keep open. A resource opened with a cache (StreamingOptions.Handles) hands
// its file to the cache when it is committed; the cache keeps the files of
// the resources read most recently open, closes the others, and a ReadAt on
// a resource whose file was closed opens it again, read-only.
//
// Without it, every resource keeps its file open until Close, which for a
// cache that holds the resources of a long HLS presentation (an hour of 2 s
// segments) means thousands of descriptors for files nobody reads any more.
// Resources still being written keep their files open: they are few, and
// their writers need them.
//
// A HandleCache may be shared by any number of resources and is safe for
// concurrent use. A file in use by a ReadAt is closed only when that read is
// done, so for a moment the files open can exceed the capacity by the number
// of reads in flight.
type HandleCache struct {
	capacity int

	mu    sync.Mutex
	lru   list.List // of *handle; most recently used at the front
	files int       // files open, cached or still in use after eviction
}

// handle is a file of a committed resource. The cache holds one reference
// while the handle is cached, every ReadAt using it one more; the file is
// closed when the last goes.
type handle struct {
	f    *os.File
	res  *StreamingResource
	refs int
	elem *list.Element // nil once evicted
}

// NewHandleCache returns a cache that keeps at most capacity files open
// (at least 1).
func NewHandleCache(capacity int) *HandleCache {
	return &HandleCache{capacity: max(capacity, 1)}
}

// OpenFiles reports how many files are open through the cache: the cached
// ones, and evicted ones that a read still uses.
func (c *HandleCache) OpenFiles() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.files
}

// adopt takes over f, the file of r, which has just been committed.
func (c *HandleCache) adopt(r *StreamingResource, f *os.File) {
	c.mu.Lock()
	c.files++
	c.insertLocked(&handle{f: f, res: r, refs: 1})
	victims := c.evictLocked()
	c.mu.Unlock()
	closeAll(victims)
}

// acquire returns r's handle for a read, opening the file again when the
// cache closed it. The caller holds r.ioMu (shared), so r is not closed
// meanwhile, and must release the handle when its read is done.
func (c *HandleCache) acquire(r *StreamingResource) (*handle, error) {
	c.mu.Lock()
	if h := r.handle; h != nil {
		h.refs++
		c.lru.MoveToFront(h.elem)
		c.mu.Unlock()
		return h, nil
	}
	c.mu.Unlock()

	// Open outside the lock: a slow disk must not hold up reads of other
	// resources.
	f, err := os.Open(r.path)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if h := r.handle; h != nil {
		// Another reader of r opened it first.
		h.refs++
		c.lru.MoveToFront(h.elem)
		c.mu.Unlock()
		f.Close()
		return h, nil
	}
	c.files++
	h := &handle{f: f, res: r, refs: 2}
	c.insertLocked(h)
	victims := c.evictLocked()
	c.mu.Unlock()
	closeAll(victims)
	return h, nil
}

// release ends a read that used h.
func (c *HandleCache) release(h *handle) {
	c.mu.Lock()
	last := c.unrefLocked(h)
	c.mu.Unlock()
	if last {
		h.f.Close() // read-only, or synced at commit: nothing to lose
	}
}

// drop forgets r's handle when r is closed, and closes its file. The caller
// holds r.ioMu exclusively, so no read uses the handle.
func (c *HandleCache) drop(r *StreamingResource) error {
	c.mu.Lock()
	h := r.handle
	last := false
	if h != nil {
		c.lru.Remove(h.elem)
		h.elem, r.handle = nil, nil
		last = c.unrefLocked(h)
	}
	c.mu.Unlock()
	if last {
		return h.f.Close()
	}
	return nil
}

// insertLocked caches h as the most recently used handle.
func (c *HandleCache) insertLocked(h *handle) {
	h.elem = c.lru.PushFront(h)
	h.res.handle = h
}

// evictLocked uncaches the least recently used handles beyond the capacity
// and returns those no read uses, for the caller to close outside the lock.
func (c *HandleCache) evictLocked() []*handle {
	var victims []*handle
	for c.lru.Len() > c.capacity {
		h := c.lru.Remove(c.lru.Back()).(*handle)
		h.elem, h.res.handle = nil, nil
		if c.unrefLocked(h) {
			victims = append(victims, h)
		}
	}
	return victims
}

// unrefLocked drops a reference to h and reports whether it was the last,
// in which case the caller closes the file.
func (c *HandleCache) unrefLocked(h *handle) bool {
	h.refs--
	if h.refs > 0 {
		return false
	}
	c.files--
	return true
}

// closeAll closes the files of evicted handles. Their errors are of no use:
// the files were synced at commit, or only read.
func closeAll(hs []*handle) {
	for _, h := range hs {
		h.f.Close()
	}
}

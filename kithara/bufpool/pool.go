// Package bufpool recycles byte and sample buffers on hot paths, so a stream of
// 64 KiB chunks or PCM blocks does not become a stream of garbage.
//
// A [Pool] keeps slices in power-of-two size classes, each backed by a
// sync.Pool: Get(n) returns a slice of length n from the smallest class that
// fits, and Put files a slice under the largest class its capacity covers.
// Like sync.Pool (and unlike Kithara's Rust pool, which caps buffer counts and
// trims capacities by hand), idle buffers are released by the garbage
// collector, so a pool needs no limits.
package bufpool

import (
	"math/bits"
	"sync"
)

// Size-class bounds, in elements. Requests below minClass are served from the
// smallest class; requests above maxClass are allocated directly and not kept,
// so one huge buffer cannot pin memory in the pool.
const (
	minShift   = 6  // 64 elements
	maxShift   = 24 // 16 Mi elements
	numClasses = maxShift - minShift + 1
)

// Pool hands out reusable slices of T. The zero value is ready to use, and a
// Pool is safe for concurrent use. It must not be copied after first use.
type Pool[T any] struct {
	classes [numClasses]sync.Pool
	// boxes recycles the *[]T headers that carry slices through sync.Pool, so
	// that Put does not allocate one every time.
	boxes sync.Pool
}

// Bytes is the shared pool of byte buffers.
var Bytes = new(Pool[byte])

// Float32 is the shared pool of float32 sample buffers.
var Float32 = new(Pool[float32])

// Get returns a slice of length n (capacity possibly larger). Its contents are
// whatever the previous user left; callers that need zeros must clear it.
// A negative n is treated as zero.
func (p *Pool[T]) Get(n int) []T {
	if n < 0 {
		n = 0
	}
	c, ok := classFor(n)
	if !ok {
		return make([]T, n)
	}
	if box, _ := p.classes[c].Get().(*[]T); box != nil {
		b := *box
		*box = nil
		p.boxes.Put(box)
		return b[:n]
	}
	return make([]T, n, 1<<(c+minShift))
}

// Put makes b available to later Gets. The caller must not use b afterwards.
// Slices with a capacity below 64 or above 16 Mi elements are left to the
// garbage collector.
func (p *Pool[T]) Put(b []T) {
	c, ok := classOf(cap(b))
	if !ok {
		return
	}
	box, _ := p.boxes.Get().(*[]T)
	if box == nil {
		box = new([]T)
	}
	*box = b[:0]
	p.classes[c].Put(box)
}

// classFor returns the smallest class whose buffers hold n elements.
func classFor(n int) (int, bool) {
	if n <= 1<<minShift {
		return 0, true
	}
	shift := bits.Len(uint(n - 1)) // ceil(log2(n))
	if shift > maxShift {
		return 0, false
	}
	return shift - minShift, true
}

// classOf returns the largest class a buffer of capacity c can serve.
func classOf(c int) (int, bool) {
	if c < 1<<minShift {
		return 0, false
	}
	if c > 1<<maxShift {
		return 0, false
	}
	return bits.Len(uint(c)) - 1 - minShift, true // floor(log2(c))
}

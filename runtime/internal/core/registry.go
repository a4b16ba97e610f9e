package core

import "sync"

// registry holds every Func that has been called, chanSites every ChanSite
// that has made a channel. They only grow: a measured function or a make
// site is a static thing, and the report of a guard is the difference
// between two snapshots of them.
var (
	registry  growingList[*Func]
	chanSites growingList[*ChanSite]
)

// growingList is a list that only grows, safe for concurrent use.
type growingList[T any] struct {
	mu    sync.Mutex
	items []T
}

func (l *growingList[T]) add(v T) {
	l.mu.Lock()
	l.items = append(l.items, v)
	l.mu.Unlock()
}

// list returns the items so far; the slice is never mutated after it is
// returned.
func (l *growingList[T]) list() []T {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.items[:len(l.items):len(l.items)]
}

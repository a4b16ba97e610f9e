package hotpath

import "sync"

// registry holds every Func (and channel site) that has been used. It only
// grows: a measured function is a static thing, and the report of a guard is
// the difference between two snapshots of the registry.
var registry registryT

type registryT struct {
	mu    sync.Mutex
	funcs []*Func
}

func (r *registryT) addFunc(f *Func) {
	r.mu.Lock()
	r.funcs = append(r.funcs, f)
	r.mu.Unlock()
}

// funcList returns the registered funcs; the slice is never mutated after
// it is returned.
func (r *registryT) funcList() []*Func {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.funcs[:len(r.funcs):len(r.funcs)]
}

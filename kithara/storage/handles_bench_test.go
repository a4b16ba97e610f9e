package storage

import (
	"path/filepath"
	"testing"
)

// BenchmarkReadAtHandles measures 4 KiB reads of committed resources: with
// the file kept open by the resource, cached by a HandleCache, and reopened
// on every read because two resources share a cache of one handle.
func BenchmarkReadAtHandles(b *testing.B) {
	const size = 1 << 20
	setup := func(b *testing.B, handles *HandleCache, n int) []*StreamingResource {
		rs := make([]*StreamingResource, n)
		for i := range rs {
			r, err := OpenStreaming(filepath.Join(b.TempDir(), "res"), StreamingOptions{Handles: handles})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { r.Close() })
			mustWrite(b, r, 0, pattern(size))
			if err := r.Commit(size); err != nil {
				b.Fatal(err)
			}
			rs[i] = r
		}
		return rs
	}
	for _, bc := range []struct {
		name    string
		handles *HandleCache
		n       int
	}{
		{"own file", nil, 1},
		{"cached", NewHandleCache(2), 2},
		{"reopened", NewHandleCache(1), 2},
	} {
		b.Run(bc.name, func(b *testing.B) {
			rs := setup(b, bc.handles, bc.n)
			buf := make([]byte, 4096)
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				off := int64(i%(size/len(buf))) * int64(len(buf))
				if n, err := rs[i%len(rs)].ReadAt(buf, off); n != len(buf) || err != nil {
					b.Fatal(n, err)
				}
			}
		})
	}
}

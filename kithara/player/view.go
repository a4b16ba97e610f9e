package player

import (
	"context"

	"github.com/hotpath-go/hotpath/kithara/stream"
)

// offsetSource is the part of a Source from off on, seen from 0. A seek in an
// HLS presentation lands at the byte offset where its segment starts; a
// decoder opened on this view starts there with no need to find its way
// through the segments before it (which the driver has not fetched).
type offsetSource struct {
	src stream.Source
	off int64
}

func (v offsetSource) WaitRange(ctx context.Context, start, end int64) error {
	return v.src.WaitRange(ctx, v.off+start, v.off+end)
}

func (v offsetSource) ReadAt(p []byte, off int64) (int, error) {
	return v.src.ReadAt(p, v.off+off)
}

func (v offsetSource) Len() (int64, bool) {
	n, ok := v.src.Len()
	if !ok {
		return 0, false
	}
	return max(n-v.off, 0), true
}

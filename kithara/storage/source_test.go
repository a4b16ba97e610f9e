package storage_test

import (
	"github.com/hotpath-go/hotpath/kithara/storage"
	"github.com/hotpath-go/hotpath/kithara/stream"
)

// StreamingResource is a stream.Source; the assertion lives in a test so that
// storage does not import the layer above it.
var _ stream.Source = (*storage.StreamingResource)(nil)

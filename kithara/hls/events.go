package hls

import (
	"time"

	"github.com/hotpath-go/hotpath/kithara/hls/abr"
)

// Event is something that happened while playing: one of the types below.
// Events are delivered to Options.OnEvent in the order they happen.
type Event interface {
	hlsEvent()
}

// VariantApplied: the driver switched the variant it fetches, from the
// segment Segment on. From is -1 for the initial choice.
type VariantApplied struct {
	From, To int
	Segment  int
	Reason   abr.Reason
}

// VariantReached: the reader reached the first byte fetched from a new
// variant, so a switch the driver applied earlier is now audible.
type VariantReached struct {
	Variant, Segment int
	Offset           int64
}

// SegmentStart: the driver started fetching a segment (Segment is -1 for
// an init section) that will occupy the byte space from Offset.
type SegmentStart struct {
	Variant, Segment int
	Offset           int64
}

// SegmentComplete: a segment is in the cache and published to readers at
// [Offset, Offset+Bytes). Cached reports a cache hit (no request).
type SegmentComplete struct {
	Variant, Segment int
	Offset, Bytes    int64
	Elapsed          time.Duration
	Cached           bool
}

// BufferLevel is the duration fetched ahead of the reader after a segment.
type BufferLevel struct {
	Ahead time.Duration
}

// ThroughputSample: Bytes arrived from the network in Elapsed.
type ThroughputSample struct {
	Bytes         int64
	Elapsed       time.Duration
	BitsPerSecond float64
}

// KeyFetched: an AES-128 key was fetched (Cached: from the disk cache).
// Each key URI is fetched once per session.
type KeyFetched struct {
	URI    string
	Cached bool
}

// EndOfStream: the last segment is published.
type EndOfStream struct{}

// ErrorEvent: fetching failed; readers past the failed segment get Err.
// Segment is -1 for a failure outside a segment (a playlist).
type ErrorEvent struct {
	Variant, Segment int
	Err              error
}

func (VariantApplied) hlsEvent()   {}
func (VariantReached) hlsEvent()   {}
func (SegmentStart) hlsEvent()     {}
func (SegmentComplete) hlsEvent()  {}
func (BufferLevel) hlsEvent()      {}
func (ThroughputSample) hlsEvent() {}
func (KeyFetched) hlsEvent()       {}
func (EndOfStream) hlsEvent()      {}
func (ErrorEvent) hlsEvent()       {}

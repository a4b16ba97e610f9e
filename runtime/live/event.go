package live

// Event is one message of the /debug/hotpath/events stream (its data line,
// as JSON): the totals since the process started and the deltas of the
// interval since the stream's previous event. The first event of a stream
// has IntervalNS 0 and every Interval field zero.
type Event struct {
	TimeUnixMS int64 `json:"time_unix_ms"`
	UptimeNS   int64 `json:"uptime_ns"`
	IntervalNS int64 `json:"interval_ns"`
	// Guards counts the guards alive.
	Guards int `json:"guards"`
	// SampleEvery is N when one call in N is timed.
	SampleEvery int `json:"sample_every"`
	// CallsEstimated is true when the sampling is estimated
	// (hotpath.Options.SampleEstimated): call counts are N per timed call.
	CallsEstimated bool `json:"calls_estimated,omitempty"`
	// Alloc is true while a guard in allocation mode is alive; then
	// Allocations holds its window's numbers.
	Alloc       bool    `json:"alloc"`
	Functions   []Func  `json:"functions"`
	Channels    []Chan  `json:"channels"`
	Allocations []Alloc `json:"allocations,omitempty"`
}

// Func is a measured function or block, sorted by TotalNS, largest first.
type Func struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"` // "func" or "block"
	Parent string `json:"parent,omitempty"`
	// Display is the name as the report's table prints it ("label @
	// parent" for a block).
	Display string `json:"display"`
	File    string `json:"file"`
	Line    int    `json:"line"`
	// Calls, TotalNS, AvgNS and MaxNS are since the process started.
	Calls    uint64       `json:"calls"`
	TotalNS  int64        `json:"total_ns"`
	AvgNS    int64        `json:"avg_ns"`
	MaxNS    int64        `json:"max_ns"`
	Interval FuncInterval `json:"interval"`
}

// FuncInterval is a function's numbers over the last interval.
type FuncInterval struct {
	Calls       uint64  `json:"calls"`
	TotalNS     int64   `json:"total_ns"`
	CallsPerSec float64 `json:"calls_per_s"`
	P50NS       int64   `json:"p50_ns"`
	P99NS       int64   `json:"p99_ns"`
}

// Chan is a //hotpath:channel make site, sorted by label.
type Chan struct {
	Label         string       `json:"label"`
	Type          string       `json:"type"`
	Site          string       `json:"site"`
	Capacity      int          `json:"capacity"`
	Created       uint64       `json:"created"`
	Sent          uint64       `json:"sent"`
	Received      uint64       `json:"received"`
	Closed        uint64       `json:"closed"`
	MaxDepth      int          `json:"max_depth"`
	SendBlocked   uint64       `json:"send_blocked"`
	RecvBlocked   uint64       `json:"recv_blocked"`
	SendBlockedNS int64        `json:"send_blocked_ns"`
	RecvBlockedNS int64        `json:"recv_blocked_ns"`
	Interval      ChanInterval `json:"interval"`
}

// ChanInterval is a channel site's numbers over the last interval.
type ChanInterval struct {
	Sent          uint64  `json:"sent"`
	Received      uint64  `json:"received"`
	SentPerSec    float64 `json:"sent_per_s"`
	RecvPerSec    float64 `json:"recv_per_s"`
	SendBlockedNS int64   `json:"send_blocked_ns"`
	RecvBlockedNS int64   `json:"recv_blocked_ns"`
	P99BlockedNS  int64   `json:"p99_blocked_ns"`
	MaxDepth      int     `json:"max_depth"`
}

// Alloc is a function's allocations over the window of the alive guard in
// allocation mode, sorted by AllocBytes, largest first.
type Alloc struct {
	Name             string `json:"name"`
	Kind             string `json:"kind"`
	Parent           string `json:"parent,omitempty"`
	Display          string `json:"display"`
	Calls            uint64 `json:"calls"`
	AllocBytes       int64  `json:"alloc_bytes"`
	AllocObjects     int64  `json:"alloc_objects"`
	SelfAllocBytes   int64  `json:"self_alloc_bytes"`
	SelfAllocObjects int64  `json:"self_alloc_objects"`
}

// Status is the /debug/hotpath/status document.
type Status struct {
	PID       int    `json:"pid"`
	UptimeNS  int64  `json:"uptime_ns"`
	GoVersion string `json:"go_version"`
	Guards    int    `json:"guards"`
	Alloc     bool   `json:"alloc"`
	Sample    int    `json:"sample"`
}

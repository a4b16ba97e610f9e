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
	// Goroutines and Mutexes are the //hotpath:go and //hotpath:mutex
	// sites used since the process started, sorted by label; empty
	// arrays, never null, when there are none.
	Goroutines []Go    `json:"goroutines"`
	Mutexes    []Mutex `json:"mutexes"`
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

// Go is a //hotpath:go statement: the goroutines it started since the
// process started.
type Go struct {
	// Label is label=NAME from the directive, or pkg.F:go@LINE.
	Label string `json:"label"`
	// Func is the function that holds the go statement.
	Func string `json:"func"`
	// Site is the go statement's position: import path, file and line.
	Site string `json:"site"`
	// Started counts the goroutines that began to run; Finished those
	// that ended without a panic (returned or called runtime.Goexit),
	// Panicked those that ended by a panic.
	Started  uint64 `json:"started"`
	Finished uint64 `json:"finished"`
	Panicked uint64 `json:"panicked"`
	// Alive is the number of the site's goroutines running when the event
	// was made; PeakAlive the largest number alive at once.
	Alive     int64 `json:"alive"`
	PeakAlive int64 `json:"peak_alive"`
	// LifetimeAvgNS is the average lifetime (go statement to the end of
	// the function and its deferred calls) of the goroutines that ended.
	LifetimeAvgNS int64      `json:"lifetime_avg_ns"`
	Interval      GoInterval `json:"interval"`
}

// GoInterval is a go statement's numbers over the last interval; the
// lifetimes are those of the goroutines that ended in it.
type GoInterval struct {
	Started       uint64  `json:"started"`
	Ended         uint64  `json:"ended"`
	StartedPerSec float64 `json:"started_per_s"`
	LifetimeAvgNS int64   `json:"lifetime_avg_ns"`
	LifetimeP50NS int64   `json:"lifetime_p50_ns"`
	LifetimeP99NS int64   `json:"lifetime_p99_ns"`
}

// Mutex is a //hotpath:mutex variable or struct field: every mutex
// declared there, since the process started.
type Mutex struct {
	// Label is label=NAME from the directive, or pkg.mu or pkg.T.mu.
	Label string `json:"label"`
	// Type is "sync.Mutex" or "sync.RWMutex".
	Type string `json:"type"`
	// Site is the declaration's position: import path, file and line.
	Site string `json:"site"`
	// Lock describes the write locks (every lock of a sync.Mutex), RLock
	// the read locks of a sync.RWMutex (nil for a sync.Mutex).
	Lock     MutexMode     `json:"lock"`
	RLock    *MutexMode    `json:"rlock,omitempty"`
	Interval MutexInterval `json:"interval"`
}

// MutexMode is one mode's (write or read) acquisitions of a mutex site.
type MutexMode struct {
	// Acquisitions counts the locks taken (a failed TryLock takes none);
	// Contended those that had to wait.
	Acquisitions uint64 `json:"acquisitions"`
	Contended    uint64 `json:"contended"`
	// WaitNS is the time the contended acquisitions waited, HoldNS the
	// time the lock was held (for read locks: the read-held periods, from
	// the first reader in to the last reader out), in nanoseconds.
	WaitNS int64 `json:"wait_ns"`
	HoldNS int64 `json:"hold_ns"`
}

// MutexInterval is a mutex site's numbers over the last interval, both
// modes together: counts and WaitNS add up, the p99s are the larger of the
// two modes'.
type MutexInterval struct {
	Acquisitions     uint64  `json:"acquisitions"`
	AcquisitionsPerS float64 `json:"acquisitions_per_s"`
	Contended        uint64  `json:"contended"`
	WaitNS           int64   `json:"wait_ns"`
	WaitP99NS        int64   `json:"wait_p99_ns"`
	HoldP99NS        int64   `json:"hold_p99_ns"`
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

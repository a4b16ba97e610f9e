package core

import "io"

// Hooks for the tests and benchmarks of package hotpath, which drive the
// recording core from outside it. Nothing else calls them.

// RecordDuration records one call of f that took exactly d nanoseconds,
// as Span.End does after reading the clock.
func RecordDuration(f *Func, d int64) { f.load().record(d, 1) }

// SetClock switches the measurement clock, as HOTPATH_CLOCK does at start
// ("tsc" or "monotonic"), and reports whether the TSC clock is on; the
// returned function restores the default.
func SetClock(mode string) (tsc bool, restore func()) {
	setupClock(mode, io.Discard)
	return tscClock.Load() != nil, func() { setupClock(defaultClock, io.Discard) }
}

// UseTSC switches between the TSC clock, calibrated by an earlier
// SetClock("tsc"), and the monotonic clock, without calibrating again.
func UseTSC(on bool) {
	if on {
		tscClock.Store(tscConfigured.calib)
	} else {
		tscClock.Store(nil)
	}
}

// TSCOn reports whether durations are read from the TSC clock now.
func TSCOn() bool { return tscClock.Load() != nil }

// ChanIndexSize returns the entries and slots of the index of tracked
// channels.
func ChanIndexSize() (entries, slots int) { return chanIndexSize() }

// MinChanSlots is the smallest size of that index.
const MinChanSlots = minChanSlots

package hotpath

import "io"

// SetClock switches the measurement clock for a benchmark, as
// HOTPATH_CLOCK does at start ("tsc" or "monotonic"), and reports whether
// the TSC clock is on; the returned function restores the default.
func SetClock(mode string) (tsc bool, restore func()) {
	setupClock(mode, io.Discard)
	return tscClock.Load() != nil, func() { setupClock(defaultClock, io.Discard) }
}

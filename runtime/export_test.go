package hotpath

import "io"

// SetClock switches the measurement clock for a benchmark, as
// HOTPATH_CLOCK does at start ("tsc" or "monotonic"), and reports whether
// the TSC clock is on; the returned function restores the default.
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

// SetSampleEvery sets sampling as a guard does, without one.
func SetSampleEvery(n int) { sampleEvery.Store(int64(max(n, 1))) }

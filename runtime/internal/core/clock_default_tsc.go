//go:build hotpath_tsc

package core

// defaultClock is the clock when HOTPATH_CLOCK is not set: this build has
// the hotpath_tsc tag.
const defaultClock = "tsc"

//go:build !hotpath_tsc

package core

// defaultClock is the clock when HOTPATH_CLOCK is not set; the hotpath_tsc
// build tag makes it the TSC.
const defaultClock = "monotonic"

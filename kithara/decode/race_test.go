//go:build race

package decode

// raceEnabled shrinks the single-goroutine signal tests, whose decoding and
// filtering run tens of times slower under the race detector and gain
// nothing from it; the concurrent tests run in full.
const raceEnabled = true

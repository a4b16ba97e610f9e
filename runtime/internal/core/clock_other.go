//go:build !amd64

package core

// tscAvailable reports that there is no cycle counter the profiler can
// use: only amd64's TSC is supported.
func tscAvailable() (bool, string) { return false, "no TSC clock on this architecture" }

// rdtsc is never called where tscAvailable is false.
func rdtsc() uint64 { return 0 }

//go:build unix

package hotpath

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time the process has used. On a loaded
// machine a benchmark's wall time includes the time other processes ran;
// the CPU time it used per op does not (the collector's work included).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

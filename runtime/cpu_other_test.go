//go:build !unix

package hotpath

import "time"

// processCPU is not measured here: benchmarks report wall time alone.
func processCPU() time.Duration { return 0 }

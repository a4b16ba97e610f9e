package hotpath

import "github.com/hotpath-go/hotpath/runtime/internal/core"

// SetClock switches the measurement clock for a benchmark (core.SetClock).
func SetClock(mode string) (tsc bool, restore func()) { return core.SetClock(mode) }

// UseTSC switches between the TSC and the monotonic clock (core.UseTSC).
func UseTSC(on bool) { core.UseTSC(on) }

// SetSampleEvery sets sampling as a guard does, without one.
func SetSampleEvery(n int) { core.SetSampleEvery(n) }

// SetSampling switches sampling as a guard with Options.SampleEvery and
// Options.SampleEstimated does.
func SetSampling(n int, estimated bool) { core.SetSampling(n, estimated) }

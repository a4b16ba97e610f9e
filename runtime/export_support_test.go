package hotpath

import "github.com/hotpath-go/hotpath/runtime/internal/core"

// RecordForTest records one call of f that took exactly d nanoseconds, for
// the benchmarks of the exporters (in package hotpath_test), which need
// full histograms without spending their durations.
func RecordForTest(f *core.Func, d int64) { ftRecord(f, d) }

package compare

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hotpath-go/hotpath/runtime/internal/names"
)

// Defaults for the zero Options.
const (
	DefaultThreshold = 0.10
	DefaultAlpha     = 0.05
	DefaultMetric    = MetricAvg
)

// allocFloor is the smallest change of allocated bytes per call that can
// count as a regression or an improvement. Below one smallest size class
// (8 bytes) a change per call is a one-off allocation (a map growing, a
// lazy initialisation) spread over the calls, not something every call does.
const allocFloor = 8

// Options tune what counts as a change. The zero value means the defaults.
type Options struct {
	// Metric is the per-function timing that decides a timing verdict;
	// default avg.
	Metric Metric
	// Threshold is the relative change a row must exceed to count, as a
	// fraction: 0.10 is ±10%. Zero or negative means DefaultThreshold.
	Threshold float64
	// Alpha is the significance level of the rank test, used when both
	// sides have two runs or more. Outside (0, 1) means DefaultAlpha.
	Alpha float64
}

func (o Options) withDefaults() Options {
	if o.Metric == "" {
		o.Metric = DefaultMetric
	}
	if !(o.Threshold > 0) {
		o.Threshold = DefaultThreshold
	}
	if !(o.Alpha > 0 && o.Alpha < 1) {
		o.Alpha = DefaultAlpha
	}
	return o
}

// Metric names the per-call timing that decides a function's timing
// verdict: MetricAvg, MetricTotal, or a percentile key such as "p95" that
// the reports carry (see hotpath.FuncRow.Percentiles).
type Metric string

// The metrics that need no percentile.
const (
	MetricAvg   Metric = "avg"   // mean duration of a timed call
	MetricTotal Metric = "total" // time in the function over the whole report
)

// ParseMetric accepts "avg", "total" and percentiles written "p95",
// "P99.9" or "p50", and returns them in the reports' spelling ("p99.9").
func ParseMetric(s string) (Metric, error) {
	switch m := strings.ToLower(strings.TrimSpace(s)); m {
	case string(MetricAvg), string(MetricTotal):
		return Metric(m), nil
	default:
		if rest, ok := strings.CutPrefix(m, "p"); ok {
			p, err := strconv.ParseFloat(rest, 64)
			if err == nil && p > 0 && p <= 100 {
				return Metric(names.PercentileKey(p)), nil
			}
		}
	}
	return "", fmt.Errorf("metric %q: want avg, total or a percentile such as p95", s)
}

// isPercentile reports whether m is a percentile key.
func (m Metric) isPercentile() bool { return m != MetricAvg && m != MetricTotal }

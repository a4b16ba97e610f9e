// Package textfmt renders durations and byte counts for the text
// outputs: the runtime's report tables, runtime/compare and hotpathgen top.
package textfmt

import (
	"fmt"
	"strconv"
	"time"
)

// Duration renders nanoseconds with a unit and two decimals, as
// hotpath-rs does: 950ns, 17.09µs, 1.16ms, 2.50s.
func Duration(ns int64) string {
	d := time.Duration(ns)
	switch {
	case d < time.Microsecond:
		return strconv.FormatInt(ns, 10) + "ns"
	case d < time.Millisecond:
		return fmt.Sprintf("%.2fµs", float64(ns)/1e3)
	case d < time.Second:
		return fmt.Sprintf("%.2fms", float64(ns)/1e6)
	}
	return fmt.Sprintf("%.2fs", float64(ns)/1e9)
}

// Bytes renders a byte count with a binary unit: 512 B, 1.50 KiB.
func Bytes(n int64) string {
	const unit = 1024
	if n < unit && n > -unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	v := float64(n)
	for _, u := range []string{"KiB", "MiB", "GiB", "TiB"} {
		v /= unit
		if v < unit && v > -unit {
			return fmt.Sprintf("%.2f %s", v, u)
		}
	}
	return fmt.Sprintf("%.2f PiB", v/unit)
}

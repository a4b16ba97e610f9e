// Package names spells what hotpath's reports and hotpathgen compare both
// print, so that the two agree: percentile keys and row labels.
package names

import (
	"strconv"
	"strings"
)

// PercentileKey names a percentile in JSON and in compare's metrics:
// 50 -> "p50", 99.9 -> "p99.9".
func PercentileKey(p float64) string {
	return "p" + strconv.FormatFloat(p, 'f', -1, 64)
}

// Short drops the directories of an import path from a symbol name:
// example.com/a/b.(*T).M -> b.(*T).M. The package path ends at the first
// dot after the last slash, so dropping up to the last slash is enough.
func Short(sym string) string {
	return sym[strings.LastIndexByte(sym, '/')+1:]
}

// Label is a row's label in the runtime's tables and live view, which is
// also what Options.Focus matches: the name, and for a block its
// enclosing function (without directories) after an @.
func Label(name string, block bool, parent string) string {
	if block && parent != "" {
		return name + " @ " + Short(parent)
	}
	return name
}

// ShortLabel is a row's label in compare's tables, which put two runs side
// by side: as Label, but a row that is not a block with a parent also
// drops the directories of its name.
func ShortLabel(name string, block bool, parent string) string {
	if block && parent != "" {
		return Label(name, block, parent)
	}
	return Short(name)
}

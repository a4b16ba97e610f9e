package hotpath

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// Format selects how a guard writes its report.
type Format string

// The report formats.
const (
	FormatTable      Format = "table"       // aligned text tables, as hotpath-rs prints
	FormatJSON       Format = "json"        // one JSON object on one line (schema in docs/JSON.md)
	FormatJSONPretty Format = "json-pretty" // the same, indented
	FormatNone       Format = "none"        // write nothing; the report is still available as a value
	FormatPprof      Format = "pprof"       // a gzipped pprof profile (docs/EXPORT.md), by default to hotpath.pb.gz
)

// DefaultPercentiles are reported when Options.Percentiles is empty.
var DefaultPercentiles = []float64{50, 95, 99}

// Options configure a guard. Every field has an environment override, which
// wins over the value set in code so that a run can be reconfigured without
// a rebuild:
//
//	HOTPATH_FORMAT       table | json | json-pretty | pprof | none
//	HOTPATH_OUTPUT       file path for the report (default: standard output; hotpath.pb.gz for pprof)
//	HOTPATH_PERCENTILES  comma-separated, e.g. 50,95,99.9
//	HOTPATH_LIMIT        rows per section, 0 for all
//	HOTPATH_FOCUS        keep rows whose label, as the table prints it, contains this text, or matches /regexp/
//	HOTPATH_SAMPLE       time one call in N (every call is still counted); ~N: one call in N
//	                     at random, counts estimated (SampleEstimated)
//	HOTPATH_ALLOC        1 to attribute heap allocations to measured functions
type Options struct {
	// Name identifies the report, for example the program or test name.
	Name string
	// Percentiles to report, each in (0, 100]; default 50, 95, 99.
	Percentiles []float64
	// Format of the written report; default FormatTable.
	Format Format
	// Output is a file path for the report. When empty the report goes to
	// Writer, or to standard output when Writer is nil too.
	Output string
	// Writer receives the report when Output is empty, except in
	// FormatPprof, which goes to DefaultPprofOutput then.
	Writer io.Writer
	// Limit caps the rows of each section; 0 means no limit.
	Limit int
	// Focus keeps only rows whose label, as the table prints it (a block
	// as "label @ pkg.Func"), contains it; a value written as /re/ is a
	// regular expression matched against that label instead.
	Focus string
	// SampleEvery times one call in N when N > 1. Every call is counted
	// exactly (unless SampleEstimated); durations, totals and percentiles
	// come from the sample. Sampling is process-wide and stays as the last
	// started guard set it.
	SampleEvery int
	// SampleEstimated, with SampleEvery N > 1, trades the exact call
	// counts for a cheaper untimed call: each call is timed with
	// probability 1/N, the others are not counted at all, and a timed call
	// counts as N calls, so that every count is an unbiased estimate
	// (reports say so: Report.CallsEstimated). An untimed call then costs
	// about half as much (docs/PERFORMANCE.md). HOTPATH_SAMPLE=~N sets
	// both fields, HOTPATH_SAMPLE=N turns it off.
	SampleEstimated bool
	// Alloc turns on allocation attribution (see docs/PROFILING.md): every
	// heap allocation is recorded while a guard with Alloc is alive.
	Alloc bool
}

// resolved is Options after defaults and environment overrides.
type resolved struct {
	Options
	focus     func(string) bool
	formatSet bool // a format was asked for, in code or by HOTPATH_FORMAT
}

// resolveOptions applies the environment and the defaults to o. Each bad
// value is reported by the name the user set it under: the variable when it
// came from the environment, the Options field when it came from code.
func resolveOptions(o Options, getenv func(string) string) (resolved, error) {
	r := resolved{Options: o}
	r.Percentiles = append([]float64(nil), o.Percentiles...)
	var errs []string
	bad := func(name, val string, err error) {
		errs = append(errs, fmt.Sprintf("%s=%q: %v", name, val, err))
	}
	// from names an option by where its value came from.
	from := func(env, field string, fromEnv bool) string {
		if fromEnv {
			return env
		}
		return "Options." + field
	}
	formatEnv := getenv("HOTPATH_FORMAT") != ""
	if formatEnv {
		r.Format = Format(getenv("HOTPATH_FORMAT"))
	}
	r.formatSet = r.Format != ""
	switch r.Format {
	case "":
		r.Format = FormatTable
	case FormatTable, FormatJSON, FormatJSONPretty, FormatPprof, FormatNone:
	default:
		bad(from("HOTPATH_FORMAT", "Format", formatEnv), string(r.Format), fmt.Errorf("want table, json, json-pretty, pprof or none"))
		r.Format = FormatTable
	}
	if v := getenv("HOTPATH_OUTPUT"); v != "" {
		r.Output = v
	}
	if v := getenv("HOTPATH_PERCENTILES"); v != "" {
		ps, err := parsePercentiles(v)
		if err != nil {
			bad("HOTPATH_PERCENTILES", v, err)
			r.Percentiles = nil
		} else {
			r.Percentiles = ps
		}
	} else if err := checkPercentiles(r.Percentiles); err != nil {
		bad("Options.Percentiles", formatPercentiles(r.Percentiles), err)
		r.Percentiles = nil
	}
	if len(r.Percentiles) == 0 {
		r.Percentiles = append([]float64(nil), DefaultPercentiles...)
	}
	if v := getenv("HOTPATH_LIMIT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			bad("HOTPATH_LIMIT", v, fmt.Errorf("want a count >= 0"))
		} else {
			r.Limit = n
		}
	} else if r.Limit < 0 {
		bad("Options.Limit", strconv.Itoa(r.Limit), fmt.Errorf("want a count >= 0"))
		r.Limit = 0
	}
	focusEnv := getenv("HOTPATH_FOCUS") != ""
	if focusEnv {
		r.Focus = getenv("HOTPATH_FOCUS")
	}
	if f, err := focusFilter(r.Focus); err != nil {
		bad(from("HOTPATH_FOCUS", "Focus", focusEnv), r.Focus, err)
		r.focus = func(string) bool { return true } // keep every row, as with no focus
	} else {
		r.focus = f
	}
	if v := getenv("HOTPATH_SAMPLE"); v != "" {
		num, est := strings.CutPrefix(v, "~")
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 {
			bad("HOTPATH_SAMPLE", v, fmt.Errorf("want N >= 1, or ~N for estimated counts"))
		} else {
			r.SampleEvery, r.SampleEstimated = n, est
		}
	} else if r.SampleEvery < 0 {
		bad("Options.SampleEvery", strconv.Itoa(r.SampleEvery), fmt.Errorf("want N >= 1 (or 0 for every call)"))
		r.SampleEvery = 0
	}
	if v := getenv("HOTPATH_ALLOC"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad("HOTPATH_ALLOC", v, fmt.Errorf("want 1, 0, true or false"))
		} else {
			r.Alloc = b
		}
	}
	if len(errs) > 0 {
		return r, fmt.Errorf("hotpath: bad options: %s", strings.Join(errs, "; "))
	}
	return r, nil
}

// parsePercentiles reads a comma-separated list and reports every item that
// is not a number or not in (0, 100], not only the first.
func parsePercentiles(s string) ([]float64, error) {
	var ps []float64
	var probs []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(f), "p"))
		p, err := strconv.ParseFloat(f, 64)
		switch {
		case err != nil:
			probs = append(probs, fmt.Sprintf("%q is not a number", f))
		case !(p > 0 && p <= 100):
			probs = append(probs, fmt.Sprintf("%s is not in (0, 100]", f))
		default:
			ps = append(ps, p)
		}
	}
	if len(probs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(probs, ", "))
	}
	return ps, nil
}

// checkPercentiles reports every percentile set in code outside (0, 100].
func checkPercentiles(ps []float64) error {
	var probs []string
	for _, p := range ps {
		if !(p > 0 && p <= 100) {
			probs = append(probs, strconv.FormatFloat(p, 'g', -1, 64)+" is not in (0, 100]")
		}
	}
	if len(probs) > 0 {
		return fmt.Errorf("%s", strings.Join(probs, ", "))
	}
	return nil
}

func formatPercentiles(ps []float64) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = strconv.FormatFloat(p, 'g', -1, 64)
	}
	return strings.Join(s, ",")
}

func focusFilter(focus string) (func(string) bool, error) {
	switch {
	case focus == "":
		return func(string) bool { return true }, nil
	case len(focus) >= 2 && strings.HasPrefix(focus, "/") && strings.HasSuffix(focus, "/"):
		re, err := regexp.Compile(focus[1 : len(focus)-1])
		if err != nil {
			return nil, err
		}
		return re.MatchString, nil
	default:
		return func(name string) bool { return strings.Contains(name, focus) }, nil
	}
}

// percentileTitle names a percentile column in the table: "P99.9".
func percentileTitle(p float64) string {
	return "P" + strconv.FormatFloat(p, 'f', -1, 64)
}

var osGetenv = os.Getenv

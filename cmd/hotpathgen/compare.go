package main

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	hotpath "github.com/hotpath-go/hotpath/runtime"
	"github.com/hotpath-go/hotpath/runtime/compare"
	"github.com/spf13/cobra"
)

type compareCmd struct {
	base, head []string
	threshold  string
	alpha      float64
	metric     string
	failOn     string
	format     string
}

func newCompareCmd() *cobra.Command {
	c := &compareCmd{}
	cmd := &cobra.Command{
		Use:   "compare BASE HEAD | compare --base PATH... --head PATH...",
		Short: "Compare JSON reports of a base and a head build; exit 1 on a regression",
		Long: `compare reads hotpath JSON reports (HOTPATH_FORMAT=json) of a base and a
head build and prints per-function deltas (calls, avg, a percentile, total,
allocations per call when both sides ran in alloc mode), per-channel,
per-mutex and per-goroutine-site deltas, and new and removed rows.

Each side is one or more paths. A path is a report file, a directory
(searched recursively for *.json), or a glob, expanded here, so quote it:

	hotpathgen compare base.json head.json
	hotpathgen compare --base 'base/*.json' --head 'head/*.json'
	hotpathgen compare --base profiles/base --head profiles/head
	hotpathgen compare --base run1.json --base run2.json --head new.json

Reports are matched by report name (hotpathtest names a test's guard after
the test); several reports of one name on a side are runs of it. A layout
such as profiles/<side>/<run>/<TestName>.json gives each test its runs. When
each side has reports of one name only, they are compared whatever the
names.

With 2 runs or more on each side, a function regresses when the median of
--metric gets worse by more than --threshold and a Mann–Whitney U test over
the runs gives p < --alpha (4 runs a side at least are needed for p < 0.05;
5 is a good choice). With a single run on either side the threshold alone
decides, and the output says so. Allocated bytes per call regress past the
threshold (and 8 B). Call counts, channels, mutexes and goroutines are
shown, never judged as regressions: a channel's blocked time or a mutex's
wait past the threshold (with the same test), or a go statement whose
goroutines start or stop panicking, is marked changed. The rules in full:
go doc github.com/hotpath-go/hotpath/runtime/compare.

Exit status: 0 no regression (or --fail-on never), 1 a regression, 2 bad
usage or a report that cannot be read.`,
		Args:          cobra.ArbitraryArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE:          c.run,
	}
	f := cmd.Flags()
	f.StringArrayVar(&c.base, "base", nil, "base report file, directory or quoted glob (repeatable)")
	f.StringArrayVar(&c.head, "head", nil, "head report file, directory or quoted glob (repeatable)")
	f.StringVar(&c.threshold, "threshold", "10%", "relative change that counts, as 10% or 0.1")
	f.Float64Var(&c.alpha, "alpha", compare.DefaultAlpha, "significance level of the rank test with several runs a side")
	f.StringVar(&c.metric, "metric", string(compare.DefaultMetric), "timing that decides: avg, p50, p95, p99 (any percentile in the reports) or total")
	f.StringVar(&c.failOn, "fail-on", "regression", "exit 1 on: regression or never")
	f.StringVar(&c.format, "format", "table", "output: table, markdown (for a pull request comment) or json")
	return cmd
}

func (c *compareCmd) run(cmd *cobra.Command, args []string) error {
	opts, err := c.options()
	if err != nil {
		return usage(err)
	}
	basePaths, headPaths := c.base, c.head
	switch {
	case len(args) > 0 && (len(c.base) > 0 || len(c.head) > 0):
		return usage(errors.New("give either BASE HEAD or --base and --head, not both (quote globs so that the shell leaves them to compare)"))
	case len(c.base) > 0 || len(c.head) > 0:
		if len(c.base) == 0 || len(c.head) == 0 {
			return usage(errors.New("--base and --head go together"))
		}
	case len(args) == 2:
		basePaths, headPaths = args[:1], args[1:]
	default:
		return usage(fmt.Errorf("want BASE HEAD, got %d argument(s)", len(args)))
	}
	base, err := readReports(basePaths)
	if err != nil {
		return trouble(fmt.Errorf("hotpathgen compare: %w", err))
	}
	head, err := readReports(headPaths)
	if err != nil {
		return trouble(fmt.Errorf("hotpathgen compare: %w", err))
	}

	res := compare.Compare(base, head, opts)
	out := cmd.OutOrStdout()
	switch c.format {
	case "markdown":
		err = res.WriteMarkdown(out)
	case "json":
		err = res.WriteJSON(out)
	default:
		err = res.WriteText(out)
	}
	if err != nil {
		return trouble(fmt.Errorf("hotpathgen compare: %w", err))
	}
	if n := res.Summary.Regressions; n > 0 && c.failOn == "regression" {
		what := "regressions"
		if n == 1 {
			what = "regression"
		}
		pct := strconv.FormatFloat(opts.Threshold*100, 'f', -1, 64)
		return findings(fmt.Errorf("hotpathgen compare: %d %s past %s%%", n, what, pct))
	}
	return nil
}

func usage(err error) error {
	return trouble(fmt.Errorf("hotpathgen compare: %w\nRun 'hotpathgen compare --help' for usage", err))
}

func (c *compareCmd) options() (compare.Options, error) {
	var opts compare.Options
	var err error
	if opts.Threshold, err = parseThreshold(c.threshold); err != nil {
		return opts, err
	}
	if !(c.alpha > 0 && c.alpha < 1) {
		return opts, fmt.Errorf("--alpha %g: want a value between 0 and 1", c.alpha)
	}
	opts.Alpha = c.alpha
	if opts.Metric, err = compare.ParseMetric(c.metric); err != nil {
		return opts, fmt.Errorf("--metric: %w", err)
	}
	switch c.failOn {
	case "regression", "never":
	default:
		return opts, fmt.Errorf("--fail-on %q: want regression or never", c.failOn)
	}
	switch c.format {
	case "table", "markdown", "json":
	default:
		return opts, fmt.Errorf("--format %q: want table, markdown or json", c.format)
	}
	return opts, nil
}

// parseThreshold reads "10%" or "0.1". A bare number of 1 or more is
// refused rather than read as 100% or more: "--threshold 10" almost
// certainly meant 10%.
func parseThreshold(s string) (float64, error) {
	num, pct := strings.CutSuffix(strings.TrimSpace(s), "%")
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || !(v > 0) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("--threshold %q: want a positive percentage such as 10%% or a fraction such as 0.1", s)
	}
	if pct {
		return v / 100, nil
	}
	if v >= 1 {
		return 0, fmt.Errorf("--threshold %q: a fraction must be below 1; write %s%% for a percentage", s, num)
	}
	return v, nil
}

// readReports reads every report the paths name, in order.
func readReports(paths []string) ([]*hotpath.Report, error) {
	var reps []*hotpath.Report
	for _, p := range paths {
		files, err := expand(p)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			r, err := hotpath.ReadReportFile(f)
			if err != nil {
				return nil, err
			}
			reps = append(reps, r)
		}
	}
	return reps, nil
}

// expand turns one path into report files: a glob's matches, a
// directory's *.json files at any depth in lexical order, or the file.
func expand(path string) ([]string, error) {
	var files []string
	if strings.ContainsAny(path, "*?[") {
		matches, err := filepath.Glob(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(matches) == 0 {
			return nil, fmt.Errorf("%s: no files match", path)
		}
		for _, m := range matches {
			more, err := expand(m)
			if err != nil {
				return nil, err
			}
			files = append(files, more...)
		}
		return files, nil
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".json") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no .json reports in the directory", path)
	}
	return files, nil
}

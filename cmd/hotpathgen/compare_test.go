package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	hotpath "github.com/hotpath-go/hotpath/runtime"
	"github.com/hotpath-go/hotpath/runtime/compare"
)

// writeReport writes a JSON report named name in which function F ran
// 100 times at avg ns a call, as a guard with HOTPATH_FORMAT=json would.
func writeReport(t *testing.T, path, name string, avg int64) {
	t.Helper()
	r := &hotpath.Report{
		Schema:      hotpath.SchemaVersion,
		Name:        name,
		ElapsedNS:   1e9,
		Percentiles: []float64{50, 95, 99},
		SampleEvery: 1,
		Functions: []hotpath.FuncRow{{
			Name: "example.com/p.F", Kind: "func", Calls: 100, Timed: 100,
			TotalNS: 100 * avg, AvgNS: avg, MinNS: avg, MaxNS: avg,
			Percentiles: map[string]int64{"p50": avg, "p95": avg, "p99": avg},
		}},
		Channels: []hotpath.ChanRow{},
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := r.Write(&buf, hotpath.FormatJSON); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCompareTwoFiles(t *testing.T) {
	dir := t.TempDir()
	base, same, slow := filepath.Join(dir, "base.json"), filepath.Join(dir, "same.json"), filepath.Join(dir, "slow.json")
	writeReport(t, base, "main", 1000)
	writeReport(t, same, "main", 1050)
	writeReport(t, slow, "main", 1500)

	code, out, errOut := runCLI(t, "compare", base, same)
	if code != exitOK || errOut != "" || !strings.HasPrefix(out, "hotpath compare: 0 regressions, 0 improvements, 0 new, 0 removed\n") {
		t.Errorf("unchanged: exit %d, stdout:\n%s\nstderr: %s", code, out, errOut)
	}
	if !strings.Contains(out, "main (1 base run, 1 head run: threshold only, not significance-tested)") {
		t.Errorf("a single run a side must say it was not tested:\n%s", out)
	}

	code, out, errOut = runCLI(t, "compare", base, slow)
	if code != exitFindings || !strings.Contains(out, "| p.F      |   100 | 1.00µs → 1.50µs (+50.0%) |") ||
		errOut != "hotpathgen compare: 1 regression past 10%\n" {
		t.Errorf("regression: exit %d, stdout:\n%s\nstderr: %q", code, out, errOut)
	}

	code, _, errOut = runCLI(t, "compare", "--fail-on", "never", base, slow)
	if code != exitOK || errOut != "" {
		t.Errorf("--fail-on never: exit %d, stderr %q", code, errOut)
	}

	code, _, _ = runCLI(t, "compare", "--threshold", "60%", base, slow)
	if code != exitOK {
		t.Errorf("--threshold 60%%: exit %d, want 0 for +50%%", code)
	}

	code, out, _ = runCLI(t, "compare", "--format", "markdown", base, slow)
	if first, _, _ := strings.Cut(out, "\n"); code != exitFindings || first != "**hotpath compare:** 1 regression, 0 improvements, 0 new, 0 removed" {
		t.Errorf("markdown: exit %d, first line %q", code, first)
	}
	if !strings.Contains(out, "| `p.F` | 100 | 1.00µs → 1.50µs (+50.0%) |") {
		t.Errorf("markdown table missing:\n%s", out)
	}

	code, out, _ = runCLI(t, "compare", "--format", "json", base, slow)
	var res compare.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != exitFindings {
		t.Fatalf("json: exit %d, %v:\n%s", code, err, out)
	}
	if res.Summary.Regressions != 1 || res.Groups[0].Functions[0].Change != 0.5 || res.Threshold != 0.1 {
		t.Errorf("json result: %+v", res)
	}
}

// TestCompareRuns uses the layout of the profile-pr workflow,
// profiles/<side>/<run>/<TestName>.json, with five runs a side.
func TestCompareRuns(t *testing.T) {
	dir := t.TempDir()
	for run := range 5 {
		for _, test := range []string{"TestProfileA", "TestProfileB"} {
			writeReport(t, filepath.Join(dir, "base", fmt.Sprint(run), test+".json"), test, 1000+int64(run))
			slower := int64(1000)
			if test == "TestProfileB" {
				slower = 1300 // B regresses in every run
			}
			writeReport(t, filepath.Join(dir, "head", fmt.Sprint(run), test+".json"), test, slower+int64(run))
		}
	}
	base, head := filepath.Join(dir, "base"), filepath.Join(dir, "head")
	globBase, globHead := filepath.Join(dir, "base", "*"), filepath.Join(dir, "head", "*")
	for name, args := range map[string][]string{
		"directories":   {"--base", base, "--head", head},
		"globs":         {"--base", globBase, "--head", globHead},
		"repeated":      {"--base", filepath.Join(base, "0"), "--base", filepath.Join(base, "[1-4]"), "--head", head},
		"positional":    {base, head},
		"file patterns": {"--base", filepath.Join(base, "*", "*.json"), "--head", filepath.Join(head, "*", "Test*.json")},
	} {
		t.Run(name, func(t *testing.T) {
			code, out, _ := runCLI(t, append([]string{"compare", "--format", "json"}, args...)...)
			var res compare.Result
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("exit %d, %v:\n%s", code, err, out)
			}
			if code != exitFindings || len(res.Groups) != 2 {
				t.Fatalf("exit %d, groups %+v", code, res.Groups)
			}
			for _, g := range res.Groups {
				want := compare.Unchanged
				if g.Name == "TestProfileB" {
					want = compare.Regression
				}
				f := g.Functions[0]
				if g.BaseRuns != 5 || g.HeadRuns != 5 || !g.Tested || f.Verdict != want || f.Test == nil || f.Test.P >= 0.05 && want == compare.Regression {
					t.Errorf("%s: runs %d/%d, tested %v, verdict %s, test %+v", g.Name, g.BaseRuns, g.HeadRuns, g.Tested, f.Verdict, f.Test)
				}
			}
		})
	}
}

func TestCompareTrouble(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	writeReport(t, good, "main", 1000)
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	truncated := write("truncated.json", `{"schema": 1, "name": "main", "functions": [`)
	notJSON := write("notjson.json", "[hotpath] timing - Performance summary\n")
	future := write("future.json", `{"schema": 99, "name": "main"}`)
	wrongType := write("wrongtype.json", `{"schema": 1, "functions": [{"calls": "many"}]}`)
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"truncated", []string{good, truncated}, truncated + ": decode report: unexpected EOF"},
		{"not json", []string{notJSON, good}, notJSON + ": decode report: invalid character"},
		{"future schema", []string{good, future}, future + ": report schema 99 is not supported"},
		{"wrong type", []string{good, wrongType}, wrongType + ": decode report: json: cannot unmarshal string"},
		{"malformed in a directory", []string{"--base", good, "--head", dir}, filepath.Join(dir, "future.json")},
		{"missing file", []string{good, filepath.Join(dir, "nope.json")}, "nope.json: no such file or directory"},
		{"glob without match", []string{"--base", good, "--head", filepath.Join(dir, "x*.json")}, "x*.json: no files match"},
		{"bad glob", []string{"--base", good, "--head", filepath.Join(dir, "[")}, "syntax error in pattern"},
		{"empty directory", []string{good, empty}, "empty: no .json reports in the directory"},
		{"one argument", []string{good}, "want BASE HEAD, got 1 argument(s)"},
		{"three arguments", []string{good, good, good}, "want BASE HEAD, got 3 argument(s)"},
		{"mixed forms", []string{"--base", good, good}, "give either BASE HEAD or --base and --head, not both"},
		{"base without head", []string{"--base", good}, "--base and --head go together"},
		{"bare threshold", []string{"--threshold", "10", good, good}, `--threshold "10": a fraction must be below 1; write 10% for a percentage`},
		{"negative threshold", []string{"--threshold", "-5%", good, good}, `--threshold "-5%": want a positive percentage`},
		{"bad alpha", []string{"--alpha", "1.5", good, good}, "--alpha 1.5: want a value between 0 and 1"},
		{"bad metric", []string{"--metric", "median", good, good}, `--metric: metric "median": want avg, total or a percentile such as p95`},
		{"bad fail-on", []string{"--fail-on", "always", good, good}, `--fail-on "always": want regression or never`},
		{"bad format", []string{"--format", "html", good, good}, `--format "html": want table, markdown or json`},
		{"unknown flag", []string{"--verbose", good, good}, "unknown flag: --verbose"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append([]string{"compare"}, tt.args...)...)
			if code != exitTrouble || out != "" || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and stderr containing %q", code, out, errOut, tt.want)
			}
		})
	}
}

func TestParseThreshold(t *testing.T) {
	for in, want := range map[string]float64{"10%": 0.1, "2.5%": 0.025, "0.1": 0.1, " 150% ": 1.5, "0.999": 0.999} {
		if got, err := parseThreshold(in); err != nil || got != want {
			t.Errorf("parseThreshold(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "%", "0", "0%", "1", "ten", "NaN", "Inf%"} {
		if got, err := parseThreshold(in); err == nil {
			t.Errorf("parseThreshold(%q) = %v, want an error", in, got)
		}
	}
}

// TestProfileWorkflow keeps .github/workflows/profile-pr.yml in step with
// this command: the workflow cannot run here, but its compare command line
// must parse with the real flags. YAML itself is not parsed (no YAML
// module in go.mod); tabs, which YAML forbids in indentation, are refused.
func TestProfileWorkflow(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", ".github", "workflows", "profile-pr.yml"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	if i := strings.IndexByte(text, '\t'); i >= 0 {
		t.Errorf("tab at byte %d: YAML indentation must be spaces", i)
	}
	// The command line, with its backslash continuations joined.
	_, after, ok := strings.Cut(strings.ReplaceAll(text, "\\\n", " "), `/hotpathgen" compare `)
	if !ok {
		t.Fatal(`no "$RUNNER_TEMP/hotpathgen" compare command in the workflow`)
	}
	line, _, _ := strings.Cut(after, "\n")
	line, _, _ = strings.Cut(line, ">") // the redirection to compare.md
	var args []string
	for _, f := range strings.Fields(line) {
		args = append(args, strings.Trim(f, `"'`))
	}
	cmd := newCompareCmd()
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatalf("compare %q: %v", args, err)
	}
	f := cmd.Flags()
	c := &compareCmd{}
	c.threshold, _ = f.GetString("threshold")
	c.alpha, _ = f.GetFloat64("alpha")
	c.metric, _ = f.GetString("metric")
	c.failOn, _ = f.GetString("fail-on")
	c.format, _ = f.GetString("format")
	if _, err := c.options(); err != nil {
		t.Errorf("compare %q: %v", args, err)
	}
	for _, name := range []string{"base", "head"} {
		if v, _ := f.GetStringArray(name); len(v) != 1 || !strings.HasPrefix(v[0], "$PROFILES/") {
			t.Errorf("--%s = %q, want one path under $PROFILES", name, v)
		}
	}
	if c.format != "markdown" {
		t.Errorf("--format %q, want markdown for the comment", c.format)
	}
}

// TestCompareMutexesAndGoroutines reads reports with mutex and goroutine
// rows from files: a mutex that waits longer and a go statement whose
// goroutines start panicking are changed, shown in every format, and do
// not fail the command, which fails on function regressions only.
func TestCompareMutexesAndGoroutines(t *testing.T) {
	dir := t.TempDir()
	write := func(side string, run int, waitNS int64, panicked uint64) {
		r := &hotpath.Report{
			Schema: hotpath.SchemaVersion, Name: "TestLocks", ElapsedNS: 1e9,
			Percentiles: []float64{50, 99}, SampleEvery: 1,
			Functions: []hotpath.FuncRow{}, Channels: []hotpath.ChanRow{},
			Mutexes: []hotpath.MutexRow{{
				Label: "example.com/p.mu", Type: "sync.Mutex", Site: "example.com/p/p.go:3",
				Lock: hotpath.MutexStats{
					Acquisitions: 100, Contended: 10,
					Wait: hotpath.BlockedStats{Count: 10, TotalNS: waitNS + int64(run)},
					Hold: hotpath.BlockedStats{Count: 100, TotalNS: 5000},
				},
			}},
			Goroutines: []hotpath.GoRow{{
				Label: "example.com/p.F:go@9", Func: "example.com/p.F", Site: "example.com/p/p.go:9",
				Started: 4, Finished: 4 - panicked, Panicked: panicked, PeakAlive: 2,
				LifetimeTotalNS: 4000, LifetimeAvgNS: 1000,
			}},
		}
		var buf bytes.Buffer
		if err := r.Write(&buf, hotpath.FormatJSON); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, side, fmt.Sprint(run), "TestLocks.json")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for run := range 5 {
		write("base", run, 1000, 0)
		var panicked uint64
		if run == 3 {
			panicked = 1
		}
		write("head", run, 9000, panicked)
	}
	base, head := filepath.Join(dir, "base"), filepath.Join(dir, "head")

	code, out, errOut := runCLI(t, "compare", "--format", "json", base, head)
	var res compare.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != exitOK || errOut != "" {
		t.Fatalf("json: exit %d, %v, stderr %q:\n%s", code, err, errOut, out)
	}
	want := compare.Summary{MutexesChanged: 1, GoroutinesChanged: 1}
	if res.Summary != want || len(res.Groups) != 1 {
		t.Fatalf("summary %+v, want %+v", res.Summary, want)
	}
	g := res.Groups[0]
	if len(g.Mutexes) != 1 || g.Mutexes[0].Verdict != compare.Changed || g.Mutexes[0].Test == nil || g.Mutexes[0].Test.P >= 0.05 || g.Mutexes[0].Head.WaitNS != 9002 {
		t.Errorf("mutexes %+v", g.Mutexes)
	}
	if len(g.Goroutines) != 1 || g.Goroutines[0].Verdict != compare.Changed || g.Goroutines[0].Head.PanickedRuns != 1 {
		t.Errorf("goroutines %+v", g.Goroutines)
	}

	code, out, _ = runCLI(t, "compare", base, head)
	for _, s := range []string{
		"hotpath compare: 0 regressions, 0 improvements, 0 new, 0 removed; 1 mutex, 1 goroutine site changed\n",
		"Mutexes of TestLocks\n",
		"| example.com/p.mu | sync.Mutex |   100 |      — |        10 | 1.00µs → 9.00µs (+798.4%) | 5.00µs | 0.008 | changed |",
		"Goroutines of TestLocks\n",
		"note: example.com/p.F:go@9: panicked in 1 of 5 head runs\n",
	} {
		if code != exitOK || !strings.Contains(out, s) {
			t.Errorf("table: exit %d, want 0 and %q in:\n%s", code, s, out)
		}
	}

	code, out, _ = runCLI(t, "compare", "--format", "markdown", base, head)
	if first, _, _ := strings.Cut(out, "\n"); code != exitOK || first != "**hotpath compare:** 0 regressions, 0 improvements, 0 new, 0 removed; 1 mutex, 1 goroutine site changed" ||
		!strings.Contains(out, "| `example.com/p.F:go@9` | 4 | 0 → 1 | 0 | 2 | 1.00µs | 4.00µs | changed |") {
		t.Errorf("markdown: exit %d:\n%s", code, out)
	}
}

package hotpath

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/pprof/profile"
	"github.com/hotpath-go/hotpath/runtime/internal/core"
	"github.com/hotpath-go/hotpath/runtime/internal/liveroutes"
)

// The targets of the pprof tests: a function with a block, a leaf and a
// channel site, timed in a synctest bubble so that durations are exact.
var (
	ppOuter = core.Func{Name: "pproftest.outer", Symbol: selfPackage + ".ppOuterCall", File: "pprof_test.go", Line: 30}
	ppBlock = core.Func{Name: "pproftest.block", Kind: core.KindBlock, Parent: selfPackage + ".ppOuterCall",
		Symbol: selfPackage + ".ppOuterCall", File: "pprof_test.go", Line: 34, EndLine: 36}
	ppLeaf = core.Func{Name: "pproftest.leaf", Symbol: selfPackage + ".ppLeafCall", File: "pprof_test.go", Line: 40}
	ppChan = core.ChanSite{Label: "pproftest.queue", Type: "chan int", Site: selfPackage + "/pprof_test.go:44"}
)

func ppOuterCall(withBlock bool) {
	defer ppOuter.Begin().End()
	time.Sleep(600 * time.Nanosecond)
	if withBlock {
		span := ppBlock.Begin()
		time.Sleep(400 * time.Nanosecond)
		span.Close()
	}
}

func ppLeafCall() {
	defer ppLeaf.Begin().End()
	time.Sleep(100 * time.Nanosecond)
}

// ppRun makes the pprof tests' activity inside a guard focused on it and
// returns the guard's report.
func ppRun(t *testing.T, opts Options, env ...string) *Report {
	t.Helper()
	ftClearEnv(t)
	for i := 0; i+1 < len(env); i += 2 {
		t.Setenv(env[i], env[i+1])
	}
	var rep *Report
	synctest.Test(t, func(t *testing.T) {
		opts.Focus = "pproftest."
		if opts.Name == "" {
			opts.Name = "pproftest"
		}
		g := Start(opts)
		ppOuterCall(true)
		ppOuterCall(true)
		ppOuterCall(false)
		for range 5 {
			ppLeafCall()
		}
		q := core.Track(&ppChan, make(chan int))
		go func() { core.Send(q, 1) }()
		synctest.Wait()
		time.Sleep(time.Second) // the send waits 1s for its receiver
		core.Recv(q)
		go func() { core.Recv(q) }()
		synctest.Wait()
		time.Sleep(2 * time.Second) // the receive waits 2s for its sender
		core.Send(q, 2)
		synctest.Wait()
		if err := g.Stop(); err != nil {
			t.Fatal(err)
		}
		rep = g.Report()
	})
	return rep
}

func TestPprofProfile(t *testing.T) {
	rep := ppRun(t, Options{Format: FormatNone})
	p := rep.Profile()
	if err := p.CheckValid(); err != nil {
		t.Fatalf("CheckValid: %v", err)
	}
	var types []string
	for _, st := range p.SampleType {
		types = append(types, st.Type+"/"+st.Unit)
	}
	if got, want := strings.Join(types, " "), "calls/count wall/nanoseconds chan_ops/count chan_blocked/nanoseconds"; got != want {
		t.Errorf("sample types %q, want %q", got, want)
	}
	if p.DefaultSampleType != "wall" {
		t.Errorf("default sample type %q", p.DefaultSampleType)
	}
	// Round trip through the encoder and parser.
	var buf bytes.Buffer
	if err := rep.Write(&buf, FormatPprof); err != nil {
		t.Fatal(err)
	}
	q, err := profile.Parse(&buf)
	if err != nil {
		t.Fatalf("parse the written profile: %v", err)
	}
	if err := q.CheckValid(); err != nil {
		t.Fatalf("CheckValid after parse: %v", err)
	}
	// Sum each sample type per leaf location name and stack.
	got := map[string][]int64{}
	for _, s := range q.Sample {
		var names []string
		for _, l := range s.Location {
			names = append(names, l.Line[0].Function.Name)
		}
		k := strings.Join(names, "<")
		if op := s.Label["op"]; len(op) > 0 {
			k += " op=" + op[0]
		}
		got[k] = s.Value
	}
	want := map[string][]int64{
		"pproftest.outer":                 {3, 1800, 0, 0},
		"pproftest.block<pproftest.outer": {0, 800, 0, 0},
		"pproftest.block":                 {2, 0, 0, 0},
		"pproftest.leaf":                  {5, 500, 0, 0},
		"chan pproftest.queue op=send":    {0, 0, 2, 1e9},
		"chan pproftest.queue op=recv":    {0, 0, 2, 2e9},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("samples:\n got %v\nwant %v", got, want)
	}
	for _, fn := range q.Function {
		if fn.Name == "pproftest.outer" && (fn.Filename != selfPackage+"/pprof_test.go" || fn.StartLine != 30) {
			t.Errorf("outer's function at %s:%d", fn.Filename, fn.StartLine)
		}
		if strings.HasPrefix(fn.Name, "chan ") && (fn.Filename != selfPackage+"/pprof_test.go" || fn.StartLine != 44) {
			t.Errorf("channel's function at %s:%d", fn.Filename, fn.StartLine)
		}
	}
}

// goTool returns the go command on PATH, or skips the test.
func goTool(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command on PATH to run go tool pprof: %v", err)
	}
	return gobin
}

// pprofTop runs go tool pprof -top on a profile file and returns flat and
// cum per function name.
func pprofTop(t *testing.T, args ...string) map[string][2]string {
	t.Helper()
	cmd := exec.Command(goTool(t), append([]string{"tool", "pprof", "-top"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go tool pprof %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	rows := map[string][2]string{}
	row := regexp.MustCompile(`^\s*(\S+)\s+\S+%\s+\S+%\s+(\S+)\s+\S+%\s+(.+?)\s*$`)
	for _, line := range strings.Split(string(out), "\n") {
		if m := row.FindStringSubmatch(line); m != nil && m[1] != "flat" {
			rows[m[3]] = [2]string{m[1], m[2]}
		}
	}
	if len(rows) == 0 {
		t.Fatalf("go tool pprof printed no rows:\n%s", out)
	}
	return rows
}

func TestPprofGoTool(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go tool pprof")
	}
	dir := t.TempDir()
	t.Chdir(dir)
	// HOTPATH_FORMAT=pprof with no output writes hotpath.pb.gz.
	ppRun(t, Options{}, "HOTPATH_FORMAT", "pprof")
	file := filepath.Join(dir, DefaultPprofOutput)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("HOTPATH_FORMAT=pprof wrote no %s: %v", DefaultPprofOutput, err)
	}
	if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		t.Fatalf("%s is not gzipped", DefaultPprofOutput)
	}
	for _, tc := range []struct {
		index string
		want  map[string][2]string
	}{
		{"wall", map[string][2]string{
			"pproftest.outer": {"1800ns", "2600ns"},
			"pproftest.block": {"800ns", "800ns"},
			"pproftest.leaf":  {"500ns", "500ns"},
		}},
		{"calls", map[string][2]string{
			"pproftest.outer": {"3", "3"},
			"pproftest.block": {"2", "2"},
			"pproftest.leaf":  {"5", "5"},
		}},
		{"chan_blocked", map[string][2]string{
			"chan pproftest.queue": {"3s", "3s"},
		}},
	} {
		args := []string{"-sample_index=" + tc.index, file}
		switch tc.index {
		case "wall":
			args = append(args, "-unit=ns")
		case "chan_blocked":
			args = append(args, "-unit=s")
		}
		rows := pprofTop(t, args...)
		for name, w := range tc.want {
			if rows[name] != w {
				t.Errorf("-sample_index=%s: %s flat, cum = %v, want %v (all rows %v)", tc.index, name, rows[name], w, rows)
			}
		}
		if tc.index == "wall" && len(rows) != len(tc.want) {
			t.Errorf("-sample_index=wall: rows %v, want only %v", rows, tc.want)
		}
	}
	// -tagfocus selects a channel direction.
	rows := pprofTop(t, "-sample_index=chan_blocked", "-unit=s", "-tagfocus=op=recv", file)
	if w := [2]string{"2s", "2s"}; rows["chan pproftest.queue"] != w {
		t.Errorf("-tagfocus=op=recv: %v", rows)
	}
	// -diff_base against itself leaves nothing.
	cmd := exec.Command(goTool(t), "tool", "pprof", "-top", "-diff_base", file, file)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("-diff_base: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("Showing nodes accounting for 0, 0% of")) {
		t.Errorf("-diff_base of a profile against itself:\n%s", out)
	}
}

func TestPprofAllocSampleTypes(t *testing.T) {
	// The profile finds a block's function by its symbol among the
	// registered functions: register outer and its block (they register
	// on first use), as a guard's report would have.
	ppOuterCall(true)
	rep := &Report{Name: "alloc", Alloc: true, ElapsedNS: 10, Functions: []FuncRow{
		{Name: "pproftest.outer", Kind: "func", Calls: 1, TotalNS: 10, AllocBytes: 300, AllocObjects: 3},
		{Name: "pproftest.block", Kind: "block", Parent: selfPackage + ".ppOuterCall", Calls: 1, TotalNS: 4,
			AllocBytes: 100, AllocObjects: 1},
	}}
	p := rep.Profile()
	if err := p.CheckValid(); err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, st := range p.SampleType {
		types = append(types, st.Type)
	}
	if got := strings.Join(types, " "); got != "calls wall alloc_objects alloc_space chan_ops chan_blocked" {
		t.Fatalf("sample types %q", got)
	}
	for _, s := range p.Sample {
		if len(s.Location) == 1 && s.Location[0].Line[0].Function.Name == "pproftest.outer" {
			if s.Value[2] != 2 || s.Value[3] != 200 {
				t.Errorf("outer's flat allocations %v, want 2 objects and 200 bytes", s.Value)
			}
		}
	}
}

func TestPprofBadFormatNamesPprof(t *testing.T) {
	_, err := resolveOptions(Options{Format: "pprf"}, func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "pprof") {
		t.Fatalf("error %v does not name pprof among the formats", err)
	}
}

func TestPprofRoute(t *testing.T) {
	var h http.Handler
	for _, r := range liveroutes.All() {
		if r.Pattern == "GET /debug/hotpath/pprof" {
			h = r.Handler
		}
	}
	if h == nil {
		t.Fatal("no GET /debug/hotpath/pprof live route")
	}
	for _, bad := range []string{"0", "-1", "x", "1.5", "86401"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/debug/hotpath/pprof?seconds="+bad, nil))
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "seconds=") {
			t.Errorf("seconds=%s: %d %q, want 400 naming seconds", bad, rec.Code, rec.Body.String())
		}
	}
	synctest.Test(t, func(t *testing.T) {
		for range 100 {
			ppLeafCall() // before the window: not in the profile
		}
		rec := httptest.NewRecorder()
		done := make(chan struct{})
		go func() {
			defer close(done)
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/debug/hotpath/pprof?seconds=2", nil))
		}()
		synctest.Wait() // the handler took its base snapshot and waits
		for range 7 {
			ppLeafCall()
		}
		time.Sleep(2 * time.Second)
		<-done
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
		}
		p, err := profile.Parse(rec.Body)
		if err != nil {
			t.Fatalf("parse: %v", err)
		}
		if err := p.CheckValid(); err != nil {
			t.Fatal(err)
		}
		var calls, wall int64
		for _, s := range p.Sample {
			if s.Location[0].Line[0].Function.Name == ppLeaf.Name {
				calls += s.Value[0]
				wall += s.Value[1]
			}
		}
		if calls != 7 || wall != 700 {
			t.Errorf("leaf in the window: %d calls, %d ns; want 7 calls, 700 ns", calls, wall)
		}
		if p.DurationNanos != 2e9 {
			t.Errorf("profile duration %d, want 2s", p.DurationNanos)
		}
	})
	// A client that goes away ends the wait.
	ctx, cancel := context.WithCancel(context.Background())
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/debug/hotpath/pprof?seconds=3600", nil).WithContext(ctx))
	}()
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the handler kept waiting after the client went away")
	}
}

package main

import (
	"bytes"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	hotpath "github.com/hotpath-go/hotpath/runtime"
	"github.com/hotpath-go/hotpath/testdata/fixtures"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clearHotpathEnv keeps the caller's HOTPATH_* settings from redirecting or
// filtering the reports the tests read.
func clearHotpathEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{"HOTPATH_FORMAT", "HOTPATH_OUTPUT", "HOTPATH_FOCUS", "HOTPATH_LIMIT", "HOTPATH_ALLOC", "HOTPATH_SAMPLE"} {
		t.Setenv(k, "")
	}
}

// runDemo runs the demo in-process and returns its exit status and output.
func runDemo(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	t.Logf("kithara-demo %s: exit %d\nstderr:\n%s", strings.Join(args, " "), code, errb.String())
	return code, out.String(), errb.String()
}

// summaryLines maps the first word of each summary line to the rest.
func summaryLines(t *testing.T, text string) map[string]string {
	t.Helper()
	lines := map[string]string{}
	for _, l := range strings.Split(text, "\n") {
		name, rest, ok := strings.Cut(l, " ")
		if ok && name != "" {
			lines[name] = strings.TrimSpace(rest)
		}
	}
	for _, name := range []string{"played", "output", "audio", "speed", "seeks", "network", "wall"} {
		if _, ok := lines[name]; !ok {
			t.Fatalf("summary has no %q line:\n%s", name, text)
		}
	}
	return lines
}

// leadingInt parses the number that starts s ("340701 frames, 7.7s").
func leadingInt(t *testing.T, s string) int {
	t.Helper()
	f, _, _ := strings.Cut(s, " ")
	n, err := strconv.Atoi(strings.TrimSuffix(f, ":"))
	if err != nil {
		t.Fatalf("%q does not start with a number", s)
	}
	return n
}

// checkReport checks what a build can report: the demo's own measured
// steps, called exactly as often as the demo took them, and rows of the
// Kithara pipeline; nothing without -tags hotpath.
func checkReport(t *testing.T, rep *hotpath.Report, seeks int, stderr string) {
	t.Helper()
	if rep.Name != "kithara-demo" {
		t.Errorf("report name %q, want kithara-demo", rep.Name)
	}
	if !hotpath.Enabled {
		if len(rep.Functions) != 0 || len(rep.Channels) != 0 {
			t.Errorf("untagged report has %d functions and %d channels, want none", len(rep.Functions), len(rep.Channels))
		}
		if !strings.Contains(stderr, noProfile) {
			t.Errorf("stderr does not say %q", noProfile)
		}
		return
	}
	for name, want := range map[string]uint64{"main.open": 1, "main.seek": uint64(seeks)} {
		row := rep.Func(name)
		switch {
		case row == nil && want > 0:
			t.Errorf("report has no row %s", name)
		case row != nil && row.Calls != want:
			t.Errorf("%s called %d times, want %d", name, row.Calls, want)
		}
	}
	if row := rep.Func("next_chunk"); row == nil || row.Kind != "block" || row.Parent != "main.(*playback).play" || row.Calls < 2 {
		t.Errorf("next_chunk row = %+v, want a block of main.(*playback).play called for every chunk and the end", row)
	}
	kithara := 0
	for _, f := range rep.Functions {
		if strings.HasPrefix(f.Name, "github.com/hotpath-go/hotpath/kithara/") {
			kithara++
		}
	}
	if kithara == 0 {
		t.Error("report has no Kithara functions")
	}
}

// checkFrames checks the frames played against the half-way plan: the
// first half at speed 1, then from the seek target to the end at speed.
func checkFrames(t *testing.T, frames int, half, target, end time.Duration, speed float64, rate int) {
	t.Helper()
	want := (half.Seconds() + (end-target).Seconds()/speed) * float64(rate)
	// The speed change and the seek happen at the first chunk at or past
	// half-way (a few MP3 frames at most), and the decoders keep or trim
	// the encoder's padding: a tenth of a second covers both.
	if tol := 0.1 * float64(rate); float64(frames) < want-tol || float64(frames) > want+tol {
		t.Errorf("played %d frames, want %.0f ± 0.1 s", frames, want)
	}
}

func TestFixtureHLSWithJSONReport(t *testing.T) {
	clearHotpathEnv(t)
	code, stdout, stderr := runDemo(t, "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d, want 0", code)
	}
	// Standard output is the report alone; the summary went to stderr.
	rep, err := hotpath.ReadReport(strings.NewReader(stdout))
	if err != nil {
		t.Fatalf("stdout is not a report: %v\n%s", err, stdout)
	}
	if n := strings.Count(strings.TrimSpace(stdout), "\n"); n != 0 {
		t.Errorf("stdout has %d lines after the report, want none", n)
	}
	lines := summaryLines(t, stderr)
	if !strings.Contains(lines["played"], "/hls/master.m3u8 (hls, 11.546s)") {
		t.Errorf("played line %q, want the fixture master playlist, hls, 11.546s", lines["played"])
	}
	if lines["output"] != "44100 Hz, 2 channels" {
		t.Errorf("output %q, want the top variant's 44100 Hz, 2 channels", lines["output"])
	}
	if got := leadingInt(t, lines["seeks"]); got != 1 {
		t.Errorf("%d seeks, want 1", got)
	}
	if !strings.HasPrefix(lines["speed"], "1.5x from ") {
		t.Errorf("speed line %q, want 1.5x from half-way", lines["speed"])
	}
	if !strings.HasPrefix(lines["variants"], "v2 (192 kb/s) at the start") {
		t.Errorf("variants line %q, want a start at v2", lines["variants"])
	}
	// Segments 0 to 2 play before the seek and 4 and 5 after it; 3 is
	// fetched only when the driver got to it before the seek.
	if n := leadingInt(t, lines["segments"]); n < 5 || n > 6 {
		t.Errorf("segments line %q, want 5 or 6 complete", lines["segments"])
	}
	const d = 11546 * time.Millisecond // rounded in the summary; within the tolerance
	checkFrames(t, leadingInt(t, lines["audio"]), d/2, d*3/4, d, 1.5, 44100)
	checkReport(t, rep, 1, stderr)
}

func TestURLFileWithOutput(t *testing.T) {
	clearHotpathEnv(t)
	srv := httptest.NewServer(http.FileServerFS(fixtures.FS))
	defer srv.Close()
	report := filepath.Join(t.TempDir(), "report.json")
	code, stdout, stderr := runDemo(t, "--url", srv.URL+"/tone.mp3", "--format", "json-pretty", "--output", report,
		"--seek", "2s", "--speed", "2", "--cache", t.TempDir())
	if code != exitOK {
		t.Fatalf("exit %d, want 0", code)
	}
	// The report went to the file, so the summary is on stdout.
	lines := summaryLines(t, stdout)
	// The decoder knows the file's duration (its Xing frame): 3 s.
	if !strings.HasSuffix(lines["played"], "/tone.mp3 (file, 3s)") {
		t.Errorf("played line %q, want tone.mp3 as a file of 3s", lines["played"])
	}
	if _, ok := lines["variants"]; ok {
		t.Errorf("a progressive file has a variants line: %q", lines["variants"])
	}
	if got, want := lines["seeks"], "1: 1.51s -> 2s"; !strings.HasPrefix(got, "1: 1.5") || !strings.HasSuffix(got, " -> 2s") {
		t.Errorf("seeks line %q, want one seek like %q", got, want)
	}
	// Half-way is half the duration; tone.mp3 decodes to 3 s once its
	// encoder delay and padding are trimmed.
	checkFrames(t, leadingInt(t, lines["audio"]), 1500*time.Millisecond, 2*time.Second, 3*time.Second, 2, 44100)
	rep, err := hotpath.ReadReportFile(report)
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, rep, 1, stderr)
	// The whole file came over the network once, from the one request
	// that downloads it.
	body, err := fs.ReadFile(fixtures.FS, "tone.mp3")
	if err != nil {
		t.Fatal(err)
	}
	if want := kib(int64(len(body))); !strings.HasSuffix(lines["network"], " requests, "+want) {
		t.Errorf("network line %q, want %s", lines["network"], want)
	}
}

func TestNoSeekNoSpeed(t *testing.T) {
	clearHotpathEnv(t)
	srv := httptest.NewServer(http.FileServerFS(fixtures.FS))
	defer srv.Close()
	code, stdout, stderr := runDemo(t, "--url", srv.URL+"/tone.wav", "--seek", "off", "--speed", "1")
	if code != exitOK {
		t.Fatalf("exit %d, want 0", code)
	}
	lines := summaryLines(t, stdout)
	if got, want := leadingInt(t, lines["audio"]), 132300; got != want {
		t.Errorf("played %d frames, want all %d of tone.wav", got, want)
	}
	if lines["seeks"] != "0" || lines["speed"] != "1x throughout" {
		t.Errorf("seeks %q, speed %q; want none", lines["seeks"], lines["speed"])
	}
	// The table goes to stdout after the summary, or the note that there
	// is none.
	if !hotpath.Enabled {
		if !strings.HasSuffix(stdout, "\n"+noProfile+"\n") {
			t.Errorf("untagged stdout does not end with %q:\n%s", noProfile, stdout)
		}
		return
	}
	if !strings.Contains(stdout, "[hotpath] timing - Performance summary from kithara-demo") || strings.Contains(stdout+stderr, noProfile) {
		t.Errorf("tagged stdout has no timing table:\n%s", stdout)
	}
}

func TestFailures(t *testing.T) {
	clearHotpathEnv(t)
	mux := http.NewServeMux()
	mux.Handle("/", http.FileServerFS(fixtures.FS))
	mux.HandleFunc("/notes", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(bytes.Repeat([]byte("not audio\n"), 1000))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"404", []string{"--url", srv.URL + "/missing.mp3", "--format", "json"}, exitFailed, "HTTP 404 Not Found"},
		{"not audio", []string{"--url", srv.URL + "/notes", "--format", "json"}, exitFailed, "kithara-demo: player: open " + srv.URL + "/notes: "},
		{"bad format", []string{"--format", "xml"}, exitUsage, `--format "xml"`},
		{"bad speed", []string{"--speed", "3"}, exitUsage, "--speed 3: want 0.5 to 2"},
		{"bad seek", []string{"--seek", "soon"}, exitUsage, `invalid value "soon" for flag -seek`},
		{"bad timeout", []string{"--timeout", "0s"}, exitUsage, "--timeout 0s"},
		{"argument", []string{"extra"}, exitUsage, `unexpected argument "extra"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runDemo(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr does not contain %q:\n%s", tc.want, stderr)
			}
			if strings.Contains(stdout, "audio ") {
				t.Errorf("a failed run printed a summary:\n%s", stdout)
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	clearHotpathEnv(t)
	// A server that never answers: only the timeout ends the run. It polls
	// rather than waits on the request's Done channel, because a channel
	// operation here would make hotpathgen instrument this file.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for r.Context().Err() == nil {
			time.Sleep(10 * time.Millisecond)
		}
	}))
	defer srv.Close()
	code, _, stderr := runDemo(t, "--url", srv.URL+"/slow.mp3", "--timeout", "300ms", "--format", "json")
	if code != exitFailed {
		t.Errorf("exit %d, want %d", code, exitFailed)
	}
	if !strings.Contains(stderr, "kithara-demo: timed out after 300ms (--timeout): ") {
		t.Errorf("stderr does not name the timeout:\n%s", stderr)
	}
}

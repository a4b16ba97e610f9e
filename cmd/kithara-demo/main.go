// Command kithara-demo plays audio through the whole Kithara port and prints
// what it played and the hotpath report of the run.
//
// With no flags it serves the embedded fixture HLS presentation (three MP3
// variants) on a loopback port, with the top variant throttled so that ABR
// steps down, and plays it through player -> HLS driver -> cache ->
// SyncReader -> decoder -> resampler -> PCM. Half-way it changes the speed
// and seeks ahead. Then it prints a summary and the report:
//
//	go generate ./...
//	go run -tags hotpath ./cmd/kithara-demo
//
// Flags:
//
//	--url URL        play this HLS playlist or MP3/FLAC/WAV file instead
//	--format F       report format: table (default), json, json-pretty, pprof
//	--output FILE    write the report to FILE
//	--seek D         where the half-way seek goes: a duration, "auto"
//	                 (default: half as far again as the half-way point,
//	                 which is three quarters of a known duration) or "off"
//	--speed X        the speed set half-way, 0.5 to 2 (default 1.5; 1: none)
//	--cache DIR      the byte cache (default: a temporary directory, removed)
//	--timeout D      give up after D (default 60s)
//	--listen ADDR    serve the live view (docs/LIVE.md) on ADDR while it plays,
//	                 e.g. 127.0.0.1:6770 (a non-loopback ADDR needs
//	                 HOTPATH_HTTP_TOKEN)
//	--hold D         keep the live view up for D after playback ends
//
// Half-way is half the duration when it is known (HLS, or a file whose
// decoder knows it), else 1 s into the audio. The HOTPATH_* environment
// variables apply as in every program using the hotpath runtime;
// HOTPATH_FORMAT and HOTPATH_OUTPUT override --format and --output. When
// the report goes to standard output as JSON, the summary goes to standard
// error, so that standard output holds one report that hotpath.ReadReport
// and "hotpathgen compare" read.
//
// Built without -tags hotpath the demo plays the same way and says that
// there is no profile instead of printing an empty one.
//
// Exit status: 0 when it played to the end, 1 when playing failed or timed
// out (the message is on standard error), 2 for bad flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"time"

	"github.com/hotpath-go/hotpath/kithara/decode"
	hotpath "github.com/hotpath-go/hotpath/runtime"
	"github.com/hotpath-go/hotpath/runtime/live"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailed  = 1 // playing failed or the report could not be written
	exitUsage   = 2 // bad flags
	defaultWait = 60 * time.Second
)

// noProfile replaces the report of a build without instrumentation.
const noProfile = "built without -tags hotpath: no profile"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// config is what the flags ask for.
type config struct {
	url     string // empty: serve the fixtures
	format  hotpath.Format
	output  string
	seek    seekFlag
	speed   float64
	cache   string // empty: a temporary directory
	timeout time.Duration
	listen  string        // "": no live view
	hold    time.Duration // how long the live view stays up after playback
}

// seekFlag is the --seek value: auto, off, or a position.
type seekFlag struct {
	off, auto bool
	at        time.Duration
}

func (s *seekFlag) String() string {
	switch {
	case s.off:
		return "off"
	case s.auto:
		return "auto"
	}
	return s.at.String()
}

func (s *seekFlag) Set(v string) error {
	switch v {
	case "off":
		*s = seekFlag{off: true}
	case "auto":
		*s = seekFlag{auto: true}
	default:
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return errors.New(`want a duration >= 0 such as "8s", "auto" or "off"`)
		}
		*s = seekFlag{at: d}
	}
	return nil
}

// parseFlags reads args into a config; errors have been printed to stderr.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	cfg := config{seek: seekFlag{auto: true}}
	fs := flag.NewFlagSet("kithara-demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: kithara-demo [flags]\n\nPlays the fixture HLS (or --url) through Kithara and prints the hotpath report.\n\nFlags:")
		fs.PrintDefaults()
	}
	var format string
	fs.StringVar(&cfg.url, "url", "", "play this HLS playlist or MP3/FLAC/WAV `URL` instead of the built-in fixture server")
	fs.StringVar(&format, "format", string(hotpath.FormatTable), "report `format`: table, json, json-pretty or pprof (HOTPATH_FORMAT overrides)")
	fs.StringVar(&cfg.output, "output", "", "write the report to `FILE` instead of standard output")
	fs.Var(&cfg.seek, "seek", "half-way, seek to this `position`; auto: half as far again; off: no seek")
	fs.Float64Var(&cfg.speed, "speed", 1.5, "half-way, set this playback `speed` (0.5 to 2; 1 leaves it)")
	fs.StringVar(&cfg.cache, "cache", "", "byte cache `DIR` (default: a temporary directory removed at exit)")
	fs.DurationVar(&cfg.timeout, "timeout", defaultWait, "give up after this `duration`")
	fs.StringVar(&cfg.listen, "listen", "", "serve the live view on `ADDR` (e.g. 127.0.0.1:6770) while playing")
	fs.DurationVar(&cfg.hold, "hold", 0, "keep the live view up for this `duration` after playback ends (needs --listen)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	bad := func(format string, a ...any) (config, error) {
		err := fmt.Errorf(format, a...)
		fmt.Fprintf(stderr, "kithara-demo: %v\n", err)
		fs.Usage()
		return cfg, err
	}
	if fs.NArg() > 0 {
		return bad("unexpected argument %q", fs.Arg(0))
	}
	switch cfg.format = hotpath.Format(format); cfg.format {
	case hotpath.FormatTable, hotpath.FormatJSON, hotpath.FormatJSONPretty, hotpath.FormatPprof:
	default:
		return bad("--format %q: want table, json, json-pretty or pprof", format)
	}
	if !(cfg.speed >= decode.MinSpeed && cfg.speed <= decode.MaxSpeed) {
		return bad("--speed %s: want %g to %g", strconv.FormatFloat(cfg.speed, 'g', -1, 64), decode.MinSpeed, decode.MaxSpeed)
	}
	if cfg.timeout <= 0 {
		return bad("--timeout %v: want a positive duration", cfg.timeout)
	}
	if cfg.hold < 0 || (cfg.hold > 0 && cfg.listen == "") {
		return bad("--hold %v: want a duration >= 0, with --listen", cfg.hold)
	}
	return cfg, nil
}

// run is the whole program: it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if cfg.listen != "" {
		srv, err := live.Listen(cfg.listen)
		if err != nil {
			fmt.Fprintf(stderr, "kithara-demo: --listen: %v\n", err)
			return exitFailed
		}
		defer srv.Close()
		fmt.Fprintf(stderr, "kithara-demo: live view at %s\n", srv.URL())
		defer holdLive(ctx, cfg.hold, stderr)
	}

	// When the report is JSON on standard output, the summary goes to
	// standard error so that standard output holds the report alone.
	format, output := effectiveOutput(cfg)
	jsonOut := output == "" && (format == hotpath.FormatJSON || format == hotpath.FormatJSONPretty)
	summaryTo := stdout
	if jsonOut {
		summaryTo = stderr
	}
	opts := hotpath.Options{Name: "kithara-demo", Format: cfg.format, Output: cfg.output, Writer: stdout}
	if !hotpath.Enabled && format == hotpath.FormatTable {
		// An empty table says less than one line saying why it is empty.
		opts.Writer, opts.Output = io.Discard, ""
	}
	guard := hotpath.Start(opts)

	sum, err := demo(ctx, cfg)
	if err != nil {
		// The report still comes: after a timeout it shows where the
		// time went.
		fmt.Fprintf(stderr, "kithara-demo: %v\n", err)
		guard.Stop()
		return exitFailed
	}
	sum.write(summaryTo)
	switch {
	case !hotpath.Enabled && format == hotpath.FormatTable:
		fmt.Fprintf(summaryTo, "\n%s\n", noProfile)
	case !hotpath.Enabled:
		// A JSON report is still written, empty, for the tools that read it.
		fmt.Fprintln(stderr, noProfile)
	case format == hotpath.FormatTable && output == "":
		fmt.Fprintln(stdout) // between the summary and the tables
	}
	if err := guard.Stop(); err != nil {
		fmt.Fprintf(stderr, "kithara-demo: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// holdLive keeps the process (and its live view) up for d after playback,
// or until interrupted.
func holdLive(ctx context.Context, d time.Duration, stderr io.Writer) {
	if d <= 0 {
		return
	}
	fmt.Fprintf(stderr, "kithara-demo: playback ended; the live view stays up for %v (interrupt to quit)\n", d)
	// Callbacks rather than a select: a channel operation here would make
	// hotpathgen instrument this file, whose package has directives.
	var wg sync.WaitGroup
	var once sync.Once
	wg.Add(1)
	release := func() { once.Do(wg.Done) }
	t := time.AfterFunc(d, release)
	defer t.Stop()
	defer context.AfterFunc(ctx, release)()
	wg.Wait()
}

// effectiveOutput applies the guard's environment overrides to the report
// format and destination, so that the summary can keep out of the report's
// way. The guard applies them again; an invalid HOTPATH_FORMAT makes it
// fall back to a table, as here.
func effectiveOutput(cfg config) (hotpath.Format, string) {
	format, output := cfg.format, cfg.output
	switch f := hotpath.Format(os.Getenv("HOTPATH_FORMAT")); f {
	case "":
	case hotpath.FormatTable, hotpath.FormatJSON, hotpath.FormatJSONPretty, hotpath.FormatPprof, hotpath.FormatNone:
		format = f
	default:
		format = hotpath.FormatTable
	}
	if o := os.Getenv("HOTPATH_OUTPUT"); o != "" {
		output = o
	}
	return format, output
}

// demo serves the fixtures unless a URL was given, plays, and returns what
// it played.
func demo(ctx context.Context, cfg config) (*summary, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, cfg.timeout, fmt.Errorf("timed out after %v (--timeout)", cfg.timeout))
	defer cancel()
	cache := cfg.cache
	if cache == "" {
		dir, err := os.MkdirTemp("", "kithara-demo-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		cache = dir
	}
	pl := playback{url: cfg.url, cache: cache, seek: cfg.seek, speed: cfg.speed}
	if pl.url == "" {
		srv := serveFixtures()
		defer srv.Close()
		pl.url, pl.fixture = srv.URL+"/hls/master.m3u8", true
	}
	sum, err := pl.play(ctx)
	if err != nil && context.Cause(ctx) != nil && ctx.Err() != nil {
		err = fmt.Errorf("%w: %v", context.Cause(ctx), err)
	}
	return sum, err
}

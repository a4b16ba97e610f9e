package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/hotpath-go/hotpath/gen"
	"github.com/spf13/cobra"
)

// Exit codes, the same for every command.
const (
	exitOK       = 0
	exitFindings = 1 // errors in the user's code or directives; findings of check; a regression for compare
	exitTrouble  = 2 // usage errors, packages that cannot be loaded, I/O failures
)

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func findings(err error) error { return &exitError{exitFindings, err} }

func trouble(err error) error { return &exitError{exitTrouble, err} }

// quiet is an exit code with nothing more to print.
type quiet int

func (q quiet) Error() string { return fmt.Sprintf("exit %d", int(q)) }

// run is the whole CLI; main only passes it the process's arguments and
// streams, and tests call it directly.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	var q quiet
	var ee *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &q):
		return int(q)
	case errors.As(err, &ee):
		fmt.Fprintln(stderr, ee.err)
		return ee.code
	default:
		// Cobra's own errors: unknown commands and flags.
		fmt.Fprintf(stderr, "hotpathgen: %v\nRun 'hotpathgen help' for usage.\n", err)
		return exitTrouble
	}
}

// common holds the flags every package-loading command takes.
type common struct {
	tags    []string
	dir     string
	noTests bool
}

func (c *common) register(cmd *cobra.Command) {
	cmd.Flags().StringSliceVar(&c.tags, "tags", nil, "comma-separated build tags to load the packages with (never hotpath)")
	cmd.Flags().StringVarP(&c.dir, "dir", "C", "", "run as if started in this directory")
	cmd.Flags().BoolVar(&c.noTests, "no-tests", false, "leave _test.go files out")
}

func (c *common) config(args []string) gen.Config {
	return gen.Config{Dir: c.dir, Patterns: args, Tags: c.tags, NoTests: c.noTests}
}

// withCache adds hotpathgen's cache to cfg: under the user's cache
// directory, or $HOTPATHGEN_CACHE ("off" disables it). A cache that cannot
// be opened is no cache: it only ever saves time.
func withCache(cfg gen.Config) gen.Config {
	dir, ok := gen.DefaultCacheDir(os.Getenv)
	if !ok {
		return cfg
	}
	if c, err := gen.OpenCache(dir, ""); err == nil {
		cfg.Cache = c
	}
	return cfg
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	gc := &generateCmd{}
	root := &cobra.Command{
		Use:   "hotpathgen [generate] [packages]",
		Short: "Instrument //hotpath: directives as twin files behind the hotpath build tag",
		Long: `hotpathgen reads //hotpath:measure, //hotpath:block and //hotpath:channel
directives and writes, for every source file x.go that needs it, an
instrumented twin x_hotpath.go built only with -tags hotpath. The source
gets a //go:build !hotpath line and is otherwise never changed.

Packages are go command patterns (default "."). A go:generate line
"go tool hotpathgen" instruments the package of its file.

generate and check skip packages whose files and dependencies are as
they were when they last found nothing to do. The cache lives in
hotpathgen under the user's cache directory; HOTPATHGEN_CACHE=dir moves
it, HOTPATHGEN_CACHE=off disables it.`,
		Args:          cobra.ArbitraryArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE:          gc.run,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	gc.register(root)
	gen := &cobra.Command{
		Use:   "generate [packages]",
		Short: "Write or refresh twins (the default command)",
		Args:  cobra.ArbitraryArgs,
		RunE:  gc.run,
	}
	gc.register(gen)
	root.AddCommand(gen, newCheckCmd(), newDiffCmd(), newListCmd(), newCleanCmd(), newCompareCmd(), newVersionCmd(), newTopCmd())
	root.CompletionOptions.DisableDefaultCmd = true
	return root
}

type generateCmd struct {
	common
	verbose bool
}

func (g *generateCmd) register(cmd *cobra.Command) {
	g.common.register(cmd)
	cmd.Flags().BoolVarP(&g.verbose, "verbose", "v", false, "print every file written or removed")
}

func (g *generateCmd) run(cmd *cobra.Command, args []string) error {
	res, err := runPipeline(withCache(g.config(args)))
	if err != nil {
		return err
	}
	if err := gen.Apply(res.Changes); err != nil {
		return trouble(fmt.Errorf("hotpathgen: %s", relMessage(err)))
	}
	res.Applied()
	if g.verbose {
		for _, c := range res.Changes {
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s (%s)\n", verb(c), relPath(c.Path), c.Reason)
		}
	}
	return nil
}

// runPipeline runs the generator without writing and turns its failures
// into exit codes: load trouble is 2, errors in the code are 1.
func runPipeline(cfg gen.Config) (*gen.Result, error) {
	res, err := gen.Run(cfg)
	if err != nil {
		return nil, trouble(fmt.Errorf("hotpathgen: %s", relMessage(err)))
	}
	if len(res.Errors) > 0 {
		var b strings.Builder
		for _, e := range res.Errors {
			b.WriteString(relError(e))
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "hotpathgen: %d error(s); nothing was written", len(res.Errors))
		return nil, findings(errors.New(b.String()))
	}
	return res, nil
}

func verb(c *gen.Change) string {
	switch {
	case c.New == nil:
		return "removed"
	case c.Old == nil:
		return "wrote"
	}
	return "updated"
}

// relPath shows a path relative to the working directory when it is
// below it, as the go command does.
func relPath(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	if rel, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return path
}

// relMessage is an error message with the paths below the working
// directory made relative, as relPath does.
func relMessage(err error) string {
	wd, werr := os.Getwd()
	if werr != nil {
		return err.Error()
	}
	return strings.ReplaceAll(err.Error(), wd+string(filepath.Separator), "")
}

func relError(e *gen.Error) string {
	if e.Pos.Filename == "" {
		return e.Msg
	}
	p := e.Pos
	p.Filename = relPath(p.Filename)
	return fmt.Sprintf("%s: %s", p, e.Msg)
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of hotpathgen",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			v := "(devel)"
			if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
				v = bi.Main.Version
			}
			fmt.Fprintf(cmd.OutOrStdout(), "hotpathgen %s\n", v)
		},
	}
}

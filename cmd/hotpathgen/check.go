package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hotpath-go/hotpath/gen"
	"github.com/spf13/cobra"
)

type checkCmd struct {
	common
	json bool
}

func newCheckCmd() *cobra.Command {
	c := &checkCmd{}
	cmd := &cobra.Command{
		Use:   "check [packages]",
		Short: "Report stale, missing, orphaned or edited twins without writing (for CI)",
		Long: `check runs the generate pipeline with writing switched off. It prints one
line per finding — path: stale, missing, orphaned, edited, constraint
missing, constraint not needed — then the command that fixes them. It also
type-checks the instrumented (-tags hotpath) build in memory, so a twin that
would not compile is a finding before anyone builds.

Packages found clean before, whose files and dependencies have not changed
since, are skipped (the cache; HOTPATHGEN_CACHE=off disables it).

Exit status: 0 clean, 1 findings, 2 usage or load trouble.`,
		Args: cobra.ArbitraryArgs,
		RunE: c.run,
	}
	c.register(cmd)
	cmd.Flags().BoolVar(&c.json, "json", false, "print the findings as JSON")
	return cmd
}

func (c *checkCmd) run(cmd *cobra.Command, args []string) error {
	cr, err := gen.Check(withCache(c.config(args)))
	if err != nil {
		var le *gen.LoadError
		if errors.As(err, &le) {
			return trouble(fmt.Errorf("hotpathgen: %w", err))
		}
		return trouble(fmt.Errorf("hotpathgen check: %w", err))
	}
	out := cmd.OutOrStdout()
	fix := fixCommand(cr.Dirs)
	if c.json {
		for i := range cr.Findings {
			cr.Findings[i].Path = relPath(cr.Findings[i].Path)
		}
		for i := range cr.Dirs {
			cr.Dirs[i] = relPath(cr.Dirs[i])
		}
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			*gen.CheckResult
			Fix string `json:"fix,omitempty"`
		}{cr, fix}); err != nil {
			return trouble(err)
		}
	} else {
		for _, f := range cr.Findings {
			switch {
			case f.Message != "" && f.Line > 0:
				fmt.Fprintf(out, "%s:%d:%d: %s: %s\n", relPath(f.Path), f.Line, f.Column, f.Kind, f.Message)
			case f.Message != "":
				fmt.Fprintf(out, "%s: %s: %s\n", relPath(f.Path), f.Kind, f.Message)
			default:
				fmt.Fprintf(out, "%s: %s\n", relPath(f.Path), f.Kind)
			}
		}
		if fix != "" {
			fmt.Fprintf(out, "fix: %s\n", fix)
		}
	}
	if len(cr.Findings) > 0 {
		return quiet(exitFindings)
	}
	return nil
}

// fixCommand is the command that brings the directories up to date.
func fixCommand(dirs []string) string {
	if len(dirs) == 0 {
		return ""
	}
	var pkgs []string
	for _, d := range dirs {
		r := filepath.ToSlash(relPath(d))
		if !filepath.IsAbs(r) && !strings.HasPrefix(r, ".") {
			r = "./" + r
		}
		pkgs = append(pkgs, r)
	}
	return "go tool hotpathgen " + strings.Join(pkgs, " ")
}

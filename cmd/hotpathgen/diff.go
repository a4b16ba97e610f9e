package main

import (
	"fmt"
	"path/filepath"

	"github.com/hotpath-go/hotpath/gen"
	"github.com/spf13/cobra"
)

type diffCmd struct {
	common
	stale bool
	raw   bool
}

func newDiffCmd() *cobra.Command {
	d := &diffCmd{}
	cmd := &cobra.Command{
		Use:   "diff [packages]",
		Short: "Show what the instrumented twins add to their sources, as unified diffs",
		Long: `diff prints, for every source file with directives, a unified diff of the
source against its instrumented twin, computed fresh in memory: what the
wrappers add, for review. //line directives and the checksum line are left
out unless --raw is given. With --stale it shows instead what generate would
change on disk. It never writes; its exit status is 0 unless the packages
cannot be loaded (2) or their directives have errors (1).`,
		Args: cobra.ArbitraryArgs,
		RunE: d.run,
	}
	d.register(cmd)
	cmd.Flags().BoolVar(&d.stale, "stale", false, "show what generate would change on disk")
	cmd.Flags().BoolVar(&d.raw, "raw", false, "keep //line directives and the checksum in the diff")
	return cmd
}

func (d *diffCmd) run(cmd *cobra.Command, args []string) error {
	res, err := runPipeline(d.config(args))
	if err != nil {
		return err
	}
	fmt.Fprint(cmd.OutOrStdout(), gen.Diff(res, gen.DiffOptions{
		Stale: d.stale,
		Raw:   d.raw,
		Rel:   func(p string) string { return filepath.ToSlash(relPath(p)) },
	}))
	return nil
}

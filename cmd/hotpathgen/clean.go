package main

import (
	"fmt"

	"github.com/hotpath-go/hotpath/gen"
	"github.com/spf13/cobra"
)

type cleanCmd struct {
	common
	verbose bool
}

func newCleanCmd() *cobra.Command {
	c := &cleanCmd{}
	cmd := &cobra.Command{
		Use:   "clean [packages]",
		Short: "Remove the twins and the build constraints hotpathgen added",
		Long: `clean deletes every twin that hotpathgen generated in the packages'
directories and removes the //go:build !hotpath constraint it added to
their sources, leaving each source byte-identical to what it was before
the first generate.`,
		Args: cobra.ArbitraryArgs,
		RunE: c.run,
	}
	c.register(cmd)
	cmd.Flags().BoolVarP(&c.verbose, "verbose", "v", false, "print every file changed")
	return cmd
}

func (c *cleanCmd) run(cmd *cobra.Command, args []string) error {
	changes, err := gen.Clean(c.config(args))
	if err != nil {
		return trouble(fmt.Errorf("hotpathgen: %w", err))
	}
	if err := gen.Apply(changes); err != nil {
		return trouble(fmt.Errorf("hotpathgen: %s", relMessage(err)))
	}
	if c.verbose {
		for _, ch := range changes {
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", verb(ch), relPath(ch.Path))
		}
	}
	return nil
}

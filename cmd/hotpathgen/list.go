package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/hotpath-go/hotpath/gen"
	"github.com/spf13/cobra"
)

type listCmd struct {
	common
	json   bool
	inline bool
}

func newListCmd() *cobra.Command {
	l := &listCmd{}
	cmd := &cobra.Command{
		Use:   "list [packages]",
		Short: "Print every directive found: kind, label, target and position",
		Args:  cobra.ArbitraryArgs,
		RunE:  l.run,
	}
	l.register(cmd)
	cmd.Flags().BoolVar(&l.json, "json", false, "print JSON instead of a table")
	cmd.Flags().BoolVar(&l.inline, "inline", false, "say which measured functions the compiler inlines in the untagged build (compiles the packages with -gcflags=-m); measuring one stops that")
	return cmd
}

func (l *listCmd) run(cmd *cobra.Command, args []string) error {
	res, err := runPipeline(l.config(args))
	if err != nil {
		return err
	}
	items := gen.ListTargets(res.Plan)
	if l.inline {
		inl, err := gen.Inlinable(l.config(args), res.Plan)
		if err != nil {
			return trouble(fmt.Errorf("hotpathgen: list --inline: %s", relMessage(err)))
		}
		gen.MarkInlinable(items, inl)
	}
	for i := range items {
		items[i].Position = relPath(items[i].File) + items[i].Position[len(items[i].File):]
		items[i].File = relPath(items[i].File)
	}
	out := cmd.OutOrStdout()
	if l.json {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if items == nil {
			items = []gen.ListItem{}
		}
		return enc.Encode(items)
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	if l.inline {
		fmt.Fprintln(tw, "KIND\tLABEL\tTARGET\tPOSITION\tINLINED UNTAGGED")
	} else {
		fmt.Fprintln(tw, "KIND\tLABEL\tTARGET\tPOSITION")
	}
	for _, it := range items {
		if !l.inline {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", it.Kind, it.Label, it.Target, it.Position)
			continue
		}
		inl := "-" // not a measure, or in a test file
		if it.Inlinable != nil {
			inl = "no"
			if *it.Inlinable {
				inl = "yes"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", it.Kind, it.Label, it.Target, it.Position, inl)
	}
	return tw.Flush()
}

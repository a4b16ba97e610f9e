package gen

import (
	"fmt"
	"sort"
)

// ListItem is one directive as hotpathgen list prints it.
type ListItem struct {
	// Kind is the directive verb: measure, block, channel, skip.
	Kind string `json:"kind"`
	// Label is the row name in reports.
	Label string `json:"label"`
	// Target is what the directive applies to: a function symbol (for
	// skip, the method it leaves out), the function a block is in, or the
	// type of a channel.
	Target string `json:"target"`
	// File, Line and Column locate the directive; Position is them as
	// file:line:col.
	File     string `json:"file"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Position string `json:"position"`
	// Inlinable, for a measure of a non-test file when asked for (list
	// --inline), is whether the compiler inlines the function in the
	// untagged build: measuring it stops that (see docs/PERFORMANCE.md).
	Inlinable *bool `json:"inlinable,omitempty"`

	measure *Measure
}

// MarkInlinable sets Inlinable on the measures among items, from a map
// that Inlinable returned.
func MarkInlinable(items []ListItem, inl map[*Measure]bool) {
	for i := range items {
		if m := items[i].measure; m != nil {
			if v, ok := inl[m]; ok {
				items[i].Inlinable = &v
			}
		}
	}
}

// ListTargets returns every target of the plan with the directive that
// selected it, in file and line order, from the plan alone. A type-wide measure lists each
// method it covers, at the type's directive.
func ListTargets(p *Plan) []ListItem {
	var items []ListItem
	for _, fp := range p.Files {
		for _, u := range fp.units {
			items = append(items, u.list(fp)...)
		}
	}
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Target < b.Target
	})
	return items
}

// listItem is the list entry of a target that directive d selected.
func listItem(kind Verb, label, target string, d Directive) ListItem {
	return ListItem{
		Kind: string(kind), Label: label, Target: target,
		File: d.Pos.Filename, Line: d.Pos.Line, Column: d.Pos.Column,
		Position: fmt.Sprintf("%s:%d:%d", d.Pos.Filename, d.Pos.Line, d.Pos.Column),
	}
}

package compare

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/hotpath-go/hotpath/runtime/internal/texttable"
)

// noRows stands in for the rows of an empty table.
const noRows = "(no rows on either side)"

// WriteText writes the comparison as boxed text tables for a terminal:
// the summary, the rules, any warnings, then every row of every group.
func (r *Result) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "hotpath compare: %s\n", r.Summary)
	for _, l := range r.rules() {
		fmt.Fprintln(bw, l)
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(bw, "warning: %s\n", warn)
	}
	for i := range r.Groups {
		g := &r.Groups[i]
		fmt.Fprintln(bw)
		t := texttable.Table{Title: fmt.Sprintf("%s (%s)", g.title(), g.runs()), Header: r.funcColumns(g), LastText: true, Empty: noRows}
		var notes []string
		for j := range g.Functions {
			d := &g.Functions[j]
			t.Rows = append(t.Rows, r.funcCells(g, d, d.displayName()))
			if len(d.Notes) > 0 {
				notes = append(notes, d.displayName()+": "+strings.Join(d.Notes, "; "))
			}
		}
		t.Write(bw)
		if len(g.Channels) > 0 {
			fmt.Fprintln(bw)
			t := texttable.Table{Title: "Channels of " + g.title(), Header: chanColumns, TextCols: chanTextColumns, LastText: true, Empty: noRows}
			for j := range g.Channels {
				d := &g.Channels[j]
				t.Rows = append(t.Rows, chanCells(d, d.Label))
				if len(d.Notes) > 0 {
					notes = append(notes, d.Label+": "+strings.Join(d.Notes, "; "))
				}
			}
			t.Write(bw)
		}
		if len(g.Mutexes) > 0 {
			fmt.Fprintln(bw)
			t := texttable.Table{Title: "Mutexes of " + g.title(), Header: mutexColumns, TextCols: mutexTextColumns, LastText: true, Empty: noRows}
			for j := range g.Mutexes {
				d := &g.Mutexes[j]
				t.Rows = append(t.Rows, mutexCells(d, d.Label))
				if len(d.Notes) > 0 {
					notes = append(notes, d.Label+": "+strings.Join(d.Notes, "; "))
				}
			}
			t.Write(bw)
		}
		if len(g.Goroutines) > 0 {
			fmt.Fprintln(bw)
			t := texttable.Table{Title: "Goroutines of " + g.title(), Header: goColumns, LastText: true, Empty: noRows}
			for j := range g.Goroutines {
				d := &g.Goroutines[j]
				t.Rows = append(t.Rows, goCells(d, d.Label))
				if len(d.Notes) > 0 {
					notes = append(notes, d.Label+": "+strings.Join(d.Notes, "; "))
				}
			}
			t.Write(bw)
		}
		for _, n := range notes {
			fmt.Fprintf(bw, "note: %s\n", n)
		}
	}
	return bw.Flush()
}

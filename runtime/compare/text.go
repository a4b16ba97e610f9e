package compare

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

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
		t := textTable{title: fmt.Sprintf("%s (%s)", g.title(), g.runs()), header: r.funcColumns(g), text: 1}
		var notes []string
		for j := range g.Functions {
			d := &g.Functions[j]
			t.rows = append(t.rows, r.funcCells(g, d, d.displayName()))
			if len(d.Notes) > 0 {
				notes = append(notes, d.displayName()+": "+strings.Join(d.Notes, "; "))
			}
		}
		t.write(bw)
		if len(g.Channels) > 0 {
			fmt.Fprintln(bw)
			t := textTable{title: "Channels of " + g.title(), header: chanColumns, text: chanTextColumns}
			for j := range g.Channels {
				d := &g.Channels[j]
				t.rows = append(t.rows, chanCells(d, d.Label))
				if len(d.Notes) > 0 {
					notes = append(notes, d.Label+": "+strings.Join(d.Notes, "; "))
				}
			}
			t.write(bw)
		}
		for _, n := range notes {
			fmt.Fprintf(bw, "note: %s\n", n)
		}
	}
	return bw.Flush()
}

// textTable is a boxed table in the runtime's style: the first text
// columns and the last one (the verdict) left-aligned, numbers
// right-aligned.
type textTable struct {
	title  string
	header []string
	rows   [][]string
	text   int
}

func (t *textTable) write(w io.Writer) {
	widths := make([]int, len(t.header))
	for _, row := range append([][]string{t.header}, t.rows...) {
		for i, c := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	var sep strings.Builder
	sep.WriteByte('+')
	for _, wd := range widths {
		sep.WriteString(strings.Repeat("-", wd+2))
		sep.WriteByte('+')
	}
	line := func(cells []string) {
		var b strings.Builder
		b.WriteByte('|')
		for i, c := range cells {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			b.WriteByte(' ')
			if i < t.text || i == len(cells)-1 {
				b.WriteString(c + pad)
			} else {
				b.WriteString(pad + c)
			}
			b.WriteString(" |")
		}
		fmt.Fprintln(w, b.String())
	}
	fmt.Fprintln(w, t.title)
	fmt.Fprintln(w, sep.String())
	line(t.header)
	fmt.Fprintln(w, sep.String())
	for _, row := range t.rows {
		line(row)
	}
	if len(t.rows) == 0 {
		fmt.Fprintln(w, "| (no rows on either side)")
	}
	fmt.Fprintln(w, sep.String())
}

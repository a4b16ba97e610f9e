package compare

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown writes the comparison as GitHub-flavoured Markdown for a
// pull request comment. The first line is the summary. Reports with
// changes get a table of the changed rows, with their unchanged rows
// folded in a <details> block; reports with no change are folded together
// at the end.
func (r *Result) WriteMarkdown(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "**hotpath compare:** %s\n\n", r.Summary)
	fmt.Fprintln(bw, strings.Join(r.rules(), " "))
	if len(r.Warnings) > 0 {
		fmt.Fprintln(bw)
		for _, warn := range r.Warnings {
			fmt.Fprintf(bw, "- **warning:** %s\n", mdEscape(warn))
		}
	}
	var quiet []*Group
	for i := range r.Groups {
		g := &r.Groups[i]
		if !g.changed() {
			quiet = append(quiet, g)
			continue
		}
		fmt.Fprintf(bw, "\n#### %s\n\n%s.\n", mdEscape(g.title()), g.runs())
		r.mdTables(bw, g, func(v Verdict) bool { return v != Unchanged })
		if n := r.mdCount(g, Unchanged); n != "" {
			fmt.Fprintf(bw, "\n<details><summary>%s unchanged</summary>\n", n)
			r.mdTables(bw, g, func(v Verdict) bool { return v == Unchanged })
			fmt.Fprintln(bw, "\n</details>")
		}
	}
	if len(quiet) > 0 {
		fmt.Fprintf(bw, "\n<details><summary>%s without changes</summary>\n", plural(len(quiet), "report"))
		for _, g := range quiet {
			fmt.Fprintf(bw, "\n**%s** (%s)\n", mdEscape(g.title()), g.runs())
			r.mdTables(bw, g, func(Verdict) bool { return true })
		}
		fmt.Fprintln(bw, "\n</details>")
	}
	return bw.Flush()
}

// mdCount says how many rows of a group have verdict v: "3 functions, 1
// channel, 2 mutexes", or "" for none.
func (r *Result) mdCount(g *Group, v Verdict) string {
	var nf, nc, nm, ng int
	for _, f := range g.Functions {
		if f.Verdict == v {
			nf++
		}
	}
	for _, c := range g.Channels {
		if c.Verdict == v {
			nc++
		}
	}
	for _, m := range g.Mutexes {
		if m.Verdict == v {
			nm++
		}
	}
	for _, gd := range g.Goroutines {
		if gd.Verdict == v {
			ng++
		}
	}
	var parts []string
	for _, p := range []struct {
		n    int
		noun string
	}{{nf, "function"}, {nc, "channel"}, {nm, "mutex"}, {ng, "goroutine site"}} {
		if p.n > 0 {
			parts = append(parts, plural(p.n, p.noun))
		}
	}
	return strings.Join(parts, ", ")
}

// mdTables writes the function, channel, mutex and goroutine tables of
// the rows whose verdict keep accepts, then the notes of those rows.
func (r *Result) mdTables(w io.Writer, g *Group, keep func(Verdict) bool) {
	var rows [][]string
	var notes []string
	for i := range g.Functions {
		d := &g.Functions[i]
		if !keep(d.Verdict) {
			continue
		}
		name := d.displayName()
		cells := r.funcCells(g, d, "`"+name+"`")
		if d.Verdict == Regression {
			cells[len(cells)-1] = "**" + cells[len(cells)-1] + "**"
		}
		rows = append(rows, cells)
		if len(d.Notes) > 0 {
			notes = append(notes, "`"+name+"`: "+strings.Join(d.Notes, "; "))
		}
	}
	if len(rows) > 0 {
		fmt.Fprintln(w)
		mdTable(w, r.funcColumns(g), 1, rows)
	}
	rows = rows[:0]
	for i := range g.Channels {
		d := &g.Channels[i]
		if !keep(d.Verdict) {
			continue
		}
		rows = append(rows, chanCells(d, "`"+d.Label+"`"))
		if len(d.Notes) > 0 {
			notes = append(notes, "`"+d.Label+"`: "+strings.Join(d.Notes, "; "))
		}
	}
	if len(rows) > 0 {
		fmt.Fprintln(w)
		mdTable(w, chanColumns, chanTextColumns, rows)
	}
	rows = rows[:0]
	for i := range g.Mutexes {
		d := &g.Mutexes[i]
		if !keep(d.Verdict) {
			continue
		}
		rows = append(rows, mutexCells(d, "`"+d.Label+"`"))
		if len(d.Notes) > 0 {
			notes = append(notes, "`"+d.Label+"`: "+strings.Join(d.Notes, "; "))
		}
	}
	if len(rows) > 0 {
		fmt.Fprintln(w)
		mdTable(w, mutexColumns, mutexTextColumns, rows)
	}
	rows = rows[:0]
	for i := range g.Goroutines {
		d := &g.Goroutines[i]
		if !keep(d.Verdict) {
			continue
		}
		rows = append(rows, goCells(d, "`"+d.Label+"`"))
		if len(d.Notes) > 0 {
			notes = append(notes, "`"+d.Label+"`: "+strings.Join(d.Notes, "; "))
		}
	}
	if len(rows) > 0 {
		fmt.Fprintln(w)
		mdTable(w, goColumns, 1, rows)
	}
	if len(notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range notes {
			fmt.Fprintf(w, "- %s\n", mdEscape(n))
		}
	}
}

// mdTable writes a table with the first text columns and the last one
// left-aligned and the numbers between them right-aligned.
func mdTable(w io.Writer, header []string, text int, rows [][]string) {
	line := func(cells []string) {
		esc := make([]string, len(cells))
		for i, c := range cells {
			esc[i] = mdEscape(c)
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(esc, " | "))
	}
	line(header)
	align := make([]string, len(header))
	for i := range align {
		align[i] = "--:"
		if i < text || i == len(align)-1 {
			align[i] = ":--"
		}
	}
	fmt.Fprintf(w, "|%s|\n", strings.Join(align, "|"))
	for _, row := range rows {
		line(row)
	}
}

// mdEscape keeps a cell from ending early: a | splits a table cell even
// inside backticks, and a newline ends the row.
func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

// Package texttable writes the boxed text tables of hotpath's reports and
// of hotpathgen compare, in the layout of hotpath-rs:
//
//	title
//	+----------+-------+
//	| Function | Calls |
//	+----------+-------+
//	| p.F      |    12 |
//	+----------+-------+
package texttable

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Table is one table. Text columns are aligned left and number columns
// right, as numbers read best.
type Table struct {
	Title  string
	Header []string
	Rows   [][]string
	// TextCols is how many leading columns hold text; zero means one.
	TextCols int
	// LastText marks the last column as text too (a verdict, say).
	LastText bool
	// Empty is the line written in place of rows when there are none.
	Empty string
}

// Write writes the table to w.
func (t *Table) Write(w io.Writer) {
	widths := make([]int, len(t.Header))
	for _, row := range append([][]string{t.Header}, t.Rows...) {
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
			if i < max(t.TextCols, 1) || t.LastText && i == len(cells)-1 {
				b.WriteString(c + pad)
			} else {
				b.WriteString(pad + c)
			}
			b.WriteString(" |")
		}
		fmt.Fprintln(w, b.String())
	}
	fmt.Fprintln(w, t.Title)
	fmt.Fprintln(w, sep.String())
	line(t.Header)
	fmt.Fprintln(w, sep.String())
	for _, row := range t.Rows {
		line(row)
	}
	if len(t.Rows) == 0 && t.Empty != "" {
		fmt.Fprintln(w, "| "+t.Empty)
	}
	fmt.Fprintln(w, sep.String())
}

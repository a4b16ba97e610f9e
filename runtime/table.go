package hotpath

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/hotpath-go/hotpath/internal/textfmt"
	"github.com/hotpath-go/hotpath/runtime/internal/core"
	"github.com/hotpath-go/hotpath/runtime/internal/names"
	"github.com/hotpath-go/hotpath/runtime/internal/texttable"
)

// noCalls stands in for the rows of an empty table.
const noCalls = "(no calls recorded)"

func (r *Report) writeTable(w io.Writer) error {
	bw := bufio.NewWriter(w)
	r.writeFuncTable(bw)
	if r.AllocTotals != nil {
		fmt.Fprintln(bw)
		r.writeAllocTable(bw)
	}
	if len(r.Channels) > 0 {
		fmt.Fprintln(bw)
		r.writeChanTable(bw)
	}
	if len(r.Goroutines) > 0 {
		fmt.Fprintln(bw)
		r.writeGoTable(bw)
	}
	if len(r.Mutexes) > 0 {
		fmt.Fprintln(bw)
		r.writeMutexTable(bw)
	}
	return bw.Flush()
}

func (r *Report) writeFuncTable(w io.Writer) {
	title := fmt.Sprintf("[hotpath] timing - Performance summary from %s (Total time: %s)", r.Name, textfmt.Duration(r.ElapsedNS))
	var notes []string
	if r.SampleEvery > 1 {
		notes = append(notes, fmt.Sprintf("one call in %d timed", r.SampleEvery))
	}
	if r.CallsEstimated {
		notes = append(notes, fmt.Sprintf("calls estimated: %d per timed call", r.SampleEvery))
	}
	if r.Alloc {
		notes = append(notes, "alloc mode on: timings include the cost of recording every allocation")
	}
	if len(notes) > 0 {
		title += " [" + strings.Join(notes, "; ") + "]"
	}
	header := []string{"Function", "Calls", "Avg"}
	for _, p := range r.Percentiles {
		header = append(header, percentileTitle(p))
	}
	header = append(header, "Total", "% Total")
	t := texttable.Table{Title: title, Header: header, Empty: noCalls}
	for i := range r.Functions {
		f := &r.Functions[i]
		row := []string{f.displayName(), strconv.FormatUint(f.Calls, 10), textfmt.Duration(f.AvgNS)}
		for _, p := range r.Percentiles {
			row = append(row, textfmt.Duration(f.Percentiles[names.PercentileKey(p)]))
		}
		row = append(row, textfmt.Duration(f.TotalNS), fmt.Sprintf("%.2f%%", f.PercentTotal))
		t.Rows = append(t.Rows, row)
	}
	t.Write(w)
}

// writeAllocTable writes the allocation section: the rows of the timing
// section (so Limit keeps the rows that took the most time), sorted by
// inclusive bytes. "% Total" is a row's inclusive bytes as a share of the
// bytes allocated inside any measured function or block (each byte once);
// nested rows overlap, so the column can add up past 100.
func (r *Report) writeAllocTable(w io.Writer) {
	tot := r.AllocTotals
	title := fmt.Sprintf("[hotpath] alloc - Allocation summary from %s (Total time: %s; heap: %s in %d objects, %s of it inside measured code)",
		r.Name, textfmt.Duration(r.ElapsedNS), textfmt.Bytes(tot.Bytes), tot.Objects, percentOf(tot.AttributedBytes, tot.Bytes))
	t := texttable.Table{Title: title, Header: []string{"Function", "Calls", "Bytes", "Objects", "Avg/call", "Self bytes", "Self objects", "% Total"}, Empty: noCalls}
	rows := make([]*FuncRow, len(r.Functions))
	for i := range r.Functions {
		rows[i] = &r.Functions[i]
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].AllocBytes != rows[j].AllocBytes {
			return rows[i].AllocBytes > rows[j].AllocBytes
		}
		return rows[i].Name < rows[j].Name
	})
	for _, f := range rows {
		avg := int64(0)
		if f.Calls > 0 {
			avg = f.AllocBytes / int64(f.Calls)
		}
		t.Rows = append(t.Rows, []string{
			f.displayName(), strconv.FormatUint(f.Calls, 10),
			textfmt.Bytes(f.AllocBytes), strconv.FormatInt(f.AllocObjects, 10), textfmt.Bytes(avg),
			textfmt.Bytes(f.SelfAllocBytes), strconv.FormatInt(f.SelfAllocObjects, 10),
			percentOf(f.AllocBytes, tot.AttributedBytes),
		})
	}
	t.Write(w)
}

// percentOf formats part/whole as a percentage with two decimals.
func percentOf(part, whole int64) string {
	if whole <= 0 {
		return "0.00%"
	}
	return fmt.Sprintf("%.2f%%", float64(part)*100/float64(whole))
}

// displayName is the row label in tables: a block shows its enclosing
// function after an @, without the import path's directories.
func (f *FuncRow) displayName() string {
	return names.Label(f.Name, f.Kind == core.KindBlock.String(), f.Parent)
}

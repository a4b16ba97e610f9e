package hotpath

import (
	"io"
	"time"
)

// This file holds the report side of channel metrics. Its first version was
// written by the lead only to declare the types the report hooks in
// report.go and table.go use; the channel helper owns it from here.

// ChanSite is one //hotpath:channel make site; generated code declares one
// per site as a composite literal.
type ChanSite struct {
	// Label names the row: label=NAME from the directive, or file.go:line.
	Label string
	// Type is the channel type as written, e.g. "chan int".
	Type string
	// Site is the make call's position: import path, file and line.
	Site string
}

// ChanRow is one channel make site in a report.
type ChanRow struct {
	Label string `json:"label"`
}

// chanSnapshot is a site's numbers at one instant.
type chanSnapshot struct{}

func chanBaseline() map[*ChanSite]chanSnapshot { return map[*ChanSite]chanSnapshot{} }

func buildChannels(resolved, baseline, time.Duration) []ChanRow { return []ChanRow{} }

func (r *Report) writeChanTable(io.Writer) {}

package hotpath

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/hotpath-go/hotpath/internal/textfmt"
	"github.com/hotpath-go/hotpath/runtime/internal/core"
	"github.com/hotpath-go/hotpath/runtime/internal/names"
	"github.com/hotpath-go/hotpath/runtime/internal/texttable"
)

// ChanRow is one //hotpath:channel make site: every channel made there,
// over the guard's window.
type ChanRow struct {
	// Label is label=NAME from the directive, or file.go:line.
	Label string `json:"label"`
	// Type is the channel type as written, e.g. "chan int".
	Type string `json:"type"`
	// Capacity is the capacity of the site's channels; MinCapacity equals
	// it unless the site made channels of different capacities, when
	// Capacity is the largest and MinCapacity the smallest.
	Capacity    int `json:"capacity"`
	MinCapacity int `json:"min_capacity"`
	// Created counts the channels made at the site.
	Created uint64 `json:"created"`
	// Sent and Received count completed sends and receives of a message;
	// a receive that finds the channel closed is not a received message.
	Sent     uint64 `json:"sent"`
	Received uint64 `json:"received"`
	// Closed counts calls of close.
	Closed uint64 `json:"closed"`
	// Depth is the number of messages queued, when the report was made, in
	// the site's channels that have not been garbage collected.
	Depth int `json:"depth"`
	// MaxDepth and DepthPercentiles describe len(ch) sampled right after
	// every counted send and receive. Percentiles are exact below 32 and
	// within 1/8 above. MaxDepth is exact, except in a window that starts
	// with the site already in use, where it is as precise as the
	// percentiles.
	MaxDepth         int            `json:"max_depth"`
	DepthPercentiles map[string]int `json:"depth_percentiles"`
	// SendBlocked and RecvBlocked time the operations that could not
	// complete at once and waited for another goroutine.
	SendBlocked BlockedStats `json:"send_blocked"`
	RecvBlocked BlockedStats `json:"recv_blocked"`
	// MsgsPerSec is Received per second of the guard's wall time.
	MsgsPerSec float64 `json:"msgs_per_sec"`
	// Site is the make call's position: import path, file and line.
	Site string `json:"site"`
}

// BlockedStats times the channel operations of one direction that had to
// wait.
type BlockedStats struct {
	Count   uint64 `json:"count"`
	TotalNS int64  `json:"total_ns"`
	MaxNS   int64  `json:"max_ns"`
	// Percentiles maps "p50", "p99.9", ... to nanoseconds of waiting.
	Percentiles map[string]int64 `json:"percentiles"`
}

// Chan returns the channel row labelled label, or nil.
func (r *Report) Chan(label string) *ChanRow {
	for i := range r.Channels {
		if r.Channels[i].Label == label {
			return &r.Channels[i]
		}
	}
	return nil
}

// buildChannels returns the rows of the sites used since base, sorted by
// label.
func buildChannels(opts resolved, base baseline, elapsed time.Duration) []ChanRow {
	rows := []ChanRow{}
	var depths map[*core.ChanState]int
	for _, s := range core.ChanSites() {
		if !opts.focus(s.Label) {
			continue
		}
		st := s.State()
		d := st.Snapshot().Since(base.chans[s])
		if !d.Used() {
			continue
		}
		if depths == nil {
			depths = core.LiveDepths()
		}
		rows = append(rows, chanRow(st, d, depths[st], opts.Percentiles, elapsed))
	}
	sortSiteRows(rows, chanKey)
	if opts.Limit > 0 && len(rows) > opts.Limit {
		rows = rows[:opts.Limit]
	}
	return rows
}

func chanRow(st *core.ChanState, d core.ChanSnapshot, depth int, percentiles []float64, elapsed time.Duration) ChanRow {
	s := st.Site()
	row := ChanRow{
		Label:            s.Label,
		Type:             s.Type,
		Capacity:         st.MaxCap(),
		MinCapacity:      st.MinCap(),
		Created:          d.Created(),
		Sent:             d.Sent(),
		Received:         d.Received(),
		Closed:           d.Closed(),
		Depth:            depth,
		MaxDepth:         int(d.MaxDepth()),
		DepthPercentiles: make(map[string]int, len(percentiles)),
		SendBlocked:      blockedStats(d.SendBlocked(), percentiles),
		RecvBlocked:      blockedStats(d.RecvBlocked(), percentiles),
		Site:             s.Site,
	}
	n := row.Sent + row.Received
	for _, p := range percentiles {
		v := uint64(0)
		if n > 0 {
			v = min(d.DepthAtPercentile(p, n), d.MaxDepth())
		}
		row.DepthPercentiles[names.PercentileKey(p)] = int(v)
	}
	if elapsed > 0 {
		row.MsgsPerSec = math.Round(float64(row.Received)/elapsed.Seconds()*100) / 100
	}
	return row
}

func blockedStats(b core.DurationSummary, percentiles []float64) BlockedStats {
	st := BlockedStats{
		Count:       b.Count(),
		TotalNS:     b.Total(),
		MaxNS:       b.Max(),
		Percentiles: make(map[string]int64, len(percentiles)),
	}
	vals := b.Histogram().ValuesAtPercentiles(percentiles)
	for k, p := range percentiles {
		var v int64
		if b.Count() > 0 {
			// The histogram answers with the highest value equivalent to
			// the bucket; never report beyond the extremes.
			v = min(max(vals[k], b.Min()), b.Max())
		}
		st.Percentiles[names.PercentileKey(p)] = v
	}
	return st
}

// writeChanTable writes the channels section of the text report.
func (r *Report) writeChanTable(w io.Writer) {
	title := fmt.Sprintf("[hotpath] channels - Channel summary from %s (Total time: %s)", r.Name, textfmt.Duration(r.ElapsedNS))
	t := texttable.Table{Title: title, Header: []string{
		"Channel", "Type", "Cap", "Sent", "Received", "Closed", "Max depth", "Send blocked", "Recv blocked", "Msgs/s",
	}, TextCols: 2}
	// The blocked columns show the highest percentile asked for.
	p := 0.0
	if len(r.Percentiles) > 0 {
		p = r.Percentiles[len(r.Percentiles)-1]
	}
	for i := range r.Channels {
		c := &r.Channels[i]
		capacity := strconv.Itoa(c.Capacity)
		if c.MinCapacity != c.Capacity {
			capacity = strconv.Itoa(c.MinCapacity) + ".." + capacity
		}
		t.Rows = append(t.Rows, []string{
			c.Label,
			c.Type,
			capacity,
			strconv.FormatUint(c.Sent, 10),
			strconv.FormatUint(c.Received, 10),
			strconv.FormatUint(c.Closed, 10),
			strconv.Itoa(c.MaxDepth),
			c.SendBlocked.cell(p),
			c.RecvBlocked.cell(p),
			formatRate(c.MsgsPerSec),
		})
	}
	t.Write(w)
}

// cell renders blocked operations compactly as "count / total / pNN value".
func (b *BlockedStats) cell(p float64) string {
	if b.Count == 0 {
		return "0"
	}
	s := strconv.FormatUint(b.Count, 10) + " / " + textfmt.Duration(b.TotalNS)
	if v, ok := b.Percentiles[names.PercentileKey(p)]; ok {
		s += " / " + names.PercentileKey(p) + " " + textfmt.Duration(v)
	}
	return s
}

// formatRate renders a rate with two decimals while it is small and as a
// whole number once decimals stop mattering.
func formatRate(r float64) string {
	if r < 100 {
		return strconv.FormatFloat(r, 'f', 2, 64)
	}
	return strconv.FormatFloat(r, 'f', 0, 64)
}

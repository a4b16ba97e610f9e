package hotpath

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"sync/atomic"
	"time"

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

// chanSnapshot is a site's numbers at one instant, merged over its shards.
type chanSnapshot struct {
	chanCounts
	send, recv durationSummary
}

func (st *chanState) snapshot() chanSnapshot {
	var s chanSnapshot
	s.created = st.created.Load()
	s.closed = st.closed.Load()
	s.maxDepth = st.maxDepth.Load()
	var v chanShard
	st.mu.Lock()
	s.depth = st.depth
	for i := range st.shards {
		sh := st.shards[i].Load()
		if sh == nil {
			continue
		}
		sh.read(&v)
		s.maxDepth = max(s.maxDepth, v.maxDepth)
		for j := range v.n {
			e := uint16(v.buf[j/2] >> (16 * (j % 2)))
			s.depth[e>>8&1][e&0xff]++
		}
	}
	st.mu.Unlock()
	st.blockMu.Lock()
	s.send, s.recv = st.send.summary(), st.recv.summary()
	st.blockMu.Unlock()
	return s
}

// read copies sh, consistently, into v (see shard.read).
func (sh *chanShard) read(v *chanShard) {
	for spins := 0; ; waitShard(&spins) {
		s1 := atomic.LoadUint64(&sh.seq)
		if s1&1 == 0 {
			v.maxDepth = atomic.LoadUint64(&sh.maxDepth)
			v.n = atomic.LoadUint64(&sh.n)
			for i := range sh.buf {
				v.buf[i] = atomic.LoadUint32(&sh.buf[i])
			}
			if atomic.LoadUint64(&sh.seq) == s1 {
				v.n = min(v.n, shardBufLen)
				return
			}
		}
	}
}

// ops returns the number of operations of a kind.
func (c *chanCounts) ops(kind int) uint64 {
	var n uint64
	for _, v := range c.depth[kind] {
		n += v
	}
	return n
}

// depthCount returns the number of depth samples in bucket b.
func (c *chanCounts) depthCount(b int) uint64 {
	return c.depth[kindSend][b] + c.depth[kindRecv][b]
}

func (s chanSnapshot) used() bool {
	return s.created > 0 || s.closed > 0 || s.ops(kindSend) > 0 || s.ops(kindRecv) > 0 ||
		s.send.count > 0 || s.recv.count > 0
}

// since returns what happened between base and s. The exact maximum depth
// of a window is known only when no depth was sampled before it; otherwise
// it comes from the window's samples, within their precision.
func (s chanSnapshot) since(base chanSnapshot) chanSnapshot {
	d := chanSnapshot{send: s.send.since(base.send), recv: s.recv.since(base.recv)}
	for k := range d.depth {
		for b := range d.depth[k] {
			d.depth[k][b] = s.depth[k][b] - base.depth[k][b]
		}
	}
	d.created = s.created - base.created
	d.closed = s.closed - base.closed
	if base.ops(kindSend)+base.ops(kindRecv) == 0 {
		d.maxDepth = s.maxDepth
		return d
	}
	for b := depthBuckets - 1; b >= 0; b-- {
		if d.depthCount(b) > 0 {
			d.maxDepth = min(depthBucketHigh(b), s.maxDepth)
			break
		}
	}
	return d
}

// depthAtPercentile returns the depth at or below which p percent of the
// total samples fall: the highest depth of the first bucket that reaches
// that share, as an HDR histogram answers.
func (c *chanCounts) depthAtPercentile(p float64, total uint64) uint64 {
	want := max(uint64(p/100*float64(total)+0.5), 1)
	var seen uint64
	for b := range depthBuckets {
		seen += c.depthCount(b)
		if seen >= want {
			return depthBucketHigh(b)
		}
	}
	return depthBucketHigh(depthBuckets - 1)
}

// chanBaseline snapshots every site in use, for a guard that starts now.
func chanBaseline() map[*ChanSite]chanSnapshot {
	b := map[*ChanSite]chanSnapshot{}
	for _, s := range chanSites.list() {
		if snap := s.state.Load().snapshot(); snap.used() {
			b[s] = snap
		}
	}
	return b
}

// buildChannels returns the rows of the sites used since base, sorted by
// label.
func buildChannels(opts resolved, base baseline, elapsed time.Duration) []ChanRow {
	rows := []ChanRow{}
	var depths map[*chanState]int
	for _, s := range chanSites.list() {
		if !opts.focus(s.Label) {
			continue
		}
		st := s.state.Load()
		d := st.snapshot().since(base.chans[s])
		if !d.used() {
			continue
		}
		if depths == nil {
			depths = liveDepths()
		}
		rows = append(rows, chanRow(st, d, depths[st], opts.Percentiles, elapsed))
	}
	sortChanRows(rows)
	if opts.Limit > 0 && len(rows) > opts.Limit {
		rows = rows[:opts.Limit]
	}
	return rows
}

func chanRow(st *chanState, d chanSnapshot, depth int, percentiles []float64, elapsed time.Duration) ChanRow {
	s := st.site
	row := ChanRow{
		Label:            s.Label,
		Type:             s.Type,
		Capacity:         int(max(st.maxCap.Load(), 0)),
		MinCapacity:      int(max(st.minCap.Load(), 0)),
		Created:          d.created,
		Sent:             d.ops(kindSend),
		Received:         d.ops(kindRecv),
		Closed:           d.closed,
		Depth:            depth,
		MaxDepth:         int(d.maxDepth),
		DepthPercentiles: make(map[string]int, len(percentiles)),
		SendBlocked:      blockedStats(d.send, percentiles),
		RecvBlocked:      blockedStats(d.recv, percentiles),
		Site:             s.Site,
	}
	n := row.Sent + row.Received
	for _, p := range percentiles {
		v := uint64(0)
		if n > 0 {
			v = min(d.depthAtPercentile(p, n), d.maxDepth)
		}
		row.DepthPercentiles[names.PercentileKey(p)] = int(v)
	}
	if elapsed > 0 {
		row.MsgsPerSec = math.Round(float64(row.Received)/elapsed.Seconds()*100) / 100
	}
	return row
}

func blockedStats(b durationSummary, percentiles []float64) BlockedStats {
	st := BlockedStats{
		Count:       b.count,
		TotalNS:     b.total,
		MaxNS:       b.max,
		Percentiles: make(map[string]int64, len(percentiles)),
	}
	vals := b.histogram().valuesAtPercentiles(percentiles)
	for k, p := range percentiles {
		var v int64
		if b.count > 0 {
			// The histogram answers with the highest value equivalent to
			// the bucket; never report beyond the extremes.
			v = min(max(vals[k], b.min), b.max)
		}
		st.Percentiles[names.PercentileKey(p)] = v
	}
	return st
}

// writeChanTable writes the channels section of the text report.
func (r *Report) writeChanTable(w io.Writer) {
	title := fmt.Sprintf("[hotpath] channels - Channel summary from %s (Total time: %s)", r.Name, FormatDuration(r.ElapsedNS))
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
	s := strconv.FormatUint(b.Count, 10) + " / " + FormatDuration(b.TotalNS)
	if v, ok := b.Percentiles[names.PercentileKey(p)]; ok {
		s += " / " + names.PercentileKey(p) + " " + FormatDuration(v)
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

package compare

import (
	"cmp"
	"fmt"

	hotpath "github.com/hotpath-go/hotpath/runtime"
)

// ChanDelta compares one channel make site, keyed by its label.
type ChanDelta struct {
	Label    string  `json:"label"`
	Type     string  `json:"type"`
	Capacity int     `json:"capacity"`
	Verdict  Verdict `json:"verdict"`
	// Base and Head are nil on the side where the channel is missing.
	Base *ChanStats `json:"base,omitempty"`
	Head *ChanStats `json:"head,omitempty"`
	// BlockedChange is the relative change of the blocked time, head/base
	// - 1, when the base blocked at all.
	BlockedChange float64 `json:"blocked_change"`
	// Test is the rank test of the per-run blocked times, when run.
	Test  *UTest   `json:"test,omitempty"`
	Notes []string `json:"notes,omitempty"`
}

// ChanStats is one side of a channel row: medians over the runs in which
// the channel was used.
type ChanStats struct {
	Runs     int     `json:"runs"`
	Sent     float64 `json:"sent"`
	Received float64 `json:"received"`
	// SendBlocked and RecvBlocked count the operations that had to wait.
	SendBlocked float64 `json:"send_blocked"`
	RecvBlocked float64 `json:"recv_blocked"`
	// BlockedNS is the time senders and receivers spent waiting, together.
	BlockedNS  float64 `json:"blocked_ns"`
	MsgsPerSec float64 `json:"msgs_per_sec"`
	// Values holds BlockedNS of each run, the sample the rank test sees.
	Values []float64 `json:"values"`
}

// chanRuns is one channel's rows over the runs of one side.
type chanRuns struct {
	label, typ               string
	capacity                 int
	runs                     int
	sent, received           []float64
	sendBlocked, recvBlocked []float64
	blockedNS, msgsPerSec    []float64
}

func collectChans(reps []*hotpath.Report) keyed[string, *chanRuns] {
	out := keyed[string, *chanRuns]{rows: map[string]*chanRuns{}}
	for _, rep := range reps {
		seen := map[string]bool{}
		for i := range rep.Channels {
			row := &rep.Channels[i]
			if seen[row.Label] {
				continue
			}
			seen[row.Label] = true
			r := out.get(row.Label, func() *chanRuns {
				return &chanRuns{label: row.Label, typ: row.Type, capacity: int(row.Capacity)}
			})
			r.runs++
			r.sent = append(r.sent, float64(row.Sent))
			r.received = append(r.received, float64(row.Received))
			r.sendBlocked = append(r.sendBlocked, float64(row.SendBlocked.Count))
			r.recvBlocked = append(r.recvBlocked, float64(row.RecvBlocked.Count))
			r.blockedNS = append(r.blockedNS, float64(row.SendBlocked.TotalNS)+float64(row.RecvBlocked.TotalNS))
			r.msgsPerSec = append(r.msgsPerSec, float64(row.MsgsPerSec))
		}
	}
	return out
}

func (r *chanRuns) stats() *ChanStats {
	if r == nil {
		return nil
	}
	return &ChanStats{
		Runs:        r.runs,
		Sent:        median(r.sent),
		Received:    median(r.received),
		SendBlocked: median(r.sendBlocked),
		RecvBlocked: median(r.recvBlocked),
		BlockedNS:   median(r.blockedNS),
		MsgsPerSec:  median(r.msgsPerSec),
		Values:      r.blockedNS,
	}
}

// judgeChan marks a channel Changed when its blocked time moved past the
// threshold (and the rank test, when there are runs for it). Counts are
// shown, not judged.
func (c *comparer) judgeChan(g Group, b, h *chanRuns) ChanDelta {
	row := cmp.Or(h, b)
	d := ChanDelta{Label: row.label, Type: row.typ, Capacity: row.capacity, Verdict: Unchanged}
	d.Base, d.Head = b.stats(), h.stats()
	switch {
	case b == nil:
		d.Verdict = New
		return d
	case h == nil:
		d.Verdict = Removed
		return d
	}
	d.BlockedChange, d.Test, d.Verdict = c.judgeWait(g, b.blockedNS, h.blockedNS, d.note)
	return d
}

func (d *ChanDelta) note(format string, args ...any) {
	d.Notes = append(d.Notes, fmt.Sprintf(format, args...))
}

// judgeWait is the rule that channels (blocked time) and mutexes (wait
// time) share. b and h hold the value of each run in which the row was
// used; note records why a row could not be judged normally. The row is
// Changed when the median moved past the threshold, or from 0 to more,
// and, with runs enough on both sides, the rank test agrees.
func (c *comparer) judgeWait(g Group, b, h []float64, note func(string, ...any)) (change float64, test *UTest, v Verdict) {
	if n := g.BaseRuns; len(b) < n {
		note("used in %d of %d base runs", len(b), n)
	}
	if n := g.HeadRuns; len(h) < n {
		note("used in %d of %d head runs", len(h), n)
	}
	mb, mh := median(b), median(h)
	if mb > 0 {
		change = mh/mb - 1
	}
	significant := true
	if g.Tested {
		if len(b) < 2 || len(h) < 2 {
			note("too few runs to test")
			return change, nil, Unchanged
		}
		t := MannWhitney(b, h)
		test = &t
		significant = t.P < c.opts.Alpha
	}
	moved := c.past(abs(change)) || (mb == 0 && mh > 0)
	if significant && moved {
		return change, test, Changed
	}
	return change, test, Unchanged
}

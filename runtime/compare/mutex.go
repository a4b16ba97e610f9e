package compare

import (
	"cmp"
	"fmt"

	hotpath "github.com/hotpath-go/hotpath/runtime"
)

// MutexDelta compares one //hotpath:mutex variable or field, keyed by its
// label.
type MutexDelta struct {
	Label string `json:"label"`
	// Type is "sync.Mutex" or "sync.RWMutex", the head's when both sides
	// have the mutex (a change of type is noted).
	Type    string  `json:"type"`
	Verdict Verdict `json:"verdict"`
	// Base and Head are nil on the side where the mutex is missing.
	Base *MutexStats `json:"base,omitempty"`
	Head *MutexStats `json:"head,omitempty"`
	// WaitChange is the relative change of the wait time, head/base - 1,
	// when the base waited at all.
	WaitChange float64 `json:"wait_change"`
	// Test is the rank test of the per-run wait times, when run.
	Test  *UTest   `json:"test,omitempty"`
	Notes []string `json:"notes,omitempty"`
}

// MutexStats is one side of a mutex row: medians over the runs in which
// the mutex was locked. Write and read locks of a sync.RWMutex are added
// up, except in Locks and RLocks.
type MutexStats struct {
	Runs int `json:"runs"`
	// Locks and RLocks count the write and the read acquisitions (RLocks
	// is 0 for a sync.Mutex).
	Locks  float64 `json:"locks"`
	RLocks float64 `json:"rlocks"`
	// Contended counts the acquisitions, of either mode, that had to wait.
	Contended float64 `json:"contended"`
	// WaitNS is the time the contended acquisitions waited, together.
	WaitNS float64 `json:"wait_ns"`
	// HoldNS is the time the mutex was held: write holds plus read-held
	// periods (hotpath.MutexStats.Hold), which never overlap.
	HoldNS float64 `json:"hold_ns"`
	// Values holds WaitNS of each run, the sample the rank test sees.
	Values []float64 `json:"values"`
}

// mutexRuns is one mutex's rows over the runs of one side.
type mutexRuns struct {
	label, typ            string
	runs                  int
	locks, rlocks         []float64
	contended, wait, hold []float64
}

func collectMutexes(reps []*hotpath.Report) keyed[string, *mutexRuns] {
	out := keyed[string, *mutexRuns]{rows: map[string]*mutexRuns{}}
	for _, rep := range reps {
		seen := map[string]bool{}
		for i := range rep.Mutexes {
			row := &rep.Mutexes[i]
			if seen[row.Label] {
				continue
			}
			seen[row.Label] = true
			r := out.get(row.Label, func() *mutexRuns { return &mutexRuns{label: row.Label, typ: row.Type} })
			r.add(row)
		}
	}
	return out
}

func (r *mutexRuns) add(row *hotpath.MutexRow) {
	r.runs++
	l := &row.Lock
	var rl hotpath.MutexStats
	if row.RLock != nil {
		rl = *row.RLock
	}
	r.locks = append(r.locks, float64(l.Acquisitions))
	r.rlocks = append(r.rlocks, float64(rl.Acquisitions))
	r.contended = append(r.contended, float64(l.Contended)+float64(rl.Contended))
	r.wait = append(r.wait, float64(l.Wait.TotalNS)+float64(rl.Wait.TotalNS))
	r.hold = append(r.hold, float64(l.Hold.TotalNS)+float64(rl.Hold.TotalNS))
}

func (r *mutexRuns) stats() *MutexStats {
	if r == nil {
		return nil
	}
	return &MutexStats{
		Runs:      r.runs,
		Locks:     median(r.locks),
		RLocks:    median(r.rlocks),
		Contended: median(r.contended),
		WaitNS:    median(r.wait),
		HoldNS:    median(r.hold),
		Values:    r.wait,
	}
}

// judgeMutex marks a mutex Changed when its wait time, the contention,
// moved past the threshold (and the rank test, when there are runs for
// it), as a channel's blocked time does. Acquisitions and hold time are
// shown, not judged: they follow the work done, and a longer hold that
// matters shows as more waiting or in the functions that hold the lock.
func (c *comparer) judgeMutex(g Group, b, h *mutexRuns) MutexDelta {
	row := cmp.Or(h, b)
	d := MutexDelta{Label: row.label, Type: row.typ, Verdict: Unchanged}
	d.Base, d.Head = b.stats(), h.stats()
	switch {
	case b == nil:
		d.Verdict = New
		return d
	case h == nil:
		d.Verdict = Removed
		return d
	}
	if b.typ != h.typ {
		d.note("type %s in base, %s in head", b.typ, h.typ)
	}
	d.WaitChange, d.Test, d.Verdict = c.judgeWait(g, b.wait, h.wait, d.note)
	return d
}

func (d *MutexDelta) note(format string, args ...any) {
	d.Notes = append(d.Notes, fmt.Sprintf(format, args...))
}

func (d *MutexDelta) verdictText() string {
	if d.Verdict == Unchanged {
		return "~"
	}
	return string(d.Verdict)
}

package hotpath

import (
	"fmt"
	"io"
	"strconv"

	"github.com/hotpath-go/hotpath/internal/textfmt"
	"github.com/hotpath-go/hotpath/runtime/internal/core"
	"github.com/hotpath-go/hotpath/runtime/internal/names"
	"github.com/hotpath-go/hotpath/runtime/internal/texttable"
)

// MutexRow is one //hotpath:mutex variable or struct field: every mutex
// declared there, over the guard's window.
type MutexRow struct {
	// Label is label=NAME from the directive, or the variable or field as
	// pkg.mu or pkg.T.mu.
	Label string `json:"label"`
	// Type is "sync.Mutex" or "sync.RWMutex".
	Type string `json:"type"`
	// Lock describes the write locks: Lock and successful TryLock calls,
	// which for a sync.Mutex are all of its acquisitions.
	Lock MutexStats `json:"lock"`
	// RLock describes the read locks of a sync.RWMutex (RLock and
	// successful TryRLock calls); it is absent for a sync.Mutex.
	RLock *MutexStats `json:"rlock,omitempty"`
	// Site is the declaration's position: import path, file and line.
	Site string `json:"site"`
}

// MutexStats are the acquisitions of one mode (write or read) of a
// site's mutexes.
type MutexStats struct {
	// Acquisitions counts the locks taken; a TryLock that fails takes none.
	Acquisitions uint64 `json:"acquisitions"`
	// Contended counts the acquisitions that could not take the lock at
	// once and waited for it.
	Contended uint64 `json:"contended"`
	// Wait times the contended acquisitions, from the call to the lock
	// taken (Count equals Contended).
	Wait BlockedStats `json:"wait"`
	// Hold times the holds released in the window. For write locks, each
	// is one acquisition to its Unlock. For read locks, each is a
	// read-held period: from a reader taking the lock while no reader held
	// it to the last reader releasing it, however many readers came and
	// went meanwhile (RUnlock does not say which reader leaves, so
	// per-reader times are not known; see docs/JSON.md).
	Hold BlockedStats `json:"hold"`
}

// Mutex returns the mutex row labelled label, or nil.
func (r *Report) Mutex(label string) *MutexRow {
	for i := range r.Mutexes {
		if r.Mutexes[i].Label == label {
			return &r.Mutexes[i]
		}
	}
	return nil
}

// mutexBaseline snapshots every site in use, for a guard that starts now.
func mutexBaseline() map[*core.MutexSite]core.MutexSnapshot {
	b := map[*core.MutexSite]core.MutexSnapshot{}
	for _, s := range core.MutexSites() {
		if snap := s.State().Snapshot(); snap.Used() {
			b[s] = snap
		}
	}
	return b
}

// buildMutexes returns the rows of the sites used since base, sorted by
// label.
func buildMutexes(opts resolved, base map[*core.MutexSite]core.MutexSnapshot) []MutexRow {
	return mutexRows(opts, mutexBaseline(), base)
}

// mutexRows returns the rows of the sites whose numbers changed between
// base and cur, sorted by label.
func mutexRows(opts resolved, cur, base map[*core.MutexSite]core.MutexSnapshot) []MutexRow {
	rows := []MutexRow{}
	for s, snap := range cur {
		if !opts.focus(s.Label) {
			continue
		}
		d := snap.Since(base[s])
		if !d.Used() {
			continue
		}
		rows = append(rows, mutexRow(s, d, opts.Percentiles))
	}
	sortSiteRows(rows, mutexKey)
	if opts.Limit > 0 && len(rows) > opts.Limit {
		rows = rows[:opts.Limit]
	}
	return rows
}

// mutexes returns the mutex sites of s; a nil s is the process start, when
// nothing was locked.
func (s *Snapshot) mutexes() map[*core.MutexSite]core.MutexSnapshot {
	if s == nil {
		return nil
	}
	return s.mutex
}

func mutexRow(s *core.MutexSite, d core.MutexSnapshot, percentiles []float64) MutexRow {
	row := MutexRow{Label: s.Label, Type: s.Type, Site: s.Site, Lock: mutexStats(d, core.ModeLock, percentiles)}
	if s.Type == "sync.RWMutex" {
		r := mutexStats(d, core.ModeRLock, percentiles)
		row.RLock = &r
	}
	return row
}

func mutexStats(d core.MutexSnapshot, mode int, percentiles []float64) MutexStats {
	return MutexStats{
		Acquisitions: d.Acquisitions(mode),
		Contended:    d.Contended(mode),
		Wait:         blockedStats(d.Wait(mode), percentiles),
		Hold:         blockedStats(d.Hold(mode), percentiles),
	}
}

// writeMutexTable writes the mutexes section of the text report: a line
// per site and mode (a sync.RWMutex has a "lock" and an "rlock" line).
func (r *Report) writeMutexTable(w io.Writer) {
	title := fmt.Sprintf("[hotpath] mutexes - Lock summary from %s (Total time: %s)", r.Name, textfmt.Duration(r.ElapsedNS))
	header := []string{"Mutex", "Type", "Mode", "Acquired", "Contended", "Wait"}
	for _, p := range r.Percentiles {
		header = append(header, "Hold "+percentileTitle(p))
	}
	header = append(header, "Hold max", "Hold total")
	t := texttable.Table{Title: title, Header: header, TextCols: 3}
	// The wait column shows the highest percentile asked for.
	p := 0.0
	if len(r.Percentiles) > 0 {
		p = r.Percentiles[len(r.Percentiles)-1]
	}
	line := func(m *MutexRow, mode string, s *MutexStats) {
		row := []string{m.Label, m.Type, mode,
			strconv.FormatUint(s.Acquisitions, 10),
			strconv.FormatUint(s.Contended, 10),
			s.Wait.cell(p),
		}
		for _, q := range r.Percentiles {
			row = append(row, textfmt.Duration(s.Hold.Percentiles[names.PercentileKey(q)]))
		}
		row = append(row, textfmt.Duration(s.Hold.MaxNS), textfmt.Duration(s.Hold.TotalNS))
		t.Rows = append(t.Rows, row)
	}
	for i := range r.Mutexes {
		m := &r.Mutexes[i]
		line(m, "lock", &m.Lock)
		if m.RLock != nil {
			line(m, "rlock", m.RLock)
		}
	}
	t.Write(w)
}

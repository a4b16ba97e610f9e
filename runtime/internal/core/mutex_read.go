package core

// What package hotpath reads of the mutex sites to build reports and
// snapshots. Nothing here is called on the hot path.

// The modes of acquisition, as MutexSnapshot's accessors take them.
const (
	ModeLock  = modeLock
	ModeRLock = modeRLock
)

// MutexSites returns every MutexSite that has been locked.
func MutexSites() []*MutexSite { return mutexSites.list() }

// State returns s's numbers, nil until s is first locked.
func (s *MutexSite) State() *MutexState { return s.state.Load() }

// Snapshot returns the site's numbers now.
func (st *MutexState) Snapshot() MutexSnapshot { return st.snapshot() }

// MutexSnapshot is a site's numbers at one instant, per mode.
type MutexSnapshot struct {
	held, wait [2]FuncSnapshot
}

func (st *MutexState) snapshot() MutexSnapshot {
	var s MutexSnapshot
	for m := range s.held {
		s.held[m] = st.held[m].snapshot()
		s.wait[m] = st.wait[m].snapshot()
	}
	return s
}

// Used reports whether anything was recorded.
func (s MutexSnapshot) Used() bool {
	for m := range s.held {
		if s.held[m].calls > 0 || s.held[m].count > 0 || s.wait[m].calls > 0 {
			return true
		}
	}
	return false
}

// Since returns what happened between base and s.
func (s MutexSnapshot) Since(base MutexSnapshot) MutexSnapshot {
	var d MutexSnapshot
	for m := range s.held {
		d.held[m] = s.held[m].since(base.held[m])
		d.wait[m] = s.wait[m].since(base.wait[m])
	}
	return d
}

// Acquisitions returns the locks taken in a mode.
func (s MutexSnapshot) Acquisitions(mode int) uint64 { return s.held[mode].calls }

// Contended returns the acquisitions of a mode that waited.
func (s MutexSnapshot) Contended(mode int) uint64 { return s.wait[mode].calls }

// Wait returns the waits of the contended acquisitions of a mode.
func (s MutexSnapshot) Wait(mode int) DurationSummary { return s.wait[mode].DurationSummary }

// Hold returns the hold times of a mode: write holds, or read-held periods.
func (s MutexSnapshot) Hold(mode int) DurationSummary { return s.held[mode].DurationSummary }

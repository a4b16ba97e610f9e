package hotpathimpl

import (
	"sync"

	"github.com/hotpath-go/hotpath/runtime/internal/core"
)

// MutexSite is one variable or struct field under a //hotpath:mutex
// directive; generated code declares one per directive as a package-level
// composite literal.
type MutexSite = core.MutexSite

// MutexLock performs m.Lock(), counted and timed at site s.
func MutexLock(s *MutexSite, m *sync.Mutex) { core.MutexLock(s, m) }

// MutexTryLock performs m.TryLock(); a successful try is counted.
func MutexTryLock(s *MutexSite, m *sync.Mutex) bool { return core.MutexTryLock(s, m) }

// MutexUnlock performs m.Unlock() and records the hold.
func MutexUnlock(s *MutexSite, m *sync.Mutex) { core.MutexUnlock(s, m) }

// RWMutexLock performs m.Lock() on a sync.RWMutex, counted and timed.
func RWMutexLock(s *MutexSite, m *sync.RWMutex) { core.RWMutexLock(s, m) }

// RWMutexTryLock performs m.TryLock(); a successful try is counted.
func RWMutexTryLock(s *MutexSite, m *sync.RWMutex) bool { return core.RWMutexTryLock(s, m) }

// RWMutexUnlock performs m.Unlock() and records the hold.
func RWMutexUnlock(s *MutexSite, m *sync.RWMutex) { core.RWMutexUnlock(s, m) }

// RWMutexRLock performs m.RLock(), counted and timed as a read.
func RWMutexRLock(s *MutexSite, m *sync.RWMutex) { core.RWMutexRLock(s, m) }

// RWMutexTryRLock performs m.TryRLock(); a successful try is counted.
func RWMutexTryRLock(s *MutexSite, m *sync.RWMutex) bool { return core.RWMutexTryRLock(s, m) }

// RWMutexRUnlock performs m.RUnlock(); the last reader out records the
// read-held period.
func RWMutexRUnlock(s *MutexSite, m *sync.RWMutex) { core.RWMutexRUnlock(s, m) }

// RWMutexRLocker returns m.RLocker(), counted: its Lock and Unlock are
// RWMutexRLock and RWMutexRUnlock.
func RWMutexRLocker(s *MutexSite, m *sync.RWMutex) sync.Locker { return core.RWMutexRLocker(s, m) }

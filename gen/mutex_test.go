package gen

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// mutexBadCases are //hotpath:mutex directives hotpathgen must refuse,
// with the exact errors.
var mutexBadCases = []badCase{
	{
		name: "mutexwhere",
		files: `
-- where.go --
package mutexwhere

import "sync"

type T struct {
	//hotpath:mutex
	n int
	//hotpath:mutex
	p *sync.Mutex
	//hotpath:mutex
	a, b sync.Mutex
	//hotpath:mutex
	*sync.RWMutex
}

//hotpath:mutex
var wg sync.WaitGroup

//hotpath:mutex
var (
	x sync.Mutex
)

//hotpath:mutex
func F() {}

func G() {
	//hotpath:mutex
	x.Lock()
	x.Unlock()
}
`,
		want: `
mutexwhere/where.go:6:2: //hotpath:mutex: n has type int; the directive watches a sync.Mutex or sync.RWMutex
mutexwhere/where.go:8:2: //hotpath:mutex: p is a pointer (*sync.Mutex); watch the mutex where it is declared, not a pointer to it
mutexwhere/where.go:10:2: //hotpath:mutex on a field list that declares 2 fields: declare the watched mutex on a line of its own
mutexwhere/where.go:12:2: //hotpath:mutex on an embedded pointer to a mutex: watch the mutex where it is declared, not a pointer to it
mutexwhere/where.go:16:1: //hotpath:mutex: wg has type sync.WaitGroup; the directive watches a sync.Mutex or sync.RWMutex
mutexwhere/where.go:19:1: //hotpath:mutex on a var block: put the directive on the line before the one variable it watches, inside the block
mutexwhere/where.go:24:1: //hotpath:mutex must be on the line before a sync.Mutex or sync.RWMutex variable (var mu sync.Mutex) or struct field (mu sync.RWMutex)
mutexwhere/where.go:28:2: //hotpath:mutex must be on the line before a sync.Mutex or sync.RWMutex variable (var mu sync.Mutex) or struct field (mu sync.RWMutex)
`,
	},
	{
		name: "mutexuse",
		files: `
-- use.go --
package mutexuse

import "sync"

type S struct {
	//hotpath:mutex
	mu sync.Mutex
}

func (s *S) Cond() *sync.Cond { return sync.NewCond(&s.mu) }

func (s *S) Locker() sync.Locker { return &s.mu }

func (s *S) Value() func() { return s.mu.Lock }

func (s *S) Copy() sync.Mutex { return (s.mu) }

func (s *S) Fine() {
	s.mu.Lock()
	defer s.mu.Unlock()
}

type C struct {
	//hotpath:mutex
	sync.Mutex
}

func (c *C) Promoted() {
	c.Lock()
	c.Mutex.Unlock()
}
`,
		want: `
mutexuse/use.go:10:56: taking the address of watched mutex example.com/bad/mutexuse.S.mu (//hotpath:mutex at use.go:6:2): hotpathgen counts the calls of its methods made on it by name, so the lock operations done through it could not be counted; lock it by name (mu.Lock()), or remove the directive
mutexuse/use.go:12:46: taking the address of watched mutex example.com/bad/mutexuse.S.mu (//hotpath:mutex at use.go:6:2): hotpathgen counts the calls of its methods made on it by name, so the lock operations done through it could not be counted; lock it by name (mu.Lock()), or remove the directive
mutexuse/use.go:14:39: a method value or expression of watched mutex example.com/bad/mutexuse.S.mu (//hotpath:mutex at use.go:6:2): hotpathgen counts the calls of its methods made on it by name, so the lock operations done through it could not be counted; lock it by name (mu.Lock()), or remove the directive
mutexuse/use.go:16:43: a copy of watched mutex example.com/bad/mutexuse.S.mu (//hotpath:mutex at use.go:6:2): hotpathgen counts the calls of its methods made on it by name, so the lock operations done through it could not be counted; lock it by name (mu.Lock()), or remove the directive
mutexuse/use.go:29:2: c.Lock() calls the method promoted from the watched embedded mutex example.com/bad/mutexuse.C.Mutex; name the mutex in the call, c.Mutex.Lock(), so that hotpathgen can count it
`,
	},
}

// TestMutexBadInput: every misplaced or misused //hotpath:mutex is an
// error at its file:line:col, and nothing is written.
func TestMutexBadInput(t *testing.T) {
	dir := t.TempDir()
	writeBadModule(t, dir, mutexBadCases)
	before := snapshotTree(t, dir)
	res, err := Run(Config{Dir: dir, Patterns: []string{"./..."}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSuffix(relErrors(dir, res.Errors), "\n"), "\n") {
		name, _, _ := strings.Cut(line, "/")
		got[name] = append(got[name], line)
	}
	for _, c := range mutexBadCases {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(strings.TrimSpace(c.want), strings.Join(got[c.name], "\n")); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
		delete(got, c.name)
	}
	for name, lines := range got {
		t.Errorf("errors outside the cases (%s): %q", name, lines)
	}
	if len(res.Changes) != 0 || len(res.Twins) != 0 {
		t.Errorf("a run with errors planned %d changes and %d twins", len(res.Changes), len(res.Twins))
	}
	if diff := cmp.Diff(before, snapshotTree(t, dir)); diff != "" {
		t.Errorf("files changed although generate failed:\n%s", diff)
	}
}

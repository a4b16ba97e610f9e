package hotpath

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hotpath-go/hotpath/runtime/internal/core"
)

func TestMutexReport(t *testing.T) {
	for _, env := range []string{"HOTPATH_FOCUS", "HOTPATH_LIMIT", "HOTPATH_PERCENTILES", "HOTPATH_FORMAT", "HOTPATH_OUTPUT"} {
		t.Setenv(env, "")
	}
	const prefix = "store."
	plain := &core.MutexSite{Label: prefix + "Store.mu", Type: "sync.Mutex", Site: "example.com/p/store.go:12"}
	rw := &core.MutexSite{Label: prefix + "cache", Type: "sync.RWMutex", Site: "example.com/p/store.go:20"}
	idle := &core.MutexSite{Label: prefix + "idle", Type: "sync.Mutex", Site: "example.com/p/store.go:30"}
	var a, b sync.Mutex
	var c sync.RWMutex
	core.MutexLock(idle, &a) // before the guard: not in its window
	core.MutexUnlock(idle, &a)
	core.MutexLock(plain, &a) // held across the guard's start: counted before it
	g := Start(Options{Name: "store", Format: FormatNone, Focus: prefix, Percentiles: []float64{50, 99}})
	core.MutexUnlock(plain, &a) // a hold released in the window
	for range 3 {
		core.MutexLock(plain, &b)
		core.MutexUnlock(plain, &b)
	}
	core.RWMutexRLock(rw, &c)
	core.RWMutexRUnlock(rw, &c)
	if err := g.Stop(); err != nil {
		t.Fatal(err)
	}
	rep := g.Report()
	if len(rep.Mutexes) != 2 {
		t.Fatalf("mutex rows: %+v", rep.Mutexes)
	}
	p, r := rep.Mutex(prefix+"Store.mu"), rep.Mutex(prefix+"cache")
	if p != &rep.Mutexes[0] || r != &rep.Mutexes[1] || rep.Mutex(prefix+"idle") != nil {
		t.Fatalf("rows not found by label, or not sorted: %+v", rep.Mutexes)
	}
	if p.Type != "sync.Mutex" || p.Site != "example.com/p/store.go:12" || p.RLock != nil {
		t.Errorf("plain row: %+v", p)
	}
	if p.Lock.Acquisitions != 3 || p.Lock.Hold.Count != 4 || p.Lock.Contended != 0 || p.Lock.Wait.Count != 0 {
		t.Errorf("plain lock stats: %+v", p.Lock)
	}
	if r.RLock == nil || r.RLock.Acquisitions != 1 || r.RLock.Hold.Count != 1 || r.Lock.Acquisitions != 0 {
		t.Errorf("rw row: %+v, rlock %+v", r, r.RLock)
	}
	for _, h := range []BlockedStats{p.Lock.Hold, r.RLock.Hold} {
		if h.MaxNS <= 0 || h.TotalNS < h.MaxNS || h.Percentiles["p99"] != h.MaxNS || h.Percentiles["p50"] > h.MaxNS {
			t.Errorf("hold stats: %+v", h)
		}
	}

	var buf bytes.Buffer
	if err := rep.Write(&buf, FormatJSON); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Mutexes []map[string]any `json:"mutexes"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]any) []string {
		var k []string
		for s := range m {
			k = append(k, s)
		}
		slices.Sort(k)
		return k
	}
	if diff := cmp.Diff([]string{"label", "lock", "site", "type"}, keys(doc.Mutexes[0])); diff != "" {
		t.Errorf("JSON keys of a sync.Mutex row (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"label", "lock", "rlock", "site", "type"}, keys(doc.Mutexes[1])); diff != "" {
		t.Errorf("JSON keys of a sync.RWMutex row (-want +got):\n%s", diff)
	}
	lock := doc.Mutexes[0]["lock"].(map[string]any)
	if diff := cmp.Diff([]string{"acquisitions", "contended", "hold", "wait"}, keys(lock)); diff != "" {
		t.Errorf("JSON keys of lock stats (-want +got):\n%s", diff)
	}
	if lock["acquisitions"] != 3.0 || lock["hold"].(map[string]any)["count"] != 4.0 {
		t.Errorf("lock stats in JSON: %v", lock)
	}
	back, err := ReadReport(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rep.Mutexes, back.Mutexes); diff != "" {
		t.Errorf("JSON round trip (-before +after):\n%s", diff)
	}

	buf.Reset()
	if err := rep.Write(&buf, FormatTable); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	i := strings.Index(out, "[hotpath] mutexes - Lock summary from store")
	if i < 0 {
		t.Fatalf("no mutexes section in:\n%s", out)
	}
	lines := strings.Split(out[i:], "\n")
	wantCells := [][]string{
		{"Mutex", "Type", "Mode", "Acquired", "Contended", "Wait", "Hold P50", "Hold P99", "Hold max", "Hold total"},
		{"store.Store.mu", "sync.Mutex", "lock", "3", "0", "0"},
		{"store.cache", "sync.RWMutex", "lock", "0", "0", "0", "0ns", "0ns", "0ns", "0ns"},
		{"store.cache", "sync.RWMutex", "rlock", "1", "0", "0"},
	}
	var got [][]string
	for _, l := range lines {
		if !strings.HasPrefix(l, "|") {
			continue
		}
		var cells []string
		for _, c := range strings.Split(strings.Trim(l, "|"), "|") {
			cells = append(cells, strings.TrimSpace(c))
		}
		got = append(got, cells)
	}
	if len(got) != len(wantCells) {
		t.Fatalf("table rows:\n%s", out[i:])
	}
	for k, want := range wantCells {
		if diff := cmp.Diff(want, got[k][:len(want)]); diff != "" {
			t.Errorf("table row %d (-want +got):\n%s\n%s", k, diff, out[i:])
		}
	}

	// Focus and limit apply to mutex rows as to functions.
	opts, err := resolveOptions(Options{Focus: prefix, Limit: 1}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if rows := buildMutexes(opts, nil); len(rows) != 1 || rows[0].Label != prefix+"Store.mu" {
		t.Errorf("limit 1: rows %+v", rows)
	}
}

// TestMutexSnapshotReport reads mutex rows between two snapshots, as the
// live view and the exporters do.
func TestMutexSnapshotReport(t *testing.T) {
	site := &core.MutexSite{Label: t.Name(), Type: "sync.RWMutex", Site: "example.com/p/snap.go:1"}
	var mu sync.RWMutex
	core.RWMutexLock(site, &mu)
	core.RWMutexUnlock(site, &mu)
	a := TakeSnapshot()
	for range 5 {
		core.RWMutexRLock(site, &mu)
		core.RWMutexRUnlock(site, &mu)
	}
	b := TakeSnapshot()
	opts := Options{Focus: site.Label}
	rows := b.Report(a, opts).Mutexes
	if len(rows) != 1 || rows[0].Lock.Acquisitions != 0 || rows[0].RLock.Acquisitions != 5 || rows[0].RLock.Hold.Count != 5 {
		t.Errorf("rows between snapshots: %+v", rows)
	}
	rows = b.Report(nil, opts).Mutexes
	if len(rows) != 1 || rows[0].Lock.Acquisitions != 1 || rows[0].RLock.Acquisitions != 5 {
		t.Errorf("rows since the process start: %+v", rows)
	}
	if rows := b.Report(b, opts).Mutexes; len(rows) != 0 {
		t.Errorf("rows of an empty window: %+v", rows)
	}
}

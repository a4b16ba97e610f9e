package hotpath

import (
	"math/rand/v2"
	"testing"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/hotpath-go/hotpath/runtime/internal/core"
)

// TestSnapshotWindows checks that two snapshots give exactly the calls and
// channel operations made between them, and that a nil base means the
// process start.
func TestSnapshotWindows(t *testing.T) {
	// A name of its own per run: Funcs of earlier -count runs stay registered.
	site := newSite(t, "chan int")
	f := &core.Func{Name: "example.com/p.snapshotWindows" + site.Label, File: "p.go", Line: 7}
	ch := core.Track(site, make(chan int, 4))

	for range 3 {
		f.Begin().End()
	}
	core.Send(ch, 1)
	first := TakeSnapshot()
	for range 5 {
		f.Begin().End()
	}
	core.Send(ch, 2)
	core.Recv(ch)
	second := TakeSnapshot()

	if second.Time().Before(first.Time()) {
		t.Fatalf("snapshot times go backwards: %v then %v", first.Time(), second.Time())
	}
	calls := func(fs []FuncStats) uint64 {
		for _, s := range fs {
			if s.Name == f.Name {
				return s.Calls
			}
		}
		return 0
	}
	if got := calls(first.Funcs(nil)); got != 3 {
		t.Errorf("calls since process start at first snapshot = %d, want 3", got)
	}
	if got := calls(second.Funcs(first)); got != 5 {
		t.Errorf("calls between snapshots = %d, want 5", got)
	}
	if got := calls(second.Funcs(second)); got != 0 {
		t.Errorf("calls in an empty window = %d, want 0", got)
	}
	for _, s := range second.Funcs(first) {
		if s.Name != f.Name {
			continue
		}
		if s.File != "p.go" || s.Line != 7 || s.Kind != "func" || s.Timed != 5 {
			t.Errorf("stats = %+v, want p.go:7, func, 5 timed", s)
		}
		if n := s.Durations.Count(); n != 5 {
			t.Errorf("histogram count = %d, want 5", n)
		}
	}

	var cs *ChanStats
	stats := second.Chans(first)
	for i := range stats {
		if stats[i].Label == site.Label {
			cs = &stats[i]
		}
	}
	if cs == nil {
		t.Fatalf("site %s missing from %+v", site.Label, stats)
	}
	if cs.Sent != 1 || cs.Received != 1 || cs.Capacity != 4 || cs.Type != "chan int" {
		t.Errorf("chan stats = %+v, want 1 sent, 1 received, cap 4", *cs)
	}

	rep := second.Report(first, Options{Name: "window", Focus: f.Name})
	row := rep.Func(f.Name)
	if row == nil || row.Calls != 5 || len(rep.Functions) != 1 {
		t.Fatalf("report rows = %+v, want one row of 5 calls", rep.Functions)
	}
	if rep.Name != "window" || rep.ElapsedNS != second.Time().Sub(first.Time()).Nanoseconds() {
		t.Errorf("report name %q elapsed %d, want window and the snapshots' distance", rep.Name, rep.ElapsedNS)
	}
	if len(rep.Percentiles) != 3 {
		t.Errorf("percentiles = %v, want the defaults", rep.Percentiles)
	}
}

// TestHistogramBuckets checks the public histogram against the recorder:
// every value lands in the bucket whose range holds it, bucket counts add
// up, and quantiles agree with the report's percentiles.
func TestHistogramBuckets(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const highest = 3600e9 // the histograms' top: 1 h
	values := []int64{1, 2, 2047, 2048, 2049, 4095, 4096, 1e6, 123456789, highest}
	for range 2000 {
		values = append(values, 1+rng.Int64N(int64(1e10)))
	}
	f := &core.Func{Name: "example.com/p.histogramBuckets" + t.Name()}
	lib := hdr.New(1, highest, 3)
	for _, v := range values {
		core.RecordDuration(f, v)
		_ = lib.RecordValue(min(v, highest))
	}
	s := f.State().Snapshot()
	h := Histogram{w: s.Histogram()}
	var n uint64
	prev := int64(-1)
	for b := range h.Buckets() {
		if b.Low <= prev || b.High < b.Low || b.Count == 0 {
			t.Fatalf("bucket %+v after %d", b, prev)
		}
		prev = b.High
		n += b.Count
	}
	if n != uint64(len(values)) || h.Count() != n {
		t.Fatalf("buckets hold %d values, Count %d, want %d", n, h.Count(), len(values))
	}
	if got, want := h.ValueAtQuantile(50), lib.ValueAtQuantile(50); got != want {
		t.Errorf("p50 = %d, want %d", got, want)
	}
	if (Histogram{}).ValueAtQuantile(99) != 0 || (Histogram{}).Count() != 0 {
		t.Error("the zero histogram is not empty")
	}
}

package hotpath_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/pprof/profile"

	hotpath "github.com/hotpath-go/hotpath/runtime"
)

// TestPprofAllocMode writes an allocation-mode guard's report as a pprof
// profile: alloc_space and alloc_objects carry each function's inclusive
// allocations, exactly (the sizes are size classes).
func TestPprofAllocMode(t *testing.T) {
	for _, v := range []string{"HOTPATH_FORMAT", "HOTPATH_OUTPUT", "HOTPATH_FOCUS", "HOTPATH_LIMIT", "HOTPATH_ALLOC",
		"HOTPATH_SAMPLE", "HOTPATH_PERCENTILES"} {
		t.Setenv(v, "")
	}
	out := filepath.Join(t.TempDir(), "alloc.pb.gz")
	const n = 5
	g := hotpath.Start(hotpath.Options{Name: t.Name(), Alloc: true, Format: hotpath.FormatPprof, Output: out,
		Focus: "alloctest."})
	allocOuter(n)
	if err := g.Stop(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CheckValid(); err != nil {
		t.Fatal(err)
	}
	idx := map[string]int{}
	for i, st := range p.SampleType {
		idx[st.Type] = i
	}
	got := map[string][2]int64{}
	for _, s := range p.Sample {
		name := s.Location[0].Line[0].Function.Name
		got[name] = [2]int64{s.Value[idx["alloc_objects"]], s.Value[idx["alloc_space"]]}
	}
	want := map[string][2]int64{
		fnOuter.Name: {2 * n, n * (outerSize + innerSize)},
		fnInner.Name: {n, n * innerSize},
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: alloc_objects, alloc_space = %v, want %v", name, got[name], w)
		}
	}
}

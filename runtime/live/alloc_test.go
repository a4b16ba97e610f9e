package live_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"testing"

	hotpath "github.com/hotpath-go/hotpath/runtime"
	"github.com/hotpath-go/hotpath/runtime/hotpathimpl"
	"github.com/hotpath-go/hotpath/runtime/live"
)

var fnAlloc = hotpathimpl.Func{Name: "livetest.alloc", Symbol: "github.com/hotpath-go/hotpath/runtime/live_test.liveAllocate", File: "alloc_test.go", Line: 18}

var allocSink []byte

//go:noinline
func liveAllocate() {
	defer fnAlloc.Begin().End()
	allocSink = make([]byte, 64<<10)
}

// TestAllocations: while a guard in allocation mode is alive, the status
// says so and events carry its window's allocations per function.
func TestAllocations(t *testing.T) {
	srv := newServer(t)
	g := hotpath.Start(hotpath.Options{Name: "alloc", Format: hotpath.FormatNone, Alloc: true})
	defer g.Stop()
	for range 10 {
		liveAllocate()
	}
	var st live.Status
	_, body := get(t, srv.URL+"/debug/hotpath/status")
	if err := json.Unmarshal([]byte(body), &st); err != nil || !st.Alloc {
		t.Errorf("status in allocation mode: %s (%v)", body, err)
	}
	resp, err := http.Get(srv.URL + "/debug/hotpath/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	ev := readEvent(t, bufio.NewReader(resp.Body))
	if !ev.Alloc {
		t.Fatal("event: alloc false with an allocation-mode guard alive")
	}
	var row *live.Alloc
	for i := range ev.Allocations {
		if ev.Allocations[i].Name == "livetest.alloc" {
			row = &ev.Allocations[i]
		}
	}
	if row == nil || row.Calls != 10 || row.AllocBytes < 10*64<<10 || row.AllocObjects < 10 || row.SelfAllocBytes < 10*64<<10 {
		t.Errorf("allocation row: %+v, want 10 calls and at least 10 objects of 64 KiB", row)
	}
}

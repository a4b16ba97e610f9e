package hotpath

import (
	"bytes"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/google/go-cmp/cmp"
	"github.com/hotpath-go/hotpath/runtime/internal/core"
)

func TestChanReport(t *testing.T) {
	if core.TSCOn() {
		t.Skip("the TSC clock (HOTPATH_CLOCK=tsc, -tags hotpath_tsc) does not follow synctest's fake clock")
	}
	for _, env := range []string{"HOTPATH_FOCUS", "HOTPATH_LIMIT", "HOTPATH_PERCENTILES", "HOTPATH_FORMAT", "HOTPATH_OUTPUT"} {
		t.Setenv(env, "")
	}
	// Sites stay registered across -count runs, but a row needs activity in
	// the guard's window, so fixed labels do not mix runs.
	const prefix = "pool."
	work := &core.ChanSite{Label: prefix + "work", Type: "chan Job[T]", Site: "example.com/p/pool.go:12"}
	done := &core.ChanSite{Label: prefix + "done", Type: "chan struct{}", Site: "example.com/p/pool.go:13"}
	var rep *Report
	synctest.Test(t, func(t *testing.T) {
		w := core.Track(work, make(chan int, 4))
		for i := range 4 {
			core.Send(w, i) // before the guard: not in its window
		}
		g := Start(Options{Name: "pool", Format: FormatNone, Focus: prefix, Percentiles: []float64{50, 99}})
		// Drain and refill the work queue: depths 3 2 1 0, then 1 2.
		for range 4 {
			core.Recv(w)
		}
		core.Send(w, 10)
		core.Send(w, 11)
		// A receiver waits 2s for its message; another 1s for the close.
		d := core.Track(done, make(chan struct{}))
		go func() { core.Recv(d) }()
		synctest.Wait()
		time.Sleep(2 * time.Second)
		core.Send(d, struct{}{})
		synctest.Wait()
		go func() { core.Recv(d) }()
		synctest.Wait()
		time.Sleep(time.Second)
		core.Close(d)
		synctest.Wait()
		time.Sleep(time.Second) // 4s in all
		if err := g.Stop(); err != nil {
			t.Fatal(err)
		}
		rep = g.Report()
		runtime.KeepAlive(w)
	})
	zero := map[string]int64{"p50": 0, "p99": 0}
	// Percentiles come from an HDR histogram, which answers with the
	// highest value its bucket holds (clamped to the exact maximum).
	h := hdr.New(1, 3600e9, 3) // the bounds of the runtime's histograms
	_ = h.RecordValue(1e9)
	p50 := h.ValueAtQuantile(50)
	want := []ChanRow{
		{
			Label: prefix + "done", Type: "chan struct{}", Created: 1, Sent: 1, Received: 1, Closed: 1,
			DepthPercentiles: map[string]int{"p50": 0, "p99": 0},
			SendBlocked:      BlockedStats{Percentiles: zero},
			RecvBlocked: BlockedStats{Count: 2, TotalNS: 3e9, MaxNS: 2e9,
				Percentiles: map[string]int64{"p50": p50, "p99": 2e9}},
			MsgsPerSec: 0.25,
			Site:       "example.com/p/pool.go:13",
		},
		{
			Label: prefix + "work", Type: "chan Job[T]", Capacity: 4, MinCapacity: 4, Sent: 2, Received: 4,
			Depth: 2, MaxDepth: 3,
			DepthPercentiles: map[string]int{"p50": 1, "p99": 3},
			SendBlocked:      BlockedStats{Percentiles: zero},
			RecvBlocked:      BlockedStats{Percentiles: zero},
			MsgsPerSec:       1,
			Site:             "example.com/p/pool.go:12",
		},
	}
	if diff := cmp.Diff(want, rep.Channels); diff != "" {
		t.Errorf("channel rows (-want +got):\n%s", diff)
	}
	if rep.Chan(prefix+"work") != &rep.Channels[1] || rep.Chan("nope") != nil {
		t.Errorf("Report.Chan does not find rows by label")
	}

	// JSON keeps raw numbers under the documented names.
	var buf bytes.Buffer
	if err := rep.Write(&buf, FormatJSON); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Channels []map[string]any `json:"channels"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range doc.Channels[0] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	wantKeys := []string{"capacity", "closed", "created", "depth", "depth_percentiles", "label",
		"max_depth", "min_capacity", "msgs_per_sec", "received", "recv_blocked", "send_blocked", "sent", "site", "type"}
	if diff := cmp.Diff(wantKeys, keys); diff != "" {
		t.Errorf("JSON keys of a channel row (-want +got):\n%s", diff)
	}
	rb := doc.Channels[0]["recv_blocked"].(map[string]any)
	if rb["count"] != 2.0 || rb["total_ns"] != 3e9 || rb["percentiles"].(map[string]any)["p99"] != 2e9 {
		t.Errorf("recv_blocked in JSON: %v", rb)
	}
	back, err := ReadReport(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rep.Channels, back.Channels); diff != "" {
		t.Errorf("JSON round trip (-before +after):\n%s", diff)
	}

	// The table section.
	buf.Reset()
	if err := rep.Write(&buf, FormatTable); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	i := strings.Index(out, "[hotpath] channels")
	if i < 0 {
		t.Fatalf("no channels section in:\n%s", out)
	}
	wantTable := `[hotpath] channels - Channel summary from pool (Total time: 4.00s)
+-----------+---------------+-----+------+----------+--------+-----------+--------------+-----------------------+--------+
| Channel   | Type          | Cap | Sent | Received | Closed | Max depth | Send blocked |          Recv blocked | Msgs/s |
+-----------+---------------+-----+------+----------+--------+-----------+--------------+-----------------------+--------+
| pool.done | chan struct{} |   0 |    1 |        1 |      1 |         0 |            0 | 2 / 3.00s / p99 2.00s |   0.25 |
| pool.work | chan Job[T]   |   4 |    2 |        4 |      0 |         3 |            0 |                     0 |   1.00 |
+-----------+---------------+-----+------+----------+--------+-----------+--------------+-----------------------+--------+
`
	if diff := cmp.Diff(wantTable, out[i:]); diff != "" {
		t.Errorf("channels table (-want +got):\n%s", diff)
	}

	// Focus, limit and sorting apply to channel rows as to functions.
	opts, err := resolveOptions(Options{Focus: prefix, Limit: 1}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	rows := buildChannels(opts, baseline{}, time.Second)
	if len(rows) != 1 || rows[0].Label != prefix+"done" {
		t.Errorf("limit 1: rows %v", rows)
	}
}

var siteSeq atomic.Int64

// newSite returns a site of its own for one run of one test, so that
// counts never mix across tests or -count runs.
func newSite(t testing.TB, typ string) *core.ChanSite {
	n := siteSeq.Add(1)
	return &core.ChanSite{
		Label: fmt.Sprintf("%s#%d", t.Name(), n),
		Type:  typ,
		Site:  fmt.Sprintf("example.com/p/chan_report_test.go:%d", n),
	}
}

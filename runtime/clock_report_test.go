package hotpath

import (
	"math"
	"testing"
	"time"

	"github.com/hotpath-go/hotpath/runtime/internal/core"
)

func TestTSCClockOn(t *testing.T) {
	on, restore := core.SetClock("tsc")
	t.Cleanup(restore)
	if !on {
		t.Skip("no TSC clock here")
	}
	f := ftFunc(t, "tsc")
	g := ftGuard(t, f.Name, Options{})
	func() {
		defer f.Begin().End()
		time.Sleep(20 * time.Millisecond)
	}()
	rep := ftStop(t, g)
	row := ftRow(t, rep, f)
	if row.TotalNS < int64(20*time.Millisecond) || row.TotalNS > int64(2*time.Second) {
		t.Errorf("a 20 ms sleep measured %v with the TSC clock", time.Duration(row.TotalNS))
	}
	if rep.Clock == nil || rep.Clock.Source != "tsc" || rep.Clock.TSCHz == 0 || math.Abs(rep.Clock.DriftPPM) > 1000 {
		t.Errorf("report's clock check = %+v, want the TSC with its rate and a small drift", rep.Clock)
	}
}

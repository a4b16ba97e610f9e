//go:build hotpath

package tests

import (
	"sync"
	"testing"
	"time"

	hotpath "github.com/hotpath-go/hotpath/runtime"
)

// nopSeeker is a player whose Seek does nothing.
type nopSeeker struct{}

func (nopSeeker) Seek(time.Duration) error { return nil }

// TestGeneratedSampling calls a measured function through its generated
// twin under both sampling modes: exact sampling counts every call of
// many goroutines exactly; estimated sampling (HOTPATH_SAMPLE=~N) times
// about one call in N, counts each as N and says so in the report.
func TestGeneratedSampling(t *testing.T) {
	const n, workers, each = 16, 8, 4000
	run := func() {
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for range each {
					if err := seekPlayback(nopSeeker{}, time.Second); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
	}
	for _, est := range []bool{false, true} {
		g := hotpath.Start(hotpath.Options{Format: hotpath.FormatNone, Focus: fnSeekPlayback, SampleEvery: n, SampleEstimated: est})
		run()
		if err := g.Stop(); err != nil {
			t.Fatal(err)
		}
		rep := g.Report()
		f := row(t, rep, fnSeekPlayback)
		const calls = workers * each
		if rep.CallsEstimated != est {
			t.Errorf("estimated %v: report says calls_estimated %v", est, rep.CallsEstimated)
		}
		if !est {
			if f.Calls != calls {
				t.Errorf("exact sampling: calls %d, want %d", f.Calls, calls)
			}
			continue
		}
		// Timed calls are binomial(32000, 1/16): mean 2000, sd 43.
		if f.Calls != f.Timed*n || f.Timed < calls/n-300 || f.Timed > calls/n+300 {
			t.Errorf("estimated sampling: calls %d timed %d, want timed about %d and calls %d per timed call", f.Calls, f.Timed, calls/n, n)
		}
	}
	hotpath.Start(hotpath.Options{Format: hotpath.FormatNone}).Stop() // sampling off again
}

package live_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	hotpath "github.com/hotpath-go/hotpath/runtime"
	"github.com/hotpath-go/hotpath/runtime/hotpathimpl"
	"github.com/hotpath-go/hotpath/runtime/live"
)

var (
	benchFn = hotpathimpl.Func{Name: "livebench.measured", File: "bench_test.go", Line: 1}
	// A program's worth of other rows for the reader to walk; the
	// benchmarks run after they were called.
	_ = func() []*hotpathimpl.Func {
		fs := make([]*hotpathimpl.Func, 50)
		for i := range fs {
			fs[i] = &hotpathimpl.Func{Name: "livebench.other" + string(rune('a'+i%26)) + string(rune('a'+i/26)), File: "bench_test.go", Line: 2 + i}
			for range 100 {
				fs[i].Begin().End()
			}
		}
		return fs
	}()
)

//go:noinline
func benchMeasured() {
	defer benchFn.Begin().End()
}

// poll starts a reader of the live view: an event stream at 100 ms (the
// page and top use 1 s) and a poll of the status every 100 ms, and with
// report, of the whole report too. The returned func stops it.
func poll(report bool) func() {
	srv := httptest.NewServer(live.Handler())
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			paths := []string{"/debug/hotpath/status"}
			if report {
				paths = append(paths, "/debug/hotpath/report")
			}
			for _, p := range paths {
				if resp, err := http.Get(srv.URL + p); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		}
	}()
	req, _ := http.NewRequest("GET", srv.URL+"/debug/hotpath/events?interval=100ms", nil)
	cancelCtx := make(chan struct{})
	go func() {
		defer wg.Done()
		resp, err := http.DefaultClient.Do(req.WithContext(contextUntil(cancelCtx)))
		if err != nil {
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}()
	return func() {
		close(stop)
		close(cancelCtx)
		srv.CloseClientConnections()
		wg.Wait()
		srv.Close()
	}
}

// BenchmarkOverheadPolled is the measured call of BenchmarkOverhead
// (runtime/func_bench_test.go) without a reader, and with a live-view
// reader every 100 ms (events and status; events, status and the report):
// the ratios are the reader's cost to the recording path.
func BenchmarkOverheadPolled(b *testing.B) {
	for _, mode := range []string{"serial", "parallel"} {
		for _, reader := range []string{"none", "events", "events+report"} {
			b.Run("par="+mode+"/reader="+reader, func(b *testing.B) {
				if reader != "none" {
					defer poll(reader == "events+report")()
				}
				b.ReportAllocs()
				if mode == "serial" {
					for b.Loop() {
						benchMeasured()
					}
					return
				}
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						benchMeasured()
					}
				})
			})
		}
	}
}

// BenchmarkLiveRead is the reader's own cost over the rows this package's
// tests and benchmarks made: a report, a snapshot, and the rows of an
// event (totals and the deltas since the previous snapshot).
func BenchmarkLiveRead(b *testing.B) {
	b.Run("report", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			hotpath.TakeSnapshot().Report(nil, hotpath.Options{}).Write(io.Discard, hotpath.FormatJSON)
		}
	})
	b.Run("snapshot", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			hotpath.TakeSnapshot()
		}
	})
	b.Run("funcs", func(b *testing.B) {
		b.ReportAllocs()
		prev := hotpath.TakeSnapshot()
		for b.Loop() {
			cur := hotpath.TakeSnapshot()
			cur.Funcs(nil)
			cur.Funcs(prev)
		}
	})
}

// contextUntil is a context that ends when done is closed.
func contextUntil(done chan struct{}) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-done; cancel() }()
	return ctx
}

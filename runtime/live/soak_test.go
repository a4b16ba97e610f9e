package live_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	hotpath "github.com/hotpath-go/hotpath/runtime"
	"github.com/hotpath-go/hotpath/runtime/hotpathimpl"
	"github.com/hotpath-go/hotpath/runtime/live"
	"go.uber.org/goleak"
)

var soakFuncs = func() []*hotpathimpl.Func {
	fs := make([]*hotpathimpl.Func, 8)
	for i := range fs {
		fs[i] = &hotpathimpl.Func{Name: fmt.Sprintf("soak.worker%d", i), File: "soak_test.go", Line: 10 + i}
	}
	return fs
}()

var soakInner = hotpathimpl.Func{Name: "soak.inner", File: "soak_test.go", Line: 30}

// TestSoak: 8 goroutines call measured functions for 10 s while a client
// polls the report and the status every 100 ms and another holds an event
// stream at the minimum interval. Run it with -race too. Nothing is left
// running afterwards, the heap stays flat, and every call is counted.
func TestSoak(t *testing.T) {
	defer goleak.VerifyNone(t)
	const soak = 10 * time.Second
	srv, err := live.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	client := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()

	before := make([]uint64, len(soakFuncs))
	snap := hotpath.TakeSnapshot()
	for _, f := range snap.Funcs(nil) {
		for i, sf := range soakFuncs {
			if f.Name == sf.Name {
				before[i] = f.Calls
			}
		}
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	calls := make([]atomic.Uint64, len(soakFuncs))
	for i, f := range soakFuncs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				s := f.Begin()
				if n%16 == 0 {
					soakInner.Begin().End()
				}
				s.End()
				calls[i].Add(1)
				if n%1024 == 0 {
					select {
					case <-stop:
						return
					default:
						runtime.Gosched()
					}
				}
			}
		}()
	}

	// The poller.
	var polls, pollErrs atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			for _, p := range []string{"report", "status", "report?format=table"} {
				resp, err := client.Get(srv.URL() + p)
				if err != nil {
					pollErrs.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					pollErrs.Add(1)
				}
			}
			polls.Add(1)
		}
	}()

	// The event stream, held until the server closes.
	var events atomic.Int64
	streamDone := make(chan error, 1)
	resp, err := client.Get(srv.URL() + "events?interval=100ms")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		defer resp.Body.Close()
		br := bufio.NewReader(resp.Body)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				streamDone <- err
				return
			}
			if strings.HasPrefix(line, "data: ") {
				events.Add(1)
			}
		}
	}()

	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	time.Sleep(2 * time.Second) // warm: every bucket the workload uses exists
	heapStart := heap()
	time.Sleep(soak - 2*time.Second)
	heapEnd := heap()
	close(stop)
	wg.Wait()

	final := hotpath.TakeSnapshot()
	if err := srv.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	select {
	case <-streamDone:
	case <-time.After(5 * time.Second):
		t.Error("the event stream did not end when the server closed")
	}

	t.Logf("%d polls, %d events, heap %d -> %d bytes", polls.Load(), events.Load(), heapStart, heapEnd)
	// The clients were served throughout; how often depends on the
	// machine (8 busy goroutines, -race): 100 ms is the pause between
	// polls, not a deadline.
	if n := polls.Load(); n < 2 {
		t.Errorf("only %d polls in %v", n, soak)
	}
	if n := pollErrs.Load(); n != 0 {
		t.Errorf("%d poll errors", n)
	}
	if n := events.Load(); n < 3 {
		t.Errorf("only %d events in %v at 100ms", n, soak)
	}
	// Flat: no growth with time beyond noise.
	if heapEnd > heapStart+heapStart/2+(4<<20) {
		t.Errorf("heap grew from %d to %d bytes over the soak", heapStart, heapEnd)
	}
	// Reading never loses a call.
	got := map[string]uint64{}
	for _, f := range final.Funcs(nil) {
		got[f.Name] = f.Calls
	}
	for i, f := range soakFuncs {
		if want := before[i] + calls[i].Load(); got[f.Name] != want {
			t.Errorf("%s: %d calls counted, %d made", f.Name, got[f.Name], want)
		}
	}
}

package hotpathimpl_test

import (
	"testing"

	hotpath "github.com/hotpath-go/hotpath/runtime"
	"github.com/hotpath-go/hotpath/runtime/hotpathimpl"
)

var (
	implFn   = hotpathimpl.Func{Name: "example.com/impl.F", Symbol: "example.com/impl.F"}
	implSite = hotpathimpl.ChanSite{Label: "hotpathimpl_test.site", Type: "chan int", Site: "example.com/impl/x.go:3"}
)

func measured() { defer implFn.Begin().End() }

// TestWrappersRecord drives every wrapper as a twin does and reads the
// numbers back through package hotpath's public snapshot.
func TestWrappersRecord(t *testing.T) {
	base := hotpath.TakeSnapshot()
	for range 3 {
		measured()
	}
	ch := hotpathimpl.Track(&implSite, make(chan int, 4))
	hotpathimpl.Send(ch, 1)
	hotpathimpl.SendTo(ch).Send(2)
	if v := hotpathimpl.Recv(ch); v != 1 {
		t.Fatalf("Recv = %d, want 1", v)
	}
	if v, ok := hotpathimpl.Recv2(ch); v != 2 || !ok {
		t.Fatalf("Recv2 = %d, %v, want 2, true", v, ok)
	}
	start := hotpathimpl.Nanotime()
	if start == 0 {
		t.Fatal("Nanotime returned 0")
	}
	select {
	case ch <- 3:
		hotpathimpl.SelectSent(ch, 0)
	default:
		t.Fatal("send case not ready")
	}
	select {
	case v, ok := <-ch:
		hotpathimpl.SelectRecv(ch, ok, 0)
		if v != 3 {
			t.Fatalf("received %d, want 3", v)
		}
	default:
		t.Fatal("receive case not ready")
	}
	if z := hotpathimpl.Zero(ch); z != 0 {
		t.Fatalf("Zero = %d", z)
	}
	// The operations as the generator writes them, each with its ChanOp.
	var ops [5]hotpathimpl.ChanOp
	for i := range 2 {
		hotpathimpl.SendAt(&ops[0], ch, 10+i)
		hotpathimpl.SendTo(ch).SendAt(&ops[1], 20+i)
		if v := hotpathimpl.RecvAt(&ops[2], ch); v != 10+i {
			t.Fatalf("RecvAt = %d, want %d", v, 10+i)
		}
		if v, ok := hotpathimpl.Recv2At(&ops[3], ch); v != 20+i || !ok {
			t.Fatalf("Recv2At = %d, %v, want %d, true", v, ok, 20+i)
		}
		select {
		case ch <- 30 + i:
			hotpathimpl.SelectSentAt(&ops[4], ch, 0)
		default:
			t.Fatal("send case not ready")
		}
		select {
		case v, ok := <-ch:
			hotpathimpl.SelectRecvAt(&ops[4], ch, ok, 0)
			if v != 30+i {
				t.Fatalf("received %d, want %d", v, 30+i)
			}
		default:
			t.Fatal("receive case not ready")
		}
	}
	hotpathimpl.Close(ch)
	if _, ok := hotpathimpl.Recv2(ch); ok {
		t.Fatal("Recv2 on a closed channel reported ok")
	}
	if _, ok := hotpathimpl.Recv2At(&ops[3], ch); ok {
		t.Fatal("Recv2At on a closed channel reported ok")
	}

	s := hotpath.TakeSnapshot()
	var calls uint64
	for _, f := range s.Funcs(base) {
		if f.Name == implFn.Name {
			calls = f.Calls
		}
	}
	if calls != 3 {
		t.Errorf("%s: %d calls, want 3", implFn.Name, calls)
	}
	var found bool
	for _, c := range s.Chans(base) {
		if c.Label != implSite.Label {
			continue
		}
		found = true
		if c.Created != 1 || c.Sent != 9 || c.Received != 9 || c.Closed != 1 || c.Capacity != 4 {
			t.Errorf("channel stats %+v: want 1 created, 9 sent, 9 received, 1 closed, capacity 4", c)
		}
	}
	if !found {
		t.Errorf("no channel row %q", implSite.Label)
	}
	if hotpathimpl.KindBlock == hotpathimpl.KindFunc {
		t.Error("KindBlock == KindFunc")
	}
}

package core

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

// The semantics tests write each scenario twice: with raw channel
// operations, and as hotpathgen rewrites it (Track at the make, Send, Recv,
// Recv2, Close, two-phase selects). Both must observe the same thing; the
// instrumented one must also count exactly. Scenarios that wait run in a
// synctest bubble, where "blocked" is something synctest.Wait establishes
// rather than a guess about timing, and where the fake clock makes blocked
// durations exact.

var siteSeq atomic.Int64

// newSite returns a site of its own for one run of one test, so that
// counts never mix across tests or -count runs.
func newSite(t testing.TB, typ string) *ChanSite {
	n := siteSeq.Add(1)
	return &ChanSite{
		Label: fmt.Sprintf("%s#%d", t.Name(), n),
		Type:  typ,
		Site:  fmt.Sprintf("example.com/p/chan_test.go:%d", n),
	}
}

// siteCounts is what a site counted since it was created.
type siteCounts struct {
	Created, Sent, Received, Closed uint64
	SendBlocked, RecvBlocked        uint64
	SendBlockedNS, RecvBlockedNS    int64
	MaxDepth                        uint64
}

func countsOf(s *ChanSite) siteCounts {
	st := s.state.Load()
	if st == nil {
		return siteCounts{}
	}
	snap := st.snapshot()
	return siteCounts{
		Created:       snap.created,
		Sent:          snap.ops(kindSend),
		Received:      snap.ops(kindRecv),
		Closed:        snap.closed,
		SendBlocked:   snap.send.count,
		RecvBlocked:   snap.recv.count,
		SendBlockedNS: snap.send.total,
		RecvBlockedNS: snap.recv.total,
		MaxDepth:      snap.maxDepth,
	}
}

func checkCounts(t *testing.T, s *ChanSite, want siteCounts) {
	t.Helper()
	got := countsOf(s)
	if tscClock.Load() != nil {
		// The TSC clock (HOTPATH_CLOCK=tsc, -tags hotpath_tsc) does not
		// follow synctest's fake clock: the waits are real, and short.
		want.SendBlockedNS, want.RecvBlockedNS = 0, 0
		got.SendBlockedNS, got.RecvBlockedNS = 0, 0
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("counts of %s (-want +got):\n%s", s.Label, diff)
	}
}

func checkSame[T any](t *testing.T, raw, instrumented T) {
	t.Helper()
	if diff := cmp.Diff(raw, instrumented); diff != "" {
		t.Errorf("instrumented run differs from raw (-raw +instrumented):\n%s", diff)
	}
}

func inBubble[T any](t *testing.T, f func() T) T {
	t.Helper()
	var v T
	synctest.Test(t, func(*testing.T) { v = f() })
	return v
}

func TestChanRendezvous(t *testing.T) {
	type obs struct {
		SentBeforeRecv bool // the sender returned before anyone received
		Got            int
		SentAfterRecv  bool
	}
	raw := inBubble(t, func() (o obs) {
		ch := make(chan int)
		var sent atomic.Bool
		go func() {
			ch <- 42
			sent.Store(true)
		}()
		synctest.Wait()
		o.SentBeforeRecv = sent.Load()
		time.Sleep(time.Second)
		o.Got = <-ch
		synctest.Wait()
		o.SentAfterRecv = sent.Load()
		return o
	})
	site := newSite(t, "chan int")
	hot := inBubble(t, func() (o obs) {
		ch := Track(site, make(chan int))
		var sent atomic.Bool
		go func() {
			Send(ch, 42)
			sent.Store(true)
		}()
		synctest.Wait()
		o.SentBeforeRecv = sent.Load()
		time.Sleep(time.Second)
		o.Got = Recv(ch)
		synctest.Wait()
		o.SentAfterRecv = sent.Load()
		return o
	})
	if raw != (obs{SentBeforeRecv: false, Got: 42, SentAfterRecv: true}) {
		t.Fatalf("raw scenario observed %+v", raw)
	}
	checkSame(t, raw, hot)
	// The sender waited the whole (fake) second; the receiver found it
	// waiting and did not block.
	checkCounts(t, site, siteCounts{Created: 1, Sent: 1, Received: 1, SendBlocked: 1, SendBlockedNS: 1e9})
}

func TestChanBufferedCapacity(t *testing.T) {
	const n = 4
	type obs struct {
		Len, Cap      []int // after each of the n sends
		TrySendOK     bool  // a non-blocking send on the full channel
		BlockedDone   bool  // the (n+1)-th send returned before a receive
		AfterRecvDone bool
		Got           []int
	}
	raw := inBubble(t, func() (o obs) {
		ch := make(chan int, n)
		for i := range n {
			ch <- i
			o.Len, o.Cap = append(o.Len, len(ch)), append(o.Cap, cap(ch))
		}
		select {
		case ch <- -1:
			o.TrySendOK = true
		default:
		}
		var done atomic.Bool
		go func() {
			ch <- n
			done.Store(true)
		}()
		synctest.Wait()
		o.BlockedDone = done.Load()
		time.Sleep(time.Second)
		o.Got = append(o.Got, <-ch)
		synctest.Wait()
		o.AfterRecvDone = done.Load()
		for range n {
			o.Got = append(o.Got, <-ch)
		}
		return o
	})
	site := newSite(t, "chan int")
	hot := inBubble(t, func() (o obs) {
		ch := Track(site, make(chan int, n))
		for i := range n {
			Send(ch, i)
			o.Len, o.Cap = append(o.Len, len(ch)), append(o.Cap, cap(ch))
		}
		select {
		case ch <- SendTo(ch).Value(-1):
			SelectSent(ch, 0)
			o.TrySendOK = true
		default:
		}
		var done atomic.Bool
		go func() {
			Send(ch, n)
			done.Store(true)
		}()
		synctest.Wait()
		o.BlockedDone = done.Load()
		time.Sleep(time.Second)
		o.Got = append(o.Got, Recv(ch))
		synctest.Wait()
		o.AfterRecvDone = done.Load()
		for range n {
			o.Got = append(o.Got, Recv(ch))
		}
		return o
	})
	want := obs{Len: []int{1, 2, 3, 4}, Cap: []int{n, n, n, n}, AfterRecvDone: true, Got: []int{0, 1, 2, 3, 4}}
	if diff := cmp.Diff(want, raw); diff != "" {
		t.Fatalf("raw scenario (-want +got):\n%s", diff)
	}
	checkSame(t, raw, hot)
	checkCounts(t, site, siteCounts{
		Created: 1, Sent: n + 1, Received: n + 1,
		SendBlocked: 1, SendBlockedNS: 1e9,
		MaxDepth: n,
	})
}

func TestChanCloseWakesReceivers(t *testing.T) {
	type result struct {
		V  string
		OK bool
	}
	const k = 3
	raw := inBubble(t, func() []result {
		ch := make(chan string)
		res := make([]result, k+1)
		for i := range k {
			go func() {
				v, ok := <-ch
				res[i] = result{v, ok}
			}()
		}
		go func() { res[k] = result{<-ch, true} }()
		synctest.Wait()
		time.Sleep(time.Second)
		close(ch)
		synctest.Wait()
		return res
	})
	site := newSite(t, "chan string")
	hot := inBubble(t, func() []result {
		ch := Track(site, make(chan string))
		res := make([]result, k+1)
		for i := range k {
			go func() {
				v, ok := Recv2(ch)
				res[i] = result{v, ok}
			}()
		}
		go func() { res[k] = result{Recv(ch), true} }()
		synctest.Wait()
		time.Sleep(time.Second)
		Close(ch)
		synctest.Wait()
		return res
	})
	want := []result{{"", false}, {"", false}, {"", false}, {"", true}}
	if diff := cmp.Diff(want, raw); diff != "" {
		t.Fatalf("raw scenario (-want +got):\n%s", diff)
	}
	checkSame(t, raw, hot)
	// Nothing was received, but every receiver waited its second.
	checkCounts(t, site, siteCounts{Created: 1, Closed: 1, RecvBlocked: k + 1, RecvBlockedNS: (k + 1) * 1e9})
}

func TestChanRangeEndsOnClose(t *testing.T) {
	const n = 100
	raw := func() []int {
		ch := make(chan int, 3)
		go func() {
			for i := range n {
				ch <- i
			}
			close(ch)
		}()
		var got []int
		for v := range ch {
			got = append(got, v)
		}
		return got
	}()
	site := newSite(t, "chan int")
	hot := func() []int {
		ch := Track(site, make(chan int, 3))
		go func() {
			for i := range n {
				Send(ch, i)
			}
			Close(ch)
		}()
		var got []int
		// for v := range ch, as generated:
		for {
			v, ok := Recv2(ch)
			if !ok {
				break
			}
			got = append(got, v)
		}
		return got
	}()
	if len(raw) != n || !slices.IsSorted(raw) {
		t.Fatalf("raw scenario received %v", raw)
	}
	checkSame(t, raw, hot)
	c := countsOf(site)
	if c.Sent != n || c.Received != n || c.Closed != 1 {
		t.Errorf("sent %d, received %d, closed %d; want %d, %d, 1", c.Sent, c.Received, c.Closed, n, n)
	}
}

// recovered runs f and returns what it panicked with.
func recovered(f func()) (r any) {
	defer func() { r = recover() }()
	f()
	return nil
}

// panicValue describes a panic value well enough to compare two of them.
type panicValue struct {
	Type, Message string
	RuntimeError  bool
}

func describePanic(r any) panicValue {
	_, isRuntime := r.(runtime.Error)
	return panicValue{Type: reflect.TypeOf(r).String(), Message: fmt.Sprint(r), RuntimeError: isRuntime}
}

func TestChanPanicsAsRaw(t *testing.T) {
	type obs struct {
		SendOnClosed, BlockedSendClosed, CloseClosed, CloseNil panicValue
		Value                                                  any // what SendOnClosed recovered, as is
	}
	raw := inBubble(t, func() (o obs) {
		ch := make(chan int, 1)
		close(ch)
		o.Value = recovered(func() { ch <- 1 })
		o.SendOnClosed = describePanic(o.Value)
		o.CloseClosed = describePanic(recovered(func() { close(ch) }))
		var nilCh chan int
		o.CloseNil = describePanic(recovered(func() { close(nilCh) }))
		// A sender that is already waiting when the channel closes.
		un := make(chan int)
		go func() { o.BlockedSendClosed = describePanic(recovered(func() { un <- 1 })) }()
		synctest.Wait()
		close(un)
		synctest.Wait()
		return o
	})
	site := newSite(t, "chan int")
	hot := inBubble(t, func() (o obs) {
		ch := Track(site, make(chan int, 1))
		Close(ch)
		o.Value = recovered(func() { Send(ch, 1) })
		o.SendOnClosed = describePanic(o.Value)
		o.CloseClosed = describePanic(recovered(func() { Close(ch) }))
		var nilCh chan int
		o.CloseNil = describePanic(recovered(func() { Close(nilCh) }))
		un := Track(site, make(chan int))
		go func() { o.BlockedSendClosed = describePanic(recovered(func() { Send(un, 1) })) }()
		synctest.Wait()
		Close(un)
		synctest.Wait()
		return o
	})
	if !strings.Contains(raw.SendOnClosed.Message, "send on closed channel") || !raw.CloseNil.RuntimeError {
		t.Fatalf("raw scenario observed %+v", raw)
	}
	if raw.Value != hot.Value {
		t.Errorf("send on a closed channel recovered %#v, raw %#v", hot.Value, raw.Value)
	}
	raw.Value, hot.Value = nil, nil
	checkSame(t, raw, hot)
	// Failed operations are not counted, nor is the wait of a send that
	// ends in a panic.
	checkCounts(t, site, siteCounts{Created: 2, Closed: 2})
}

// TestChanNilBlocksInSelect runs a select over a nil channel and a timer,
// rewritten the two-phase way: the nil cases never fire.
func TestChanNilBlocksInSelect(t *testing.T) {
	raw := inBubble(t, func() string {
		var ch chan int
		timeout := time.After(time.Second)
		select {
		case <-ch:
			return "receive"
		case ch <- 1:
			return "send"
		case <-timeout:
			return "timeout"
		}
	})
	hot := inBubble(t, func() string {
		var ch chan int
		timeout := time.After(time.Second)
		select {
		case _, ok := <-ch:
			SelectRecv(ch, ok, 0)
			return "receive"
		case ch <- SendTo(ch).Value(1):
			SelectSent(ch, 0)
			return "send"
		case _, ok := <-timeout:
			SelectRecv(timeout, ok, 0)
			return "timeout"
		default:
			start := Nanotime()
			select {
			case _, ok := <-ch:
				SelectRecv(ch, ok, start)
				return "receive"
			case ch <- SendTo(ch).Value(1):
				SelectSent(ch, start)
				return "send"
			case _, ok := <-timeout:
				SelectRecv(timeout, ok, start)
				return "timeout"
			}
		}
	})
	if raw != "timeout" {
		t.Fatalf("raw select chose %q", raw)
	}
	checkSame(t, raw, hot)
}

// TestChanSelectBlocks runs selects that must wait, rewritten the
// two-phase way: the case that fires is counted with its wait.
func TestChanSelectBlocks(t *testing.T) {
	type obs struct {
		Fired     string
		Got       int
		SentAfter bool
	}
	raw := inBubble(t, func() (o obs) {
		a, b := make(chan int), make(chan int)
		go func() {
			time.Sleep(time.Second)
			b <- 7
		}()
		select {
		case v := <-a:
			o.Fired, o.Got = "a", v
		case v := <-b:
			o.Fired, o.Got = "b", v
		}
		full := make(chan int, 1)
		full <- 1
		go func() {
			time.Sleep(2 * time.Second)
			<-full
		}()
		select {
		case full <- 2:
			o.SentAfter = true
		case <-a:
		}
		return o
	})
	sa, sb, sf := newSite(t, "chan int"), newSite(t, "chan int"), newSite(t, "chan int")
	hot := inBubble(t, func() (o obs) {
		a, b := Track(sa, make(chan int)), Track(sb, make(chan int))
		go func() {
			time.Sleep(time.Second)
			Send(b, 7)
		}()
		select {
		case v, ok := <-a:
			SelectRecv(a, ok, 0)
			o.Fired, o.Got = "a", v
		case v, ok := <-b:
			SelectRecv(b, ok, 0)
			o.Fired, o.Got = "b", v
		default:
			start := Nanotime()
			select {
			case v, ok := <-a:
				SelectRecv(a, ok, start)
				o.Fired, o.Got = "a", v
			case v, ok := <-b:
				SelectRecv(b, ok, start)
				o.Fired, o.Got = "b", v
			}
		}
		full := Track(sf, make(chan int, 1))
		Send(full, 1)
		go func() {
			time.Sleep(2 * time.Second)
			Recv(full)
		}()
		select {
		case full <- SendTo(full).Value(2):
			SelectSent(full, 0)
			o.SentAfter = true
		case _, ok := <-a:
			SelectRecv(a, ok, 0)
		default:
			start := Nanotime()
			select {
			case full <- SendTo(full).Value(2):
				SelectSent(full, start)
				o.SentAfter = true
			case _, ok := <-a:
				SelectRecv(a, ok, start)
			}
		}
		return o
	})
	if raw != (obs{Fired: "b", Got: 7, SentAfter: true}) {
		t.Fatalf("raw scenario observed %+v", raw)
	}
	checkSame(t, raw, hot)
	checkCounts(t, sa, siteCounts{Created: 1})
	checkCounts(t, sb, siteCounts{Created: 1, Sent: 1, Received: 1, RecvBlocked: 1, RecvBlockedNS: 1e9})
	checkCounts(t, sf, siteCounts{Created: 1, Sent: 2, Received: 1, SendBlocked: 1, SendBlockedNS: 2e9, MaxDepth: 1})
}

func TestChanSelectDefault(t *testing.T) {
	type obs struct {
		TryRecvEmpty, TrySendEmpty, TrySendFull, TryRecvFull bool
		Got                                                  int
	}
	raw := func() (o obs) {
		ch := make(chan int, 1)
		select {
		case <-ch:
			o.TryRecvEmpty = true
		default:
		}
		select {
		case ch <- 7:
			o.TrySendEmpty = true
		default:
		}
		select {
		case ch <- 8:
			o.TrySendFull = true
		default:
		}
		select {
		case v := <-ch:
			o.TryRecvFull, o.Got = true, v
		default:
		}
		return o
	}()
	site := newSite(t, "chan int")
	hot := func() (o obs) {
		ch := Track(site, make(chan int, 1))
		select {
		case _, ok := <-ch:
			SelectRecv(ch, ok, 0)
			o.TryRecvEmpty = true
		default:
		}
		select {
		case ch <- SendTo(ch).Value(7):
			SelectSent(ch, 0)
			o.TrySendEmpty = true
		default:
		}
		select {
		case ch <- SendTo(ch).Value(8):
			SelectSent(ch, 0)
			o.TrySendFull = true
		default:
		}
		select {
		case v, ok := <-ch:
			SelectRecv(ch, ok, 0)
			o.TryRecvFull, o.Got = true, v
		default:
		}
		return o
	}()
	if raw != (obs{TrySendEmpty: true, TryRecvFull: true, Got: 7}) {
		t.Fatalf("raw scenario observed %+v", raw)
	}
	checkSame(t, raw, hot)
	checkCounts(t, site, siteCounts{Created: 1, Sent: 1, Received: 1, MaxDepth: 1})
}

// TestChanSelectRandom checks that a select over two ready channels still
// picks either: the instrumented select is the same select, run first
// without blocking.
func TestChanSelectRandom(t *testing.T) {
	const iters = 1000
	raw := func() (picks [2]int) {
		a, b := make(chan int, 1), make(chan int, 1)
		a <- 0
		b <- 1
		for range iters {
			select {
			case v := <-a:
				picks[v]++
				a <- v
			case v := <-b:
				picks[v]++
				b <- v
			}
		}
		return picks
	}()
	siteA, siteB := newSite(t, "chan int"), newSite(t, "chan int")
	hot := func() (picks [2]int) {
		a, b := Track(siteA, make(chan int, 1)), Track(siteB, make(chan int, 1))
		Send(a, 0)
		Send(b, 1)
		for range iters {
			select {
			case v, ok := <-a:
				SelectRecv(a, ok, 0)
				picks[v]++
				Send(a, v)
			case v, ok := <-b:
				SelectRecv(b, ok, 0)
				picks[v]++
				Send(b, v)
			default:
				start := Nanotime()
				select {
				case v, ok := <-a:
					SelectRecv(a, ok, start)
					picks[v]++
					Send(a, v)
				case v, ok := <-b:
					SelectRecv(b, ok, start)
					picks[v]++
					Send(b, v)
				}
			}
		}
		return picks
	}()
	// Either count being 0 has probability 2^-999.
	for _, picks := range [][2]int{raw, hot} {
		if picks[0] == 0 || picks[1] == 0 || picks[0]+picks[1] != iters {
			t.Errorf("picks %v: want both cases chosen, %d in all", picks, iters)
		}
	}
	ca, cb := countsOf(siteA), countsOf(siteB)
	if ca.Received != uint64(hot[0]) || cb.Received != uint64(hot[1]) {
		t.Errorf("received %d and %d, want %d and %d", ca.Received, cb.Received, hot[0], hot[1])
	}
	if ca.Sent != uint64(hot[0])+1 || cb.Sent != uint64(hot[1])+1 || ca.RecvBlocked+cb.RecvBlocked != 0 {
		t.Errorf("a: %+v, b: %+v", ca, cb)
	}
}

type bigMsg struct {
	N    int
	S    string
	Data [64]byte
}

func makeMsg(i int) bigMsg {
	m := bigMsg{N: i, S: fmt.Sprint("msg-", i)}
	m.Data[i%64] = byte(i)
	return m
}

func TestChanValuesInOrder(t *testing.T) {
	const n = 5000
	raw := func() []bigMsg {
		ch := make(chan bigMsg, 16)
		go func() {
			defer close(ch)
			for i := range n {
				ch <- makeMsg(i)
			}
		}()
		var got []bigMsg
		for m := range ch {
			got = append(got, m)
		}
		return got
	}()
	site := newSite(t, "chan bigMsg")
	hot := func() []bigMsg {
		ch := Track(site, make(chan bigMsg, 16))
		go func() {
			defer Close(ch)
			for i := range n {
				Send(ch, makeMsg(i))
			}
		}()
		var got []bigMsg
		for {
			m, ok := Recv2(ch)
			if !ok {
				break
			}
			got = append(got, m)
		}
		return got
	}()
	for i, m := range raw {
		if m != makeMsg(i) {
			t.Fatalf("raw message %d is %+v", i, m)
		}
	}
	// slices.Equal rather than cmp: 5000 messages are slow to diff under -race.
	if !slices.Equal(raw, hot) {
		t.Errorf("instrumented run received %d messages, not the raw run's %d in order", len(hot), len(raw))
	}
}

// TestChanDirections passes a tracked channel as chan<-, <-chan, a named
// channel type and through generic code: it is counted wherever it goes.
func TestChanDirections(t *testing.T) {
	type jobs chan int
	site := newSite(t, "jobs")
	ch := Track(site, make(jobs, 4))
	var _ jobs = ch // Track keeps the named type
	produce := func(out chan<- int) {
		for i := range 3 {
			Send(out, i)
		}
		Close(out)
	}
	consume := func(in <-chan int) (sum int) {
		for {
			v, ok := Recv2(in)
			if !ok {
				return sum
			}
			sum += v
		}
	}
	produce(ch)
	if got := consume(ch); got != 3 {
		t.Errorf("sum %d, want 3", got)
	}
	named := Track(site, make(jobs, 1)) // operations on the named type itself
	Send(named, 5)
	if v, ok := Recv2(named); v != 5 || !ok {
		t.Errorf("named channel type: received %d, %v", v, ok)
	}
	g := Track(site, make(chan string, 1))
	genericSend(g, "x")
	if v := genericRecv(g); v != "x" {
		t.Errorf("generic receive got %q", v)
	}
	checkCounts(t, site, siteCounts{Created: 3, Sent: 5, Received: 5, Closed: 1, MaxDepth: 3})
	if got, want := cap(ch), 4; got != want {
		t.Errorf("cap %d, want %d", got, want)
	}
	var z float64 = Zero((<-chan float64)(nil))
	if e := SendTo(make(chan float64)).Value(1); z != 0 || reflect.TypeOf(e) != reflect.TypeOf(0.0) {
		t.Errorf("Zero %v, SendTo.Value %T", z, e)
	}
	// A value assignable to the element type without being of it: the
	// case a two-argument Send(ch, v) cannot infer.
	var anyCh = make(chan any, 1)
	SendTo(anyCh).Send(errors.New("boom"))
	if v, ok := Recv2(anyCh); !ok || v.(error).Error() != "boom" {
		t.Errorf("SendTo(chan any).Send(error) delivered %v, %v", v, ok)
	}
}

func genericSend[T any, C ~chan T](ch C, v T) { Send(ch, v) }

func genericRecv[C ~chan T, T any](ch C) T { return Recv(ch) }

// TestChanExactCounts runs producers and consumers on every P: counts are
// exact however the operations interleave.
func TestChanExactCounts(t *testing.T) {
	defer goleak.VerifyNone(t)
	const producers, consumers, each = 8, 4, 5000
	site := newSite(t, "chan int")
	ch := Track(site, make(chan int, 16))
	var wg, cwg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			for i := range each {
				Send(ch, p*each+i)
			}
		})
	}
	sums := make([]int, consumers)
	for c := range consumers {
		cwg.Go(func() {
			for {
				// Half the consumers receive through a select, as generated.
				var v int
				var ok bool
				if c%2 == 0 {
					v, ok = Recv2(ch)
				} else {
					select {
					case v, ok = <-ch:
						SelectRecv(ch, ok, 0)
					default:
						start := Nanotime()
						v, ok = <-ch
						SelectRecv(ch, ok, start)
					}
				}
				if !ok {
					return
				}
				sums[c] += v
			}
		})
	}
	wg.Wait()
	Close(ch)
	cwg.Wait()
	total := 0
	for _, s := range sums {
		total += s
	}
	const n = producers * each
	if want := n * (n - 1) / 2; total != want {
		t.Errorf("sum of received values %d, want %d", total, want)
	}
	c := countsOf(site)
	if c.Sent != n || c.Received != n || c.Closed != 1 || c.MaxDepth > 16 {
		t.Errorf("counts %+v: want %d sent and received, 1 close, depth <= 16", c, n)
	}
}

func TestChanDepth(t *testing.T) {
	site := newSite(t, "chan int")
	ch := Track(site, make(chan int, 8))
	for i := range 8 {
		Send(ch, i) // depths 1..8
	}
	for range 8 {
		Recv(ch) // depths 7..0
	}
	st := site.state.Load()
	d := st.snapshot().since(ChanSnapshot{})
	if d.maxDepth != 8 {
		t.Errorf("max depth %d, want 8", d.maxDepth)
	}
	// Sorted samples: 0 1 1 2 2 3 3 4 4 5 5 6 6 7 7 8. The report caps a
	// percentile at the window's maximum, as here.
	got := map[string]uint64{}
	n := d.Sent() + d.Received()
	for _, p := range []float64{50, 99, 100} {
		got[fmt.Sprintf("p%g", p)] = min(d.depthAtPercentile(p, n), d.maxDepth)
	}
	if diff := cmp.Diff(map[string]uint64{"p50": 4, "p99": 8, "p100": 8}, got); diff != "" {
		t.Errorf("depth percentiles (-want +got):\n%s", diff)
	}
	// A window that starts after the site was used: its maximum comes from
	// its own samples, not the site's lifetime.
	base := st.snapshot()
	for i := range 3 {
		Send(ch, i)
	}
	for range 3 {
		Recv(ch)
	}
	if got := st.snapshot().since(base).maxDepth; got != 3 {
		t.Errorf("window max depth %d, want 3", got)
	}
}

func TestDepthBuckets(t *testing.T) {
	prevHigh := uint64(0)
	for b := range depthBuckets {
		high := depthBucketHigh(b)
		if b > 0 && high <= prevHigh {
			t.Fatalf("bucket %d ends at %d, not after %d", b, high, prevHigh)
		}
		low := uint64(0)
		if b > 0 {
			low = prevHigh + 1
		}
		for _, d := range []uint64{low, high} {
			if got := depthBucket(d); got != b {
				t.Fatalf("depthBucket(%d) = %d, want %d", d, got, b)
			}
		}
		// Relative precision: a bucket is at most 1/16 of its low end wide.
		if low >= depthExact && (high-low+1)*depthSub > low {
			t.Fatalf("bucket %d [%d, %d] is wider than 1/%d", b, low, high, depthSub)
		}
		prevHigh = high
	}
	if prevHigh != 1<<depthTopBits-1 {
		t.Errorf("buckets end at %d, want 2^%d-1", prevHigh, depthTopBits)
	}
	if got := depthBucket(1 << 40); got != depthBuckets-1 {
		t.Errorf("depthBucket(2^40) = %d, want the last bucket", got)
	}
}

// settledIndexSize collects garbage a few times, letting the purge that
// follows each collection run, and returns the number of index entries.
func settledIndexSize() int {
	for range 3 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	e, _ := chanIndexSize()
	return e
}

// waitIndexSize collects garbage until the index holds at most entries
// entries, and returns its size.
func waitIndexSize(t *testing.T, entries int) (int, int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		runtime.GC()
		e, s := chanIndexSize()
		if e <= entries || time.Now().After(deadline) {
			return e, s
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestChanManyChannelsOneSite makes a channel per "request": they all count
// into one row, no goroutine runs per channel, and once they are garbage
// the index shrinks back.
// findEntry returns the index entry for address p, if one is present
// (alive or not).
func findEntry(p uintptr) *chanEntry {
	t := chanIdx.tab.Load()
	if t == nil {
		return nil
	}
	for i := range t.slots {
		if t.slots[i].key.Load() == p {
			return t.slots[i].entry.Load()
		}
	}
	return nil
}

// TestChanReusedAddress lets a tracked channel die and allocates channels
// until one lands at its address while the dead channel's entry is still in
// the index (the purge is held back by the index lock): the newcomer is not
// attributed to the dead channel's site. A channel tracked at that address
// replaces the dead entry, and purging keeps it.
func TestChanReusedAddress(t *testing.T) {
	t.Run("handle", func(t *testing.T) {
		if !weakHandleOK {
			t.Skip("weak pointers do not have the layout the fast check reads")
		}
		testReusedAddress(t)
	})
	t.Run("value", func(t *testing.T) {
		// The fallback: weak.Pointer.Value on every hit.
		weakHandleOK = false
		defer func() { weakHandleOK = true }()
		testReusedAddress(t)
	})
}

func testReusedAddress(t *testing.T) {
	dead, other := newSite(t, "chan int"), newSite(t, "chan int")
	addr := func() uintptr {
		ch := Track(dead, make(chan int, 1))
		Send(ch, 1)
		return uintptr(sendPointer(ch))
	}()
	chanIdx.mu.Lock()
	locked := true
	defer func() {
		if locked {
			chanIdx.mu.Unlock()
		}
	}()
	runtime.GC()
	old := findEntry(addr)
	if old == nil {
		t.Fatal("the dead channel's entry left the index while it was locked")
	}
	if old.alive() {
		t.Fatal("the dead channel's entry is still alive after a collection")
	}
	var reused chan int
	var keep []chan int
	for i := 0; i < 1_000_000 && reused == nil; i++ {
		ch := make(chan int, 1)
		if uintptr(sendPointer(ch)) == addr {
			reused = ch
		}
		keep = append(keep, ch)
		if len(keep) == 10_000 {
			keep = keep[:0]
			runtime.GC()
		}
	}
	if reused == nil {
		t.Skip("no channel was allocated at the dead channel's address")
	}
	if findEntry(addr) != old {
		t.Fatal("the dead entry is gone; the test did not exercise the window")
	}
	if st := lookupChan(sendPointer(reused)); st != nil {
		t.Fatalf("an untracked channel at a dead channel's address is attributed to %s", st.site.Label)
	}
	Send(reused, 2)
	if v := Recv(reused); v != 2 {
		t.Fatalf("received %d", v)
	}
	// Track the newcomer while the old entry is still there.
	p := sendPointer(reused)
	e := newChanEntry(p, other.load(), chanLen[int])
	if !chanIdx.insertLocked(e) {
		t.Fatal("the dead entry was kept over a live channel")
	}
	chanIdx.purgeLocked() // what the purge after a collection does
	chanIdx.mu.Unlock()
	locked = false
	if findEntry(addr) != e {
		t.Fatal("the purge removed the live channel's entry")
	}
	Send(reused, 3)
	Recv(reused)
	checkCounts(t, dead, siteCounts{Created: 1, Sent: 1, MaxDepth: 1})
	checkCounts(t, other, siteCounts{Sent: 1, Received: 1, MaxDepth: 1})
	runtime.KeepAlive(reused)
}

// TestChanTrackTwice keeps the first site of a channel tracked twice.
func TestChanTrackTwice(t *testing.T) {
	a, b := newSite(t, "chan int"), newSite(t, "chan int")
	ch := Track(b, Track(a, make(chan int, 1)))
	Send(ch, 1)
	checkCounts(t, a, siteCounts{Created: 1, Sent: 1, MaxDepth: 1})
	checkCounts(t, b, siteCounts{Created: 1})
}

// TestChanUntracked leaves channels that no directive made alone.
func TestChanUntracked(t *testing.T) {
	site := newSite(t, "chan int")
	keep := Track(site, make(chan int, 1))
	ch := make(chan int, 1)
	Send(ch, 5)
	if v, ok := Recv2(ch); v != 5 || !ok {
		t.Errorf("received %d, %v", v, ok)
	}
	Close(ch)
	if lookupChan(sendPointer(ch)) != nil || lookupChan(nil) != nil {
		t.Errorf("untracked or nil channel found in the index")
	}
	checkCounts(t, site, siteCounts{Created: 1})
	runtime.KeepAlive(keep)
}

func TestChanManyChannelsOneSite(t *testing.T) {
	defer goleak.VerifyNone(t)
	startEntries := settledIndexSize()
	goroutines := runtime.NumGoroutine()
	const n = 100_000
	site := newSite(t, "chan int")
	base := chanBaseline()
	chans := make([]chan int, n)
	for i := range chans {
		chans[i] = Track(site, make(chan int, 1))
		Send(chans[i], i)
	}
	if e, _ := chanIndexSize(); e < n {
		t.Fatalf("index holds %d entries with %d channels alive", e, n)
	}
	if g := runtime.NumGoroutine(); g > goroutines {
		t.Errorf("%d goroutines with %d tracked channels alive, %d before", g, n, goroutines)
	}
	for i, ch := range chans {
		if v := Recv(ch); v != i {
			t.Fatalf("channel %d received %d", i, v)
		}
	}
	chans = nil
	e, slots := waitIndexSize(t, startEntries)
	if e > startEntries || slots > 4*minChanSlots {
		t.Errorf("index holds %d entries in %d slots after the channels died; want <= %d entries, <= %d slots",
			e, slots, startEntries, 4*minChanSlots)
	}
	checkCounts(t, site, siteCounts{Created: n, Sent: n, Received: n, MaxDepth: 1})
	st := site.state.Load()
	d := st.snapshot().since(base[site])
	if d.created != n || d.Received() != n || liveDepths()[st] != 0 {
		t.Errorf("window: %d channels created, %d received, depth %d; want %d, %d, 0",
			d.created, d.Received(), liveDepths()[st], n, n)
	}
}

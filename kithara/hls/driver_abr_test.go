package hls

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hotpath-go/hotpath/kithara/hls/abr"
)

// The ABR tests serve synthetic segments whose declared bandwidths are far
// from what loopback delivers, throttled or not, so that the decisions do
// not depend on how fast this machine is: a slow machine only makes the
// throttled server slower and the fast one still far faster than needed.
var abrPresentation = synthetic{
	bandwidths: []uint64{100_000, 200_000, 400_000},
	segments:   8,
	size:       32 << 10,
	duration:   2 * time.Second,
}

func TestABRGoesDownWhenTheServerIsSlow(t *testing.T) {
	srv := newTestServer(t, abrPresentation.files())
	// 4 KiB every 100 ms: at most 40 KB/s, 320 kbit/s, under the 400 kbit/s
	// variant ABR starts on.
	srv.throttle = func(p string) (int, time.Duration) {
		if strings.HasSuffix(p, ".bin") {
			return 4 << 10, 100 * time.Millisecond
		}
		return 0, 0
	}
	_, ev := open(t, srv, "master.m3u8", Options{ABR: abr.Options{Initial: 2}})
	applied := ev.waitFor(t, "a down-switch", func(e Event) bool {
		va, ok := e.(VariantApplied)
		return ok && va.From == 2
	}).(VariantApplied)
	if applied.To >= 2 || applied.Segment != 1 || applied.Reason != abr.ReasonDownLowBuffer {
		t.Errorf("VariantApplied %+v, want a switch below variant 2 at segment 1 for a low buffer", applied)
	}
	for _, e := range ev.snapshot() {
		if s, ok := e.(ThroughputSample); ok && s.BitsPerSecond > 400_000 {
			t.Errorf("throttled server measured at %.0f bit/s", s.BitsPerSecond)
		}
	}
	next := fmt.Sprintf("v%d/seg1.bin", applied.To)
	ev.waitFor(t, "segment 1 of the lower variant", func(e Event) bool {
		c, ok := e.(SegmentComplete)
		return ok && c.Segment == 1 && c.Variant == applied.To
	})
	if srv.count(next) != 1 || srv.count("v2/seg1.bin") != 0 {
		t.Errorf("segment 1 fetched %d times from %s and %d times from v2, want once and never",
			srv.count(next), next, srv.count("v2/seg1.bin"))
	}
}

func TestABRGoesUpWhenTheServerIsFast(t *testing.T) {
	srv := newTestServer(t, abrPresentation.files())
	src, ev := open(t, srv, "master.m3u8", Options{})
	ev.waitFor(t, "end of stream", func(e Event) bool { _, ok := e.(EndOfStream); return ok })
	applied := ev.waitFor(t, "an up-switch", func(e Event) bool { _, ok := e.(VariantApplied); return ok && e.(VariantApplied).From == 0 }).(VariantApplied)
	// The idle reader lets the buffer grow by 2 s a segment; the switch
	// waits for the 10 s that an up-switch needs, and goes straight to the
	// top variant, which loopback carries many times over.
	if applied.To != 2 || applied.Segment != 5 || applied.Reason != abr.ReasonUpSwitch {
		t.Errorf("VariantApplied %+v, want 0 -> 2 at segment 5, up-switch", applied)
	}
	var levels []time.Duration
	for _, e := range ev.snapshot() {
		if b, ok := e.(BufferLevel); ok {
			levels = append(levels, b.Ahead)
		}
	}
	if len(levels) != 8 || levels[4] != 10*time.Second {
		t.Errorf("buffer levels %v, want 8 of them growing by 2 s", levels)
	}

	d := src.Driver()
	if est, ok := d.Estimate(); d.Variant() != 2 || !ok || est < 520_000 {
		t.Errorf("driver on variant %d with estimate %.0f, %v; want variant 2 and over 520 kbit/s", d.Variant(), est, ok)
	}
	if ahead := d.BufferAhead(); ahead != 16*time.Second {
		t.Errorf("BufferAhead = %v before reading, want all 16 s", ahead)
	}

	// The byte space holds segments 0..7: 0..4 from v0, 5..7 from v2.
	got, err := readAll(t, src)
	if err != nil {
		t.Fatal(err)
	}
	if ahead := d.BufferAhead(); ahead != 0 {
		t.Errorf("BufferAhead = %v after reading everything, want 0", ahead)
	}
	if s := trail(got); s != "v0/0 v0/1 v0/2 v0/3 v0/4 v2/5 v2/6 v2/7" {
		t.Errorf("byte space holds %s", s)
	}
	if n := srv.countPrefix("v1/seg"); n != 0 {
		t.Errorf("%d requests for variant 1", n)
	}
}

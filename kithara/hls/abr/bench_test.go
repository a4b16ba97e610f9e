package abr

import (
	"testing"
	"time"
)

func BenchmarkDecide(b *testing.B) {
	clock := &fakeClock{now: time.Unix(1000, 0)}
	bws := []uint64{64_000, 128_000, 256_000, 512_000, 1_000_000, 2_000_000, 4_000_000, 8_000_000}
	c, err := New(bws, Options{Initial: 3, Now: clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	c.AddSample(sampleAt(3_000_000))
	b.ReportAllocs()
	for b.Loop() {
		if d := c.Decide(20 * time.Second); d.Target < 0 {
			b.Fatal(d)
		}
	}
}

func BenchmarkAddSample(b *testing.B) {
	c, err := New(bandwidths, Options{})
	if err != nil {
		b.Fatal(err)
	}
	s := Sample{Bytes: 32_000, Duration: 20 * time.Millisecond}
	b.ReportAllocs()
	for b.Loop() {
		c.AddSample(s)
	}
}

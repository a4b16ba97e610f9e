package bufpool

import (
	"fmt"
	"sync"
	"testing"
)

func TestGetLengthAndCapacity(t *testing.T) {
	var p Pool[byte]
	for _, n := range []int{0, 1, 63, 64, 65, 1000, 64 << 10, 64<<10 + 1, 1 << 24} {
		b := p.Get(n)
		if len(b) != n {
			t.Fatalf("Get(%d): len %d", n, len(b))
		}
		if c := cap(b); c < n || (n > 64 && c >= 2*n) {
			t.Fatalf("Get(%d): cap %d, want the next power of two", n, c)
		}
		p.Put(b)
	}
	if b := p.Get(-5); len(b) != 0 {
		t.Fatalf("Get(-5): len %d", len(b))
	}
}

func TestPutThenGetReuses(t *testing.T) {
	// sync.Pool may drop items at any GC and, under the race detector, at
	// random; reuse is likely but never guaranteed, so look for it over many
	// tries rather than once.
	var p Pool[float32]
	reused := false
	for i := 0; i < 100 && !reused; i++ {
		b := p.Get(4096)
		b[0] = 42
		p.Put(b)
		c := p.Get(4000)
		reused = &c[:1][0] == &b[0]
		p.Put(c)
	}
	if !reused {
		t.Fatal("a buffer put back was never handed out again")
	}
}

func TestPutFilesByCapacity(t *testing.T) {
	var p Pool[byte]
	// A foreign slice with a capacity between classes serves the class below.
	// (sync.Pool may drop any Put, so try a few times.)
	odd := make([]byte, 10, 3000)
	for i := 0; i < 100; i++ {
		p.Put(odd)
		b := p.Get(2048)
		if len(b) != 2048 || cap(b) < 2048 {
			t.Fatalf("Get(2048) returned len %d, cap %d", len(b), cap(b))
		}
		if &b[:1][0] == &odd[:1][0] {
			return
		}
	}
	t.Fatal("a 3000-capacity slice never served a 2048 request")
}

func TestOutOfRangeSizes(t *testing.T) {
	var p Pool[byte]
	p.Put(make([]byte, 10)) // too small to keep
	p.Put(nil)
	huge := p.Get(1<<24 + 1)
	if len(huge) != 1<<24+1 {
		t.Fatalf("huge Get: len %d", len(huge))
	}
	p.Put(huge) // too large to keep; must not land in a class
	if b := p.Get(1 << 24); cap(b) > 1<<24 {
		t.Fatalf("a huge buffer was kept: cap %d", cap(b))
	}
}

func TestClasses(t *testing.T) {
	tests := []struct {
		n, forClass, ofClass int
		forOK, ofOK          bool
	}{
		{0, 0, 0, true, false},
		{64, 0, 0, true, true},
		{65, 1, 0, true, true},
		{128, 1, 1, true, true},
		{1 << 24, maxShift - minShift, maxShift - minShift, true, true},
		{1<<24 + 1, 0, 0, false, false},
		{1 << 25, 0, 0, false, false},
	}
	for _, tt := range tests {
		if c, ok := classFor(tt.n); c != tt.forClass || ok != tt.forOK {
			t.Errorf("classFor(%d) = %d, %v; want %d, %v", tt.n, c, ok, tt.forClass, tt.forOK)
		}
		if c, ok := classOf(tt.n); c != tt.ofClass || ok != tt.ofOK {
			t.Errorf("classOf(%d) = %d, %v; want %d, %v", tt.n, c, ok, tt.ofClass, tt.ofOK)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				n := 1 + (i*(g+1))%20000
				b := Bytes.Get(n)
				for j := range b {
					b[j] = byte(g)
				}
				for j := range b {
					if b[j] != byte(g) {
						t.Errorf("buffer shared between goroutines")
						return
					}
				}
				Bytes.Put(b)
			}
		}()
	}
	wg.Wait()
}

var sink []byte

func BenchmarkGetPut(b *testing.B) {
	for _, n := range []int{4 << 10, 64 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("pool/%dKiB", n>>10), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				buf := Bytes.Get(n)
				buf[0] = 1
				Bytes.Put(buf)
			}
		})
		b.Run(fmt.Sprintf("make/%dKiB", n>>10), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				buf := make([]byte, n)
				buf[0] = 1
				sink = buf
			}
		})
	}
}

func BenchmarkGetPutParallel(b *testing.B) {
	const n = 64 << 10
	b.Run("pool", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				buf := Bytes.Get(n)
				buf[0] = 1
				Bytes.Put(buf)
			}
		})
	})
	b.Run("make", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			var local []byte
			for pb.Next() {
				local = make([]byte, n)
				local[0] = 1
			}
			_ = local
		})
	})
}

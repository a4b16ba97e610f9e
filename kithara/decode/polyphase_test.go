package decode

import (
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/hotpath-go/hotpath/kithara/bufpool"
)

// bankRatios are the conversions the bank tests run: the common ones, an
// upsampling by 6, downsamplings that stretch the filter, and odd
// denominators.
var bankRatios = [][2]int{
	{44100, 48000}, {48000, 44100}, {22050, 48000}, {32000, 48000},
	{8000, 48000}, {96000, 44100}, {88200, 96000}, {16000, 44100},
}

// resetBanks empties the bank cache, so a test sees banks built under it.
func resetBanks() {
	banks.Lock()
	banks.m = nil
	banks.Unlock()
}

// sameBank fails unless got holds exactly the filters of want, bit for bit.
func sameBank(t *testing.T, got, want *polyBank) {
	t.Helper()
	if got == nil {
		t.Fatal("no bank")
	}
	if got.num != want.num || got.den != want.den || got.nl != want.nl || got.nr != want.nr {
		t.Fatalf("bank %d/%d taps %d+%d, want %d/%d taps %d+%d",
			got.num, got.den, got.nl, got.nr, want.num, want.den, want.nl, want.nr)
	}
	if len(got.w) != len(want.w) {
		t.Fatalf("%d weights, want %d", len(got.w), len(want.w))
	}
	for i := range got.w {
		if math.Float32bits(got.w[i]) != math.Float32bits(want.w[i]) {
			t.Fatalf("weight %d = %v, want %v", i, got.w[i], want.w[i])
		}
	}
}

// resampleWith runs a stereo two-tone signal at in Hz through a resampler to
// out Hz in chunks of uneven size, flushes it, and returns all the output.
// With fresh set, the resampler's bank is replaced, before the first frame
// is filtered, by one built for it alone.
func resampleWith(t testing.TB, in, out int, fresh bool) []float32 {
	const frames = 9000
	src := sine(frames, 0, in, 0.5, 440, 3000)
	f := Format{SampleRate: in, Channels: 2}
	r := NewResampler(out)
	// An empty chunk starts the stream (and picks the bank) without output.
	r.Process(Chunk{Format: f}).Release()
	if fresh {
		g := gcd(in, out)
		r.bank = newPolyBank(int64(in/g), int64(out/g))
	}
	var got []float32
	for off, n := 0, 0; off < frames; off += n {
		n = min(700+off%577, frames-off)
		c := bufpool.Float32.Get(n * 2)
		copy(c, src[off*2:(off+n)*2])
		o := r.Process(Chunk{Format: f, Samples: c})
		got = append(got, o.Samples...)
		o.Release()
	}
	o := r.Flush()
	got = append(got, o.Samples...)
	o.Release()
	return got
}

func sameSamples(got, want []float32) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d samples, want %d", len(got), len(want))
	}
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			return fmt.Errorf("sample %d = %v, want %v", i, got[i], want[i])
		}
	}
	return nil
}

// TestBankForMatchesFreshBank checks that the shared bank is the one a
// resampler would build for itself, and that resampling with it gives the
// same output, bit for bit, as with a bank of its own.
func TestBankForMatchesFreshBank(t *testing.T) {
	for _, rr := range bankRatios {
		in, out := rr[0], rr[1]
		t.Run(fmt.Sprintf("%d-%d", in, out), func(t *testing.T) {
			g := gcd(in, out)
			sameBank(t, bankFor(in, out), newPolyBank(int64(in/g), int64(out/g)))
			shared := resampleWith(t, in, out, false)
			if len(shared) == 0 {
				t.Fatal("no output")
			}
			if err := sameSamples(shared, resampleWith(t, in, out, true)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestBankForSharesByReducedRatio(t *testing.T) {
	resetBanks()
	a := bankFor(44100, 48000)
	if a == nil || a.num != 147 || a.den != 160 {
		t.Fatalf("44100→48000: bank %+v, want 147/160", a)
	}
	if b := bankFor(44100, 48000); b != a {
		t.Error("a second 44100→48000 resampler got another bank")
	}
	if b := bankFor(88200, 96000); b != a {
		t.Error("88200→96000 did not share the 147/160 bank")
	}
	if b := bankFor(48000, 44100); b == a || b == nil || b.num != 160 || b.den != 147 {
		t.Errorf("48000→44100: bank %+v, want its own 160/147", b)
	}
	for _, rr := range [][2]int{{48000, 48000}, {44100, 48001}, {0, 48000}, {44100, 0}} {
		if b := bankFor(rr[0], rr[1]); b != nil {
			t.Errorf("%d→%d: got a %d/%d bank, want none", rr[0], rr[1], b.num, b.den)
		}
	}
}

func TestBankCacheBounded(t *testing.T) {
	resetBanks()
	defer resetBanks()
	for k := 1; k <= 3*maxBanks; k++ {
		b := bankFor(k, k+1) // reduced already: k/(k+1)
		sameBank(t, b, newPolyBank(int64(k), int64(k+1)))
		banks.Lock()
		n := len(banks.m)
		banks.Unlock()
		if n > maxBanks {
			t.Fatalf("after %d ratios the cache holds %d banks, want at most %d", k, n, maxBanks)
		}
	}
	// The most recent ratio is still cached.
	banks.Lock()
	e := banks.m[bankKey{3 * maxBanks, 3*maxBanks + 1}]
	banks.Unlock()
	if e == nil || e.b == nil {
		t.Error("the last ratio was not kept")
	}
}

// TestResamplersShareBankConcurrently starts resamplers of the same ratios
// at once on an empty cache, so they race to build and read the banks (run
// it with -race), and checks every output against a bank of its own.
func TestResamplersShareBankConcurrently(t *testing.T) {
	ratios := [][2]int{{44100, 48000}, {22050, 48000}}
	want := make([][]float32, len(ratios))
	for i, rr := range ratios {
		want[i] = resampleWith(t, rr[0], rr[1], true)
	}
	resetBanks()
	const perRatio = 4
	// One error slot per goroutine (no channel: a channel operation here
	// would make hotpathgen want a twin of this file).
	errs := make([]error, perRatio*len(ratios))
	var wg sync.WaitGroup
	for i, rr := range ratios {
		for j := range perRatio {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := sameSamples(resampleWith(t, rr[0], rr[1], false), want[i]); err != nil {
					errs[i*perRatio+j] = fmt.Errorf("%d→%d: %w", rr[0], rr[1], err)
				}
			}()
		}
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	banks.Lock()
	n := len(banks.m)
	banks.Unlock()
	if n != len(ratios) {
		t.Errorf("cache holds %d banks after %d ratios", n, len(ratios))
	}
}

// BenchmarkResamplerStart is what a new pipeline pays for its resampler:
// creating it and starting a 44.1 → 48 kHz stream, with the bank shared
// ("shared") and, for comparison, building its bank ("build-bank").
func BenchmarkResamplerStart(b *testing.B) {
	f := Format{SampleRate: 44100, Channels: 2}
	b.Run("shared", func(b *testing.B) {
		bankFor(44100, 48000)
		b.ReportAllocs()
		for b.Loop() {
			r := NewResampler(48000)
			r.Process(Chunk{Format: f}).Release()
		}
	})
	b.Run("build-bank", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r := NewResampler(48000)
			r.Process(Chunk{Format: f}).Release()
			r.bank = newPolyBank(147, 160)
		}
	})
}

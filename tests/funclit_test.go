//go:build hotpath

package tests

import (
	"math"
	"testing"

	hotpath "github.com/hotpath-go/hotpath/runtime"
	"github.com/hotpath-go/hotpath/runtime/hotpathtest"

	"github.com/hotpath-go/hotpath/kithara/bufpool"
	"github.com/hotpath-go/hotpath/kithara/decode"
)

// fnPolyBankBuild is the function literal that builds a resampler's
// polyphase filter bank (decode's bankFor hands it to the bank's sync.Once),
// measured under a label.
const fnPolyBankBuild = "poly_bank_build"

// TestProfilePolyBankBuild resamples 37.8 kHz audio (CD-ROM XA, a rate no
// other test uses, so the process-wide bank cache has neither ratio yet)
// with four resamplers to 44.1 kHz and one to 48 kHz. The bank of a ratio is
// built once and shared, so the measured literal runs twice, not five
// times, and in allocation mode its row holds exactly the two banks: for
// 6:7 (37800:44100) 7 phases of 64 taps, 1792 bytes of float32, and for
// 63:80 80 phases, 20480 bytes, each with its 56-byte polyBank (a 64-byte
// size class). The row's Symbol (decode.bankFor.func1) is what finds those
// allocations on the heap profile's stacks.
func TestProfilePolyBankBuild(t *testing.T) {
	g := hotpathtest.Start(t, hotpath.Options{Name: t.Name(), Percentiles: profilePercentiles, Format: hotpath.FormatNone, Alloc: true})
	const frames = 4096
	in := decode.Format{SampleRate: 37800, Channels: 2}
	for _, out := range []int{44100, 44100, 44100, 44100, 48000} {
		r := decode.NewResampler(out)
		buf := bufpool.Float32.Get(2 * frames)
		for i := range frames {
			v := float32(0.5 * math.Sin(2*math.Pi*440*float64(i)/37800))
			buf[2*i], buf[2*i+1] = v, v
		}
		c := r.Process(decode.Chunk{Format: in, Samples: buf})
		if c.Format.SampleRate != out || c.Frames() == 0 {
			t.Errorf("37800 -> %d Hz: %d frames at %d Hz", out, c.Frames(), c.Format.SampleRate)
		}
		c.Release()
	}
	rep := stopProfile(t, g)

	wantCalls(t, rep, fnPolyBankBuild, 2)
	f := wantTimed(t, rep, fnPolyBankBuild)
	if f.MinNS <= 0 {
		t.Errorf("%s: min %d ns", fnPolyBankBuild, f.MinNS)
	}
	const banks = (1792 + 64) + (20480 + 64)
	if f.SelfAllocObjects != 4 || f.SelfAllocBytes != banks {
		t.Errorf("%s: %d objects, %d bytes allocated; want the two banks: 4 objects, %d bytes",
			fnPolyBankBuild, f.SelfAllocObjects, f.SelfAllocBytes, banks)
	}
	// Each bank is built by the Process that first needs it, inside the
	// measured process call.
	if p := row(t, rep, fnProcess); p.Calls != 5 || p.AllocBytes < banks {
		t.Errorf("%s: %d calls, %d bytes; want 5 calls and at least the banks' %d bytes", fnProcess, p.Calls, p.AllocBytes, banks)
	}
}

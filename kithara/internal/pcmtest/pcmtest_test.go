package pcmtest

import (
	"math"
	"testing"
)

func TestF32LE(t *testing.T) {
	got, err := F32LE([]byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0xbf})
	if err != nil || len(got) != 2 || got[0] != 1 || got[1] != -0.5 {
		t.Fatalf("F32LE = %v, %v; want [1 -0.5]", got, err)
	}
	if _, err := F32LE([]byte{1, 2, 3}); err == nil {
		t.Error("F32LE of 3 bytes: no error")
	}
}

func TestSNR(t *testing.T) {
	want := []float32{1, -1, 1, -1}
	if s := SNR(want, want); !math.IsInf(s, 1) {
		t.Errorf("SNR of equal signals = %v, want +Inf", s)
	}
	// An error of a tenth of the amplitude on every sample is 20 dB down
	// (within float32 rounding of 1.1).
	got := []float32{1.1, -1.1, 1.1, -1.1}
	if s := SNR(want, got); math.Abs(s-20) > 1e-4 {
		t.Errorf("SNR = %v, want 20 dB", s)
	}
}

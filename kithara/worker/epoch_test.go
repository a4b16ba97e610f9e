package worker

import (
	"math"
	"testing"
)

func TestEpochValidator(t *testing.T) {
	var v EpochValidator
	if !v.Valid(0) || v.Valid(1) {
		t.Fatal("a fresh validator must accept epoch 0 only")
	}
	if e := v.Next(); e != 1 || v.Epoch() != 1 {
		t.Fatalf("Next = %d, Epoch = %d, want 1", e, v.Epoch())
	}
	if v.Valid(0) || !v.Valid(1) {
		t.Fatal("after Next only the new epoch is valid")
	}
	v.epoch = math.MaxUint64
	if e := v.Next(); e != 0 || !v.Valid(0) || v.Valid(math.MaxUint64) {
		t.Fatalf("wrap: Next = %d", e)
	}
}

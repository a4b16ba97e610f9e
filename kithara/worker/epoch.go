package worker

// EpochValidator is the consumer's side of epoch tracking: it holds the epoch
// the consumer expects, is bumped on every seek, and tells whether an item
// belongs to the current epoch. The zero value starts at epoch 0, matching a
// fresh source. It is not safe for concurrent use; it lives with the consumer.
type EpochValidator struct {
	epoch uint64
}

// Epoch reports the current epoch.
func (v *EpochValidator) Epoch() uint64 { return v.epoch }

// Next moves to a new epoch and returns it. Epochs wrap around at the end of
// uint64, and validity is equality, so wrapping is harmless.
func (v *EpochValidator) Next() uint64 {
	v.epoch++
	return v.epoch
}

// Valid reports whether an item of the given epoch belongs to the current one.
func (v *EpochValidator) Valid(epoch uint64) bool { return epoch == v.epoch }

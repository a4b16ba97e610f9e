package aac

import "fmt"

// state holds what persists between access units.
type state struct {
	cfg Config
}

func newState(cfg Config) *state { return &state{cfg: cfg} }

func (s *state) reset() {}

func (s *state) decode(au []byte, dst []float32) ([]float32, error) {
	return dst, fmt.Errorf("raw_data_block decoding not written yet: %w", ErrUnsupported)
}

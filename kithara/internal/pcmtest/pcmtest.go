// Package pcmtest holds what the decoders' accuracy tests share: reference
// PCM as ffmpeg writes it with -f f32le, and the signal-to-noise ratio of a
// decode against it.
package pcmtest

import (
	"encoding/binary"
	"fmt"
	"math"
)

// F32LE decodes little-endian float32 samples, as ffmpeg's -f f32le writes
// them (channels interleaved).
func F32LE(b []byte) ([]float32, error) {
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("%d bytes is not a whole number of float32 samples", len(b))
	}
	f := make([]float32, len(b)/4)
	for i := range f {
		f[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return f, nil
}

// SNR returns the ratio, in dB, of want's power to the power of got's
// difference from want, over want's length (got must be at least as long);
// +Inf when they are equal.
func SNR(want, got []float32) float64 {
	var sig, noise float64
	for i := range want {
		d := float64(want[i]) - float64(got[i])
		sig += float64(want[i]) * float64(want[i])
		noise += d * d
	}
	if noise == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(sig/noise)
}

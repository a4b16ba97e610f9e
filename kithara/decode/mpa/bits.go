package mpa

import "encoding/binary"

// bitReader reads big-endian bit fields from b. Reads past the end return
// zero bits; pos keeps counting, so callers can tell they overran.
type bitReader struct {
	b   []byte
	pos int // in bits
}

// peek returns the next 32 bits, most significant first, without consuming
// them.
func (r *bitReader) peek() uint32 {
	i := r.pos >> 3
	if i >= 0 && i+8 <= len(r.b) {
		return uint32((binary.BigEndian.Uint64(r.b[i:]) << (r.pos & 7)) >> 32)
	}
	var w uint64
	for k := range 8 {
		w <<= 8
		if j := i + k; j >= 0 && j < len(r.b) {
			w |= uint64(r.b[j])
		}
	}
	return uint32((w << (r.pos & 7)) >> 32)
}

// read consumes and returns n bits, 0 <= n <= 24.
func (r *bitReader) read(n int) int {
	if n == 0 {
		return 0
	}
	v := r.peek() >> (32 - n)
	r.pos += n
	return int(v)
}

// bit consumes one bit.
func (r *bitReader) bit() int { return r.read(1) }

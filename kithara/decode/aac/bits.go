package aac

// bitReader reads big-endian bit fields from a byte slice. Reading past the
// end yields zero bits and sets overrun, which callers check once per
// syntax element group instead of after every read.
type bitReader struct {
	b       []byte
	pos     int // bit position of the next read
	end     int // len(b)*8
	overrun bool
}

func newBitReader(b []byte) bitReader { return bitReader{b: b, end: len(b) * 8} }

// peek32 returns the next 32 bits, left-aligned, without consuming them;
// bits past the end read as zero.
func (r *bitReader) peek32() uint32 {
	i := r.pos >> 3
	var v uint64
	if i+8 <= len(r.b) {
		v = uint64(r.b[i])<<56 | uint64(r.b[i+1])<<48 | uint64(r.b[i+2])<<40 | uint64(r.b[i+3])<<32 |
			uint64(r.b[i+4])<<24 | uint64(r.b[i+5])<<16 | uint64(r.b[i+6])<<8 | uint64(r.b[i+7])
	} else {
		for k := 0; k < 8; k++ {
			v <<= 8
			if i+k < len(r.b) && i+k >= 0 {
				v |= uint64(r.b[i+k])
			}
		}
	}
	return uint32(v << uint(r.pos&7) >> 32)
}

// skip consumes n bits.
func (r *bitReader) skip(n int) {
	r.pos += n
	if r.pos > r.end {
		r.overrun = true
		r.pos = r.end
	}
}

// read consumes and returns the next n bits, 0 <= n <= 32.
func (r *bitReader) read(n int) uint32 {
	if n == 0 {
		return 0
	}
	v := r.peek32() >> uint(32-n)
	r.skip(n)
	return v
}

// bit consumes one bit.
func (r *bitReader) bit() bool { return r.read(1) != 0 }

// left reports the number of unread bits.
func (r *bitReader) left() int { return r.end - r.pos }

// align skips to the next byte boundary.
func (r *bitReader) align() { r.skip((8 - r.pos&7) & 7) }

package stream

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

// FuzzSyncReader runs a random program of reads and seeks against a SyncReader
// and against bytes.Reader over the same bytes; every result must agree.
//
// The program's first bytes choose the data size, chunk size, prefetch depth
// and whether the source lends its bytes (the top bit of the fourth); then each operation takes 4 bytes: an opcode and a 16-bit argument.
func FuzzSyncReader(f *testing.F) {
	f.Add([]byte{0x10, 0x00, 7, 2, 0, 0, 5, 0, 1, 0, 0, 3})
	f.Add([]byte{0x10, 0x00, 7, 0x82, 0, 0, 5, 0, 1, 0, 0, 3})
	f.Add([]byte{0xff, 0x0f, 0, 4, 3, 0, 0xff, 0xff, 0, 1, 0, 0, 2, 0, 100, 0, 1, 2, 0})
	f.Add([]byte{0x00, 0x00, 3, 0, 0, 0, 1, 0, 4, 1, 2, 0})
	f.Add([]byte{0x40, 0x01, 16, 1,
		1, 0, 0x20, 0, // seek +32 from start
		0, 0, 3, 0, // read 3
		2, 0, 0xf0, 0xff, // seek -16 from current
		3, 0, 0x10, 0, // read full 16
		4, 2, 0x08, 0, // seek +8 from end
		0, 0, 1, 0, // read 1
	})
	f.Fuzz(func(t *testing.T, prog []byte) {
		if len(prog) < 4 {
			return
		}
		size := int(binary.LittleEndian.Uint16(prog))
		chunk := 1 + int(prog[2])%64
		depth := int(prog[3]&0x7f) % 5
		lends := prog[3]&0x80 == 0
		prog = prog[4:]

		data := pattern(size)
		model := bytes.NewReader(data)
		// Half the programs read a MemSource, which lends its bytes, the
		// other half a source that does not, which the reader copies from.
		var src Source = NewMemSource(data)
		if !lends {
			src = &hookSource{MemSource: NewMemSource(data)}
		}
		r := NewSyncReader(t.Context(), src, WithChunkSize(chunk), WithPrefetchDepth(depth))
		defer r.Close()

		for step := 0; len(prog) >= 4 && step < 64; step, prog = step+1, prog[4:] {
			op, arg := prog[0]%5, int64(int16(binary.LittleEndian.Uint16(prog[2:])))
			switch op {
			case 0: // one Read: the reader may return fewer bytes than asked
				n := 1 + int(uint16(arg))%300
				got := make([]byte, n)
				k, err := r.Read(got)
				want := make([]byte, k)
				if k == 0 {
					if err != io.EOF || model.Len() != 0 {
						t.Fatalf("step %d: Read(%d) = 0, %v with %d bytes left", step, n, err, model.Len())
					}
					continue
				}
				if err != nil {
					t.Fatalf("step %d: Read(%d) = %d, %v", step, n, k, err)
				}
				if _, err := io.ReadFull(model, want); err != nil || !bytes.Equal(got[:k], want) {
					t.Fatalf("step %d: Read(%d) gave %d bytes that differ from the model", step, n, k)
				}
			case 3: // io.ReadFull: counts and errors must match exactly
				n := 1 + int(uint16(arg))%300
				got, want := make([]byte, n), make([]byte, n)
				k, err := io.ReadFull(r, got)
				wk, werr := io.ReadFull(model, want)
				if k != wk || !errors.Is(err, werr) || !bytes.Equal(got[:k], want[:wk]) {
					t.Fatalf("step %d: ReadFull(%d) = %d, %v; model %d, %v", step, n, k, err, wk, werr)
				}
			default: // Seek with whence 0, 1 or 2
				whence := int(op - 1)
				pos, err := r.Seek(arg, whence)
				wpos, werr := model.Seek(arg, whence)
				if (err == nil) != (werr == nil) || (err == nil && pos != wpos) {
					t.Fatalf("step %d: Seek(%d, %d) = %d, %v; model %d, %v", step, arg, whence, pos, err, wpos, werr)
				}
			}
		}
	})
}

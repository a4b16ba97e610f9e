package aac

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// bitWriter builds bitstreams for tests.
type bitWriter struct {
	b []byte
	n int // bits written
}

func (w *bitWriter) put(v uint32, bits int) {
	for i := bits - 1; i >= 0; i-- {
		if w.n%8 == 0 {
			w.b = append(w.b, 0)
		}
		w.b[len(w.b)-1] |= byte(v>>i&1) << (7 - w.n%8)
		w.n++
	}
}

// code writes the codeword of codebook cb (1 to 11) for values v.
func (w *bitWriter) code(t *testing.T, cb int, v ...int8) {
	t.Helper()
	var want [4]int8
	copy(want[:], v)
	for _, c := range spectralCodebooks[cb-1] {
		if c.v == want {
			w.put(c.code, int(c.n))
			return
		}
	}
	t.Fatalf("codebook %d has no codeword for %v", cb, v)
}

// sf writes a scalefactor delta.
func (w *bitWriter) sf(t *testing.T, delta int) {
	for _, c := range scalefactorCodebook {
		if int(c.v[0]) == delta+60 {
			w.put(c.code, int(c.n))
			return
		}
	}
	t.Fatalf("no scalefactor code for %d", delta)
}

// TestPulsesAndEscapes decodes a hand-made single channel element with an
// escape codebook band (an escape value and signs), a quad band and pulse
// data, and checks the quantized spectrum.
func TestPulsesAndEscapes(t *testing.T) {
	var w bitWriter
	w.put(elemSCE, 3)
	w.put(0, 4)   // element_instance_tag
	w.put(100, 8) // global_gain
	w.put(0, 1)   // ics_reserved_bit
	w.put(onlyLong, 2)
	w.put(shapeSine, 1)
	w.put(2, 6) // max_sfb
	w.put(0, 1) // predictor_data_present
	// section_data: band 0 in codebook 11, band 1 in codebook 1.
	w.put(11, 4)
	w.put(1, 5)
	w.put(1, 4)
	w.put(1, 5)
	w.sf(t, 0)
	w.sf(t, 4)
	// pulse_data: two pulses from band 0: +1 amplitude 3, +4 amplitude 2.
	w.put(1, 1)
	w.put(1, 2)
	w.put(0, 6)
	w.put(1, 5)
	w.put(3, 4)
	w.put(4, 5)
	w.put(2, 4)
	w.put(0, 1) // tns_data_present
	w.put(0, 1) // gain_control_data_present
	// Band 0 (4 coefficients): (-35, 0) with an escape, then (2, -5).
	w.code(t, 11, 16, 0)
	w.put(1, 1)     // sign of the first value: negative
	w.put(0b10, 2)  // escape prefix: one 1, then the separator
	w.put(35-32, 5) // escape word: 2^5 + 3
	w.code(t, 11, 2, 5)
	w.put(0b01, 2) // signs: +2, -5
	// Band 1: (1, 0, -1, 0) in the signed quad codebook.
	w.code(t, 1, 1, 0, -1, 0)
	w.put(elemEND, 3)

	d, err := NewDecoder(Config{ObjectType: ObjectTypeLC, SampleRate: 44100, Channels: 1, FrameLength: 1024})
	if err != nil {
		t.Fatal(err)
	}
	out, err := d.Decode(w.b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1024 {
		t.Fatalf("%d samples", len(out))
	}
	want := []int32{-35, -3, 2, -5, 1, -2, -1, 0}
	q := d.st.ch[0].q[:8]
	for i := range want {
		if q[i] != want[i] {
			t.Fatalf("quantized spectrum %v, want %v", q, want)
		}
	}
	for _, v := range d.st.ch[0].q[8:] {
		if v != 0 {
			t.Fatal("coefficients above band 1 are not zero")
		}
	}
	if d.st.used.pulseSets != 1 || d.st.ch[0].sf[0][1] != 104 {
		t.Errorf("pulse sets %d, band 1 scalefactor %d", d.st.used.pulseSets, d.st.ch[0].sf[0][1])
	}
	for _, v := range out {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatal("non-finite output")
		}
	}

	// The same block cut short is an error, and the decoder goes on.
	if _, err := d.Decode(w.b[:len(w.b)-3], nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("truncated block: %v, want ErrInvalid", err)
	}
	if _, err := d.Decode(w.b, nil); err != nil {
		t.Errorf("after a bad block: %v", err)
	}
}

// TestFixturesUseEveryCodebook checks that the fixtures together exercise
// all eleven spectral codebooks, noise and both intensity codebooks.
func TestFixturesUseEveryCodebook(t *testing.T) {
	var used [16]int
	for _, name := range []string{"lc44s", "lc8m", "short22s", "tools24s"} {
		b, err := os.ReadFile(filepath.Join(fixtureDir, name+".aac"))
		if err != nil {
			t.Fatal(err)
		}
		aus, cfg := adtsFrames(t, b)
		d, err := NewDecoder(cfg)
		if err != nil {
			t.Fatal(err)
		}
		decodeAll(t, d, aus, nil)
		for i, n := range d.st.used.codebooks {
			used[i] += n
		}
	}
	t.Logf("bands by codebook: %v", used)
	for cb := 1; cb <= 15; cb++ {
		if cb == 12 {
			continue
		}
		if used[cb] == 0 {
			t.Errorf("no fixture uses codebook %d", cb)
		}
	}
}

func TestParseASC(t *testing.T) {
	for _, tc := range []struct {
		name string
		asc  []byte
		want Config
		err  error
	}{
		{"lc 44.1 stereo", []byte{0x12, 0x10}, Config{2, 44100, 2, 1024}, nil},
		{"lc 8k mono", []byte{0x15, 0x88}, Config{2, 8000, 1, 1024}, nil},
		{"lc 960", []byte{0x12, 0x14}, Config{2, 44100, 2, 960}, ErrUnsupported},
		{"he-aac explicit", []byte{0x2b, 0x92, 0x08, 0x00}, Config{5, 22050, 2, 1024}, ErrUnsupported},
		{"he-aac backward compatible", []byte{0x13, 0x10, 0x56, 0xe5, 0x98}, Config{5, 24000, 2, 1024}, ErrUnsupported},
		{"5.1", []byte{0x11, 0xb0}, Config{2, 48000, 6, 1024}, ErrUnsupported},
		{"main", []byte{0x0a, 0x10}, Config{1, 44100, 2, 1024}, ErrUnsupported},
		{"explicit rate", []byte{0x17, 0x80, 0x5d, 0xc0, 0x10}, Config{2, 48000, 2, 1024}, nil},
	} {
		got, err := ParseASC(tc.asc)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
		if err := got.Validate(); !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
			t.Errorf("%s: Validate = %v, want %v", tc.name, err, tc.err)
		}
	}
	for _, bad := range [][]byte{nil, {0x12}, {0x17, 0x80}, {0x16, 0x80}} {
		if _, err := ParseASC(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseASC(% x) = %v, want ErrInvalid", bad, err)
		}
	}
}

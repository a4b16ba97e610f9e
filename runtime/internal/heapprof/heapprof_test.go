package heapprof

import (
	"encoding/binary"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
)

// realProfile is a heap profile runtime/pprof wrote (see testdata/mkprofile).
func realProfile(tb testing.TB) []byte {
	tb.Helper()
	data, err := os.ReadFile("testdata/heap.pb")
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// TestDecodeRealProfile checks every sample, location and frame of a real
// profile against github.com/google/pprof's own decoder.
func TestDecodeRealProfile(t *testing.T) {
	data := realProfile(t)
	p, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	want, err := profile.ParseUncompressed(data)
	if err != nil {
		t.Fatal(err)
	}
	objIdx, bytesIdx := -1, -1
	for i, st := range want.SampleType {
		switch st.Type {
		case "alloc_objects":
			objIdx = i
		case "alloc_space":
			bytesIdx = i
		}
	}
	if len(p.Samples) != len(want.Sample) || len(p.Samples) == 0 {
		t.Fatalf("%d samples, pprof decodes %d", len(p.Samples), len(want.Sample))
	}
	if len(p.Locations) != len(want.Location) {
		t.Fatalf("%d locations, pprof decodes %d", len(p.Locations), len(want.Location))
	}
	for i, s := range p.Samples {
		ws := want.Sample[i]
		if s.Objects != ws.Value[objIdx] || s.Bytes != ws.Value[bytesIdx] {
			t.Errorf("sample %d: %d objects %d bytes, pprof %d %d", i, s.Objects, s.Bytes, ws.Value[objIdx], ws.Value[bytesIdx])
		}
		if len(s.Locs) != len(ws.Location) {
			t.Fatalf("sample %d: %d locations, pprof %d", i, len(s.Locs), len(ws.Location))
		}
		var key []byte
		for j, li := range s.Locs {
			wl := ws.Location[j]
			key = binary.LittleEndian.AppendUint64(key, wl.Address)
			frames := p.Locations[li]
			if len(frames) != len(wl.Line) {
				t.Fatalf("sample %d location %d: %d frames, pprof %d", i, j, len(frames), len(wl.Line))
			}
			for k, fr := range frames {
				wf := wl.Line[k]
				if fr.Function != wf.Function.Name || fr.File != wf.Function.Filename || fr.Line != wf.Line {
					t.Errorf("sample %d location %d frame %d: %+v, pprof %s %s:%d", i, j, k, fr, wf.Function.Name, wf.Function.Filename, wf.Line)
				}
			}
		}
		if s.Key != string(key) {
			t.Errorf("sample %d: key %x, want the addresses %x", i, s.Key, key)
		}
		if len(ws.Location) > 0 && s.Leaf != ws.Location[0].Address {
			t.Errorf("sample %d: leaf %#x, pprof's first location %#x", i, s.Leaf, ws.Location[0].Address)
		}
	}

	// What mkprofile allocated: 100 slices of 48 bytes on line 23 of
	// allocSmall, and
	// allocInlined's frame inlined into main.main's at one location.
	var small int64
	inlined := false
	for _, s := range p.Samples {
		fr := p.Locations[s.Locs[0]]
		if fr[0].Function == "main.allocSmall" && fr[0].Line == 23 {
			if s.Bytes != 48*s.Objects {
				t.Errorf("allocSmall line 23: %d objects %d bytes, want 48 bytes each", s.Objects, s.Bytes)
			}
			small += s.Objects
		}
		if fr[0].Function == "main.allocInlined" && len(fr) == 2 && fr[1].Function == "main.main" {
			inlined = true
			if s.Objects != 5 || s.Bytes != 5*208 {
				t.Errorf("allocInlined: %d objects %d bytes, want 5 of 208 (the size class of 200)", s.Objects, s.Bytes)
			}
		}
	}
	if small != 100 {
		t.Errorf("allocSmall: %d objects of 48 bytes, want 100", small)
	}
	if !inlined {
		t.Error("no location with main.allocInlined inlined into main.main")
	}
}

// TestDecodeOwnsMemory checks that the profile does not alias its input.
func TestDecodeOwnsMemory(t *testing.T) {
	data := realProfile(t)
	p, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	before := p.Locations[p.Samples[0].Locs[0]][0].Function
	clear(data)
	if got := p.Locations[p.Samples[0].Locs[0]][0].Function; got != before {
		t.Fatalf("function name changed with the input: %q, was %q", got, before)
	}
}

// msg builds protocol buffer messages for the tests.
type msg []byte

func (m msg) varint(num int, v uint64) msg {
	m = binary.AppendUvarint(m, uint64(num)<<3|wireVarint)
	return binary.AppendUvarint(m, v)
}

func (m msg) bytes(num int, b []byte) msg {
	m = binary.AppendUvarint(m, uint64(num)<<3|wireBytes)
	m = binary.AppendUvarint(m, uint64(len(b)))
	return append(m, b...)
}

func (m msg) str(num int, s string) msg { return m.bytes(num, []byte(s)) }

func (m msg) packed(num int, vs ...uint64) msg {
	var b []byte
	for _, v := range vs {
		b = binary.AppendUvarint(b, v)
	}
	return m.bytes(num, b)
}

func (m msg) fixed64(num int) msg {
	m = binary.AppendUvarint(m, uint64(num)<<3|wireFixed64)
	return append(m, 1, 2, 3, 4, 5, 6, 7, 8)
}

func (m msg) fixed32(num int) msg {
	m = binary.AppendUvarint(m, uint64(num)<<3|wireFixed32)
	return append(m, 1, 2, 3, 4)
}

// handBuilt is a profile with what an encoder may do that runtime/pprof's
// does not: sample types in another order, unpacked location ids and
// values, fixed-size fields, and the string table before the messages.
func handBuilt() []byte {
	var m msg
	for _, s := range []string{"", "inuse_space", "bytes", "alloc_space", "alloc_objects", "count", "pkg.F", "f.go", "pkg.G", "g.go", "inuse_objects"} {
		m = m.str(profileString, s)
	}
	for _, typ := range []uint64{1, 3, 4, 10} { // inuse_space, alloc_space, alloc_objects, inuse_objects
		m = m.bytes(profileSampleType, msg{}.varint(valueTypeType, typ).varint(2, 2))
	}
	m = m.bytes(profileFunction, msg{}.varint(functionID, 7).varint(functionName, 6).varint(functionFilename, 7).fixed64(9))
	m = m.bytes(profileFunction, msg{}.varint(functionID, 8).varint(functionName, 8).varint(functionFilename, 9))
	// Location 20 at 0x1000: G inlined into F. Location 21 at 0x2000: F.
	m = m.bytes(profileLocation, msg{}.varint(locationID, 20).varint(locationAddress, 0x1000).
		bytes(locationLine, msg{}.varint(lineFunctionID, 8).varint(lineLine, 12)).
		bytes(locationLine, msg{}.varint(lineFunctionID, 7).varint(lineLine, 30)))
	m = m.bytes(profileLocation, msg{}.varint(locationID, 21).varint(locationAddress, 0x2000).fixed32(9).
		bytes(locationLine, msg{}.varint(lineFunctionID, 7).varint(lineLine, 31)))
	m = m.bytes(profileSample, msg{}.packed(sampleLocationID, 20, 21).packed(sampleValue, 100, 640, 10, 50))
	m = m.bytes(profileSample, msg{}.varint(sampleLocationID, 21).
		varint(sampleValue, 0).varint(sampleValue, 96).varint(sampleValue, 3).varint(sampleValue, 0))
	m = m.bytes(profileSample, msg{}.packed(sampleValue, 0, 0, 0, 0))
	m = m.fixed64(9).varint(12, 99) // fields Decode does not read
	return m
}

func TestDecodeHandBuilt(t *testing.T) {
	p, err := Decode(handBuilt())
	if err != nil {
		t.Fatal(err)
	}
	wantLocs := [][]Frame{
		{{Function: "pkg.G", File: "g.go", Line: 12}, {Function: "pkg.F", File: "f.go", Line: 30}},
		{{Function: "pkg.F", File: "f.go", Line: 31}},
	}
	if !slices.EqualFunc(p.Locations, wantLocs, slices.Equal) {
		t.Errorf("locations %+v, want %+v", p.Locations, wantLocs)
	}
	key := func(addrs ...uint64) string {
		var b []byte
		for _, a := range addrs {
			b = binary.LittleEndian.AppendUint64(b, a)
		}
		return string(b)
	}
	want := []Sample{
		{Key: key(0x1000, 0x2000), Locs: []int32{0, 1}, Objects: 10, Bytes: 640, Leaf: 0x1000},
		{Key: key(0x2000), Locs: []int32{1}, Objects: 3, Bytes: 96, Leaf: 0x2000},
		{Key: "", Locs: []int32{}, Objects: 0, Bytes: 0, Leaf: 0},
	}
	if len(p.Samples) != len(want) {
		t.Fatalf("%d samples, want %d", len(p.Samples), len(want))
	}
	for i, s := range p.Samples {
		w := want[i]
		if s.Key != w.Key || !slices.Equal(s.Locs, w.Locs) || s.Objects != w.Objects || s.Bytes != w.Bytes || s.Leaf != w.Leaf {
			t.Errorf("sample %d: %+v, want %+v", i, s, w)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	// A minimal valid profile, which the cases below break one way each.
	base := func() msg {
		var m msg
		for _, s := range []string{"", "alloc_objects", "alloc_space", "count", "bytes", "pkg.F", "f.go"} {
			m = m.str(profileString, s)
		}
		m = m.bytes(profileSampleType, msg{}.varint(valueTypeType, 1).varint(2, 3))
		m = m.bytes(profileSampleType, msg{}.varint(valueTypeType, 2).varint(2, 4))
		return m
	}
	fn := msg{}.varint(functionID, 1).varint(functionName, 5).varint(functionFilename, 6)
	loc := msg{}.varint(locationID, 1).varint(locationAddress, 0x10).bytes(locationLine, msg{}.varint(lineFunctionID, 1).varint(lineLine, 3))
	valid := base().bytes(profileFunction, fn).bytes(profileLocation, loc).bytes(profileSample, msg{}.packed(sampleLocationID, 1).packed(sampleValue, 1, 8))
	if p, err := Decode(valid); err != nil || len(p.Samples) != 1 || p.Samples[0].Bytes != 8 {
		t.Fatalf("valid base profile: %+v, %v", p, err)
	}

	for _, tc := range []struct {
		name string
		data []byte
		want string // in the error's text
		is   error  // errors.Is, if not nil
	}{
		{"tag cut in its varint", append(slices.Clone(valid), 0x80), "truncated", ErrTruncated},
		{"length beyond the end", append(slices.Clone(valid), byte(profileSample<<3|wireBytes), 5, 1), "truncated", ErrTruncated},
		{"varint value cut", append(slices.Clone(valid), byte(12<<3|wireVarint), 0xff), "truncated", ErrTruncated},
		{"fixed64 cut", append(slices.Clone(valid), byte(12<<3|wireFixed64), 1, 2, 3), "truncated", ErrTruncated},
		{"fixed32 cut", append(slices.Clone(valid), byte(12<<3|wireFixed32), 1), "truncated", ErrTruncated},
		{"packed varint cut", base().bytes(profileFunction, fn).bytes(profileLocation, loc).bytes(profileSample, msg{}.bytes(sampleLocationID, []byte{0x81})), "truncated", ErrTruncated},
		{"nested message cut", base().bytes(profileFunction, []byte{byte(functionName<<3 | wireVarint)}), "truncated", ErrTruncated},
		{"unknown wire type", append(slices.Clone(valid), byte(12<<3|3)), "unknown wire type 3", nil},
		{"no sample types", msg{}.str(profileString, ""), "no alloc_objects and alloc_space sample types", nil},
		{"only alloc_objects", msg{}.str(profileString, "").str(profileString, "alloc_objects").bytes(profileSampleType, msg{}.varint(valueTypeType, 1)), "no alloc_objects and alloc_space", nil},
		{"sample type string out of range", msg{}.str(profileString, "").bytes(profileSampleType, msg{}.varint(valueTypeType, 9)), "string index 9 out of range", nil},
		{"function name out of range", base().bytes(profileFunction, msg{}.varint(functionID, 1).varint(functionName, 70)), "string index 70 out of range", nil},
		{"function file out of range", base().bytes(profileFunction, msg{}.varint(functionID, 1).varint(functionFilename, 71)), "string index 71 out of range", nil},
		{"unknown function", base().bytes(profileLocation, loc), "location refers to unknown function 1", nil},
		{"unknown location", base().bytes(profileFunction, fn).bytes(profileSample, msg{}.packed(sampleLocationID, 4).packed(sampleValue, 1, 8)), "sample refers to unknown location 4", nil},
		{"too few values", base().bytes(profileSample, msg{}.packed(sampleValue, 1)), "sample has 1 values, want at least 2", nil},
		{"ints as fixed64", base().bytes(profileSample, msg{}.fixed64(sampleValue)), "field 2: wire type 1 for integers", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Decode(tc.data)
			if err == nil {
				t.Fatalf("no error; decoded %+v", p)
			}
			if p != nil {
				t.Errorf("a profile with the error %v", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
		})
	}
}

// TestDecodeEveryPrefix decodes every prefix of the real profile: a cut
// inside a field is ErrTruncated, and a cut between fields either decodes
// consistently or names what is missing.
func TestDecodeEveryPrefix(t *testing.T) {
	data := realProfile(t)
	for n := range len(data) {
		p, err := Decode(data[:n])
		if err != nil {
			if p != nil {
				t.Fatalf("prefix %d: a profile with the error %v", n, err)
			}
			continue
		}
		checkConsistent(t, p)
	}
}

// checkConsistent checks what holds for every profile Decode returns.
func checkConsistent(t *testing.T, p *Profile) {
	t.Helper()
	for i, s := range p.Samples {
		if len(s.Key) != 8*len(s.Locs) {
			t.Fatalf("sample %d: key of %d bytes for %d locations", i, len(s.Key), len(s.Locs))
		}
		for _, li := range s.Locs {
			if li < 0 || int(li) >= len(p.Locations) {
				t.Fatalf("sample %d: location index %d of %d", i, li, len(p.Locations))
			}
		}
		switch {
		case len(s.Locs) == 0 && s.Leaf != 0:
			t.Fatalf("sample %d: leaf %#x without locations", i, s.Leaf)
		case len(s.Locs) > 0 && s.Leaf != binary.LittleEndian.Uint64([]byte(s.Key)):
			t.Fatalf("sample %d: leaf %#x is not the first address of its key %x", i, s.Leaf, s.Key)
		}
	}
}

func FuzzDecode(f *testing.F) {
	data := realProfile(f)
	f.Add(data)
	f.Add(handBuilt())
	// Truncated and corrupted copies of the real profile.
	f.Add(data[:len(data)/2])
	f.Add(data[:len(data)-1])
	f.Add(data[:7])
	for _, at := range []int{0, 1, 5, len(data) / 3, len(data) / 2, len(data) - 3} {
		c := slices.Clone(data)
		c[at] ^= 0x5a
		f.Add(c)
	}
	huge := slices.Clone(data)
	huge[1] = 0xff // the first field's length, now far beyond the end
	f.Add(huge)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Decode(data)
		if err != nil {
			if p != nil {
				t.Fatalf("a profile with the error %v", err)
			}
			return
		}
		checkConsistent(t, p)
	})
}

// Package heapprof decodes the heap profiles runtime/pprof writes
// (profile.proto of github.com/google/pprof, uncompressed) into the few
// things hotpath's allocation mode needs: each sample's stack with its
// cumulative alloc_objects and alloc_space, and each location's frames.
//
// It is a small hand-written protocol buffer reader rather than a
// dependency: the decoder runs while the heap profiler records every
// allocation, so it allocates in bulk and as little as it can.
package heapprof

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Profile is a decoded heap profile.
type Profile struct {
	Samples []Sample
	// Locations are symbolised code locations: the frames at one address,
	// innermost (inlined) first.
	Locations [][]Frame
}

// Sample is one record of the profile: a stack with its cumulative
// allocation counts.
type Sample struct {
	// Key identifies the stack across reads of the profile: the addresses
	// of its locations, 8 bytes each, little-endian.
	Key  string
	Locs []int32 // indices into Profile.Locations, allocation site first
	// Objects and Bytes are the sample's alloc_objects and alloc_space.
	Objects, Bytes int64
	// Leaf is the address of the first location, which runtime/pprof's
	// encoding computes as the first kept PC - 1 (0 without locations).
	Leaf uint64
}

// Frame is one frame of a location. Its File is the file the encoding
// gives the whole function, which need not be the file of this line.
type Frame struct {
	Function, File string
	Line           int64
}

// Field numbers of profile.proto (github.com/google/pprof), the format of
// runtime/pprof's encoding; only those read here.
const (
	profileSampleType = 1
	profileSample     = 2
	profileLocation   = 4
	profileFunction   = 5
	profileString     = 6

	valueTypeType = 1

	sampleLocationID = 1
	sampleValue      = 2

	locationID      = 1
	locationAddress = 3
	locationLine    = 4

	lineFunctionID = 1
	lineLine       = 2

	functionID       = 1
	functionName     = 2
	functionFilename = 4
)

// Decode decodes an uncompressed heap profile. Every allocation it makes
// is recorded by the heap profiler at rate 1, at the cost of a stack walk,
// so it allocates in bulk: one copy of the data for all strings, and
// shared backing arrays for frames, stacks and keys. The profile shares no
// memory with data.
func Decode(data []byte) (*Profile, error) {
	// The string table comes last, so keep the messages whole until the
	// end of the top level.
	var sampleTypes, samples, locations, functions [][]byte
	var strs []string
	text := string(data)
	err := eachField(data, func(f protoField) error {
		switch f.num {
		case profileSampleType:
			sampleTypes = append(sampleTypes, f.bytes)
		case profileSample:
			samples = append(samples, f.bytes)
		case profileLocation:
			locations = append(locations, f.bytes)
		case profileFunction:
			functions = append(functions, f.bytes)
		case profileString:
			strs = append(strs, text[f.off:f.off+len(f.bytes)])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	str := func(i uint64) (string, error) {
		if i >= uint64(len(strs)) {
			return "", fmt.Errorf("string index %d out of range", i)
		}
		return strs[i], nil
	}

	// The values of a heap profile sample are alloc_objects, alloc_space,
	// inuse_objects and inuse_space; find the first two by name. At
	// MemProfileRate 1 they are the runtime's counts, unscaled.
	objIdx, bytesIdx := -1, -1
	for i, b := range sampleTypes {
		var typ uint64
		err := eachField(b, func(f protoField) error {
			if f.num == valueTypeType {
				typ = f.value
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		name, err := str(typ)
		if err != nil {
			return nil, err
		}
		switch name {
		case "alloc_objects":
			objIdx = i
		case "alloc_space":
			bytesIdx = i
		}
	}
	if objIdx < 0 || bytesIdx < 0 {
		return nil, errors.New("no alloc_objects and alloc_space sample types")
	}

	type function struct{ name, file string }
	funcByID := make(map[uint64]function, len(functions))
	for _, b := range functions {
		var id, name, file uint64
		err := eachField(b, func(f protoField) error {
			switch f.num {
			case functionID:
				id = f.value
			case functionName:
				name = f.value
			case functionFilename:
				file = f.value
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		var fn function
		if fn.name, err = str(name); err != nil {
			return nil, err
		}
		if fn.file, err = str(file); err != nil {
			return nil, err
		}
		funcByID[id] = fn
	}

	p := &Profile{Locations: make([][]Frame, 0, len(locations))}
	// Sub-slices of an arena stay valid when appending moves it.
	frameArena := make([]Frame, 0, 2*len(locations))
	type location struct {
		index   int32
		address uint64
	}
	locByID := make(map[uint64]location, len(locations))
	for _, b := range locations {
		var id, address uint64
		start := len(frameArena)
		err := eachField(b, func(f protoField) error {
			switch f.num {
			case locationID:
				id = f.value
			case locationAddress:
				address = f.value
			case locationLine:
				var fnID, line uint64
				err := eachField(f.bytes, func(f protoField) error {
					switch f.num {
					case lineFunctionID:
						fnID = f.value
					case lineLine:
						line = f.value
					}
					return nil
				})
				if err != nil {
					return err
				}
				fn, ok := funcByID[fnID]
				if !ok {
					return fmt.Errorf("location refers to unknown function %d", fnID)
				}
				frameArena = append(frameArena, Frame{Function: fn.name, File: fn.file, Line: int64(line)})
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		locByID[id] = location{index: int32(len(p.Locations)), address: address}
		p.Locations = append(p.Locations, frameArena[start:len(frameArena):len(frameArena)])
	}

	p.Samples = make([]Sample, 0, len(samples))
	var ids, values []uint64
	locArena := make([]int32, 0, 16*len(samples))
	var keys []byte
	keyEnds := make([]int, 0, len(samples))
	for _, b := range samples {
		ids, values = ids[:0], values[:0]
		err := eachField(b, func(f protoField) error {
			var err error
			switch f.num {
			case sampleLocationID:
				ids, err = f.appendInts(ids)
			case sampleValue:
				values, err = f.appendInts(values)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		if len(values) <= max(objIdx, bytesIdx) {
			return nil, fmt.Errorf("sample has %d values, want at least %d", len(values), max(objIdx, bytesIdx)+1)
		}
		s := Sample{Objects: int64(values[objIdx]), Bytes: int64(values[bytesIdx])}
		start := len(locArena)
		for i, id := range ids {
			loc, ok := locByID[id]
			if !ok {
				return nil, fmt.Errorf("sample refers to unknown location %d", id)
			}
			if i == 0 {
				s.Leaf = loc.address
			}
			locArena = append(locArena, loc.index)
			keys = binary.LittleEndian.AppendUint64(keys, loc.address)
		}
		s.Locs = locArena[start:len(locArena):len(locArena)]
		keyEnds = append(keyEnds, len(keys))
		p.Samples = append(p.Samples, s)
	}
	allKeys, start := string(keys), 0
	for i, end := range keyEnds {
		p.Samples[i].Key = allKeys[start:end]
		start = end
	}
	return p, nil
}

// Protocol buffer wire types.
const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
	wireFixed32 = 5
)

// ErrTruncated is the error (possibly wrapped) for data that ends inside a
// field.
var ErrTruncated = errors.New("truncated protocol buffer")

// protoField is one field of a message: a varint in value, or the
// contents of a length-delimited field in bytes. The values of fixed-size
// fields, which the fields read here never are, are skipped.
type protoField struct {
	num   int
	wire  int
	value uint64
	bytes []byte
	off   int // where bytes starts in the message
}

// appendInts appends the integers of a repeated field, which an encoder
// may write one per field or packed into one length-delimited field.
func (f protoField) appendInts(dst []uint64) ([]uint64, error) {
	switch f.wire {
	case wireVarint:
		return append(dst, f.value), nil
	case wireBytes:
		for b := f.bytes; len(b) > 0; {
			v, n := binary.Uvarint(b)
			if n <= 0 {
				return dst, ErrTruncated
			}
			dst = append(dst, v)
			b = b[n:]
		}
		return dst, nil
	}
	return dst, fmt.Errorf("field %d: wire type %d for integers", f.num, f.wire)
}

// eachField calls fn for every field of a protocol buffer message.
func eachField(msg []byte, fn func(protoField) error) error {
	for data := msg; len(data) > 0; {
		k, n := binary.Uvarint(data)
		if n <= 0 {
			return ErrTruncated
		}
		data = data[n:]
		f := protoField{num: int(k >> 3), wire: int(k & 7)}
		switch f.wire {
		case wireVarint:
			if f.value, n = binary.Uvarint(data); n <= 0 {
				return ErrTruncated
			}
		case wireBytes:
			size, m := binary.Uvarint(data)
			if m <= 0 || size > uint64(len(data)-m) {
				return ErrTruncated
			}
			f.bytes = data[m : m+int(size)]
			f.off = len(msg) - len(data) + m
			n = m + int(size)
		case wireFixed64:
			n = 8
		case wireFixed32:
			n = 4
		default:
			return fmt.Errorf("unknown wire type %d", f.wire)
		}
		if n > len(data) {
			return ErrTruncated
		}
		data = data[n:]
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

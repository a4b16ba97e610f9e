//go:build amd64 && !race

package core

import "unsafe"

// The owner of a shard — the goroutine pinned to the shard's P — is its
// only writer, so it updates fields with plain loads and stores: no locked
// instruction. Readers on other Ps load the fields atomically, which on
// amd64 are plain loads too, and bracket their reads with the shard's
// sequence number (see shard). amd64 keeps stores in program order and
// loads in program order (TSO), and the compiler keeps memory operations
// in program order and removes a store only when a later store to the same
// word follows with no load between: every owner update of the sequence
// number is followed by loads of the shard's fields, so both stores of it
// stay. The race detector cannot know any of this; the race build and
// other architectures use atomic stores instead (shardstore_atomic.go).

func storeU64(p *uint64, v uint64) { *p = v }
func storeI64(p *int64, v int64)   { *p = v }

// storeBuf stores entry i of a shard's buffer of 16-bit entries, packed
// two to a word.
func storeBuf(buf *[shardBufWords]uint32, i uint64, v uint16) {
	(*[2 * shardBufWords]uint16)(unsafe.Pointer(buf))[i%(2*shardBufWords)] = v
}

// loadBuf4 returns entries 4j to 4j+3 of a shard's buffer, entry 4j in
// the low 16 bits; only its owner calls it.
func loadBuf4(buf *[shardBufWords]uint32, j uint64) uint64 {
	return (*[shardBufWords / 2]uint64)(unsafe.Pointer(buf))[j%(shardBufWords/2)]
}

func loadU64(p *uint64) uint64 { return *p }
func loadI64(p *int64) int64   { return *p }

// loadBuf returns entry i of a shard's buffer; only its owner calls it.
func loadBuf(buf *[shardBufWords]uint32, i uint64) uint16 {
	return (*[2 * shardBufWords]uint16)(unsafe.Pointer(buf))[i%(2*shardBufWords)]
}

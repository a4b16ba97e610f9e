//go:build !amd64 || race

package core

import "sync/atomic"

// The race build and architectures without amd64's store ordering update
// shard fields with atomic stores (see shardstore_plain.go).

func storeU64(p *uint64, v uint64) { atomic.StoreUint64(p, v) }
func storeI64(p *int64, v int64)   { atomic.StoreInt64(p, v) }

// storeBuf stores entry i of a shard's buffer of 16-bit entries, packed
// two to a word (the low half first). Only the owner writes the word.
func storeBuf(buf *[shardBufWords]uint32, i uint64, v uint16) {
	w := &buf[i/2%shardBufWords]
	old := atomic.LoadUint32(w)
	if i%2 == 0 {
		atomic.StoreUint32(w, old&^0xffff|uint32(v))
	} else {
		atomic.StoreUint32(w, old&0xffff|uint32(v)<<16)
	}
}

// The owner loads atomically too: the race detector orders an atomic
// store of one goroutine before an atomic load of the next goroutine to
// own the shard, not before a plain load.
func loadU64(p *uint64) uint64 { return atomic.LoadUint64(p) }
func loadI64(p *int64) int64   { return atomic.LoadInt64(p) }

// loadBuf4 returns entries 4j to 4j+3 of a shard's buffer, entry 4j in
// the low 16 bits.
func loadBuf4(buf *[shardBufWords]uint32, j uint64) uint64 {
	lo := atomic.LoadUint32(&buf[2*j%shardBufWords])
	hi := atomic.LoadUint32(&buf[(2*j+1)%shardBufWords])
	return uint64(lo) | uint64(hi)<<32
}

// loadBuf returns entry i of a shard's buffer.
func loadBuf(buf *[shardBufWords]uint32, i uint64) uint16 {
	return uint16(atomic.LoadUint32(&buf[i/2%shardBufWords]) >> (16 * (i % 2)))
}

package core

import "sync/atomic"

// ChanSnapshot is a site's numbers at one instant, merged over its shards.
type ChanSnapshot struct {
	chanCounts
	send, recv DurationSummary
}

func (st *ChanState) snapshot() ChanSnapshot {
	var s ChanSnapshot
	s.created = st.created.Load()
	s.closed = st.closed.Load()
	s.maxDepth = st.maxDepth.Load()
	var v chanShard
	st.mu.Lock()
	s.depth = st.depth
	for i := range st.shards {
		sh := st.shards[i].Load()
		if sh == nil {
			continue
		}
		sh.read(&v)
		s.maxDepth = max(s.maxDepth, v.maxDepth)
		for j := range v.n {
			e := uint16(v.buf[j/2] >> (16 * (j % 2)))
			s.depth[e>>8&1][e&0xff]++
		}
	}
	st.mu.Unlock()
	st.blockMu.Lock()
	s.send, s.recv = st.send.summary(), st.recv.summary()
	st.blockMu.Unlock()
	return s
}

// read copies sh, consistently, into v (see shard.read).
func (sh *chanShard) read(v *chanShard) {
	for spins := 0; ; waitShard(&spins) {
		s1 := atomic.LoadUint64(&sh.seq)
		if s1&1 == 0 {
			v.maxDepth = atomic.LoadUint64(&sh.maxDepth)
			v.n = atomic.LoadUint64(&sh.n)
			for i := range sh.buf {
				v.buf[i] = atomic.LoadUint32(&sh.buf[i])
			}
			if atomic.LoadUint64(&sh.seq) == s1 {
				v.n = min(v.n, shardBufLen)
				return
			}
		}
	}
}

// ops returns the number of operations of a kind.
func (c *chanCounts) ops(kind int) uint64 {
	var n uint64
	for _, v := range c.depth[kind] {
		n += v
	}
	return n
}

// depthCount returns the number of depth samples in bucket b.
func (c *chanCounts) depthCount(b int) uint64 {
	return c.depth[kindSend][b] + c.depth[kindRecv][b]
}

func (s ChanSnapshot) used() bool {
	return s.created > 0 || s.closed > 0 || s.ops(kindSend) > 0 || s.ops(kindRecv) > 0 ||
		s.send.count > 0 || s.recv.count > 0
}

// since returns what happened between base and s. The exact maximum depth
// of a window is known only when no depth was sampled before it; otherwise
// it comes from the window's samples, within their precision.
func (s ChanSnapshot) since(base ChanSnapshot) ChanSnapshot {
	d := ChanSnapshot{send: s.send.since(base.send), recv: s.recv.since(base.recv)}
	for k := range d.depth {
		for b := range d.depth[k] {
			d.depth[k][b] = s.depth[k][b] - base.depth[k][b]
		}
	}
	d.created = s.created - base.created
	d.closed = s.closed - base.closed
	if base.ops(kindSend)+base.ops(kindRecv) == 0 {
		d.maxDepth = s.maxDepth
		return d
	}
	for b := depthBuckets - 1; b >= 0; b-- {
		if d.depthCount(b) > 0 {
			d.maxDepth = min(depthBucketHigh(b), s.maxDepth)
			break
		}
	}
	return d
}

// depthAtPercentile returns the depth at or below which p percent of the
// total samples fall: the highest depth of the first bucket that reaches
// that share, as an HDR histogram answers.
func (c *chanCounts) depthAtPercentile(p float64, total uint64) uint64 {
	want := max(uint64(p/100*float64(total)+0.5), 1)
	var seen uint64
	for b := range depthBuckets {
		seen += c.depthCount(b)
		if seen >= want {
			return depthBucketHigh(b)
		}
	}
	return depthBucketHigh(depthBuckets - 1)
}

// chanBaseline snapshots every site in use, for a guard that starts now.
func chanBaseline() map[*ChanSite]ChanSnapshot {
	b := map[*ChanSite]ChanSnapshot{}
	for _, s := range chanSites.list() {
		if snap := s.state.Load().snapshot(); snap.used() {
			b[s] = snap
		}
	}
	return b
}

package prom

import (
	"math"
	"testing"

	hotpath "github.com/hotpath-go/hotpath/runtime"
)

// FuzzNativeBuckets checks the conversion of increasing HDR-like buckets
// into native buckets at any schema and cap: every value lands in the
// bucket that holds it, nothing is lost, spans and deltas decode back.
func FuzzNativeBuckets(f *testing.F) {
	f.Add(int64(1), int64(1000), uint64(3), int8(3), int16(160))
	f.Add(int64(999_936), int64(512), uint64(1), int8(8), int16(-1))
	f.Add(int64(3_600_000_000_000), int64(1), uint64(7), int8(-4), int16(1))
	f.Add(int64(2048), int64(3), uint64(100), int8(0), int16(2))
	f.Fuzz(func(t *testing.T, start, step int64, count uint64, schema int8, maxBuckets int16) {
		if start < 1 || step < 1 || start > 3_600_000_000_000 || count == 0 || count > 1<<40 {
			return
		}
		s := min(max(int32(schema), -4), 8)
		var bs []hotpath.Bucket
		var total uint64
		for v := start; v <= 3_600_000_000_000 && len(bs) < 200; v += step {
			bs = append(bs, hotpath.Bucket{Low: v, High: v, Count: count})
			total += count
			step *= 2
			if step <= 0 {
				break
			}
		}
		nb := nativeOf(bs, s, int(maxBuckets))
		if nb.schema > s || nb.schema < -4 {
			t.Fatalf("schema %d from %d", nb.schema, s)
		}
		k, i, cur := 0, 0, int64(0)
		got := map[int]uint64{}
		var sum uint64
		for si, sp := range nb.spans {
			if si == 0 {
				k = int(sp.GetOffset())
			} else {
				if sp.GetOffset() < 1 {
					t.Fatalf("span %d offset %d: spans must not touch", si, sp.GetOffset())
				}
				k += int(sp.GetOffset())
			}
			for range sp.GetLength() {
				cur += nb.deltas[i]
				if cur <= 0 {
					t.Fatalf("bucket %d count %d", k, cur)
				}
				got[k] = uint64(cur)
				sum += uint64(cur)
				i++
				k++
			}
		}
		if i != len(nb.deltas) || sum != total {
			t.Fatalf("%d deltas, %d decoded; sum %d, want %d", len(nb.deltas), i, sum, total)
		}
		if maxBuckets >= 0 && len(got) > int(maxBuckets) && nb.schema > -4 {
			t.Fatalf("%d buckets over the cap %d at schema %d", len(got), maxBuckets, nb.schema)
		}
		for _, b := range bs {
			v := float64(b.High) / 1e9
			key := nativeKey(v, nb.schema)
			if got[key] == 0 {
				t.Fatalf("%g should be in bucket %d at schema %d: %v", v, key, nb.schema, got)
			}
			if !(upper(key-1, nb.schema) < v && v <= upper(key, nb.schema)*(1+1e-15)) {
				t.Fatalf("%g not in bucket %d", v, key)
			}
		}
	})
}

// nativeOf returns the native buckets at the schema of HDR buckets in
// increasing order: each goes whole into the native bucket that holds its
// highest value.
func nativeOf(bs []hotpath.Bucket, schema int32, maxBuckets int) native {
	var nb []kv
	bound := math.Inf(-1)
	for _, b := range bs {
		v := float64(b.High) / 1e9
		if v <= bound {
			nb[len(nb)-1].n += b.Count
			continue
		}
		k := nativeKey(v, schema)
		bound = upper(k, schema)
		nb = append(nb, kv{k, b.Count})
	}
	return nativeBuckets(nb, schema, maxBuckets)
}

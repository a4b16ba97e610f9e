package assets

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestIndexRoundTrip(t *testing.T) {
	a, b := newAssetEntry("aa"), newAssetEntry("bb")
	a.lastUsed, b.lastUsed = 3, 7
	a.resources["seg/1.ts"] = resourceRecord{size: 10, complete: true}
	a.resources["master.m3u8"] = resourceRecord{size: 5}
	data, err := encodeIndex(9, []*assetEntry{a, b})
	if err != nil {
		t.Fatal(err)
	}
	idx, err := decodeIndex(data)
	if err != nil {
		t.Fatalf("decoding what encodeIndex wrote: %v\n%s", err, data)
	}
	if idx.Clock != 9 || len(idx.Assets) != 2 || idx.Assets[0].Root != "aa" || idx.Assets[1].LastUsed != 7 {
		t.Fatalf("decoded %+v", idx)
	}
	res := idx.Assets[0].Resources
	if len(res) != 2 || res[0] != (indexResource{"master.m3u8", 5, false}) || res[1] != (indexResource{"seg/1.ts", 10, true}) {
		t.Fatalf("resources %+v", res)
	}
}

// FuzzDecodeIndex feeds arbitrary bytes to the index parser: it must never
// panic, and whatever it accepts must name only paths inside the cache.
func FuzzDecodeIndex(f *testing.F) {
	f.Add([]byte(`{"version":1,"clock":2,"assets":[{"root":"ab","last_used":1,"resources":[{"key":"x/y.ts","size":3,"complete":true}]}]}`))
	f.Add([]byte(`{"version":1,"clock":0,"assets":[]}`))
	f.Add([]byte(`{"version":1,"clock":1,"assets":[{"root":"../x","last_used":1,"resources":[]}]}`))
	f.Add([]byte(`{"version":1,"clock":1,"assets":[{"root":"a","last_used":1,"resources":[{"key":"../../etc","size":1}]}]}`))
	f.Add([]byte(`{"version":1`))
	f.Add([]byte("\x00garbage"))
	base := filepath.FromSlash("/cache")
	f.Fuzz(func(t *testing.T, data []byte) {
		idx, err := decodeIndex(data)
		if err != nil {
			return
		}
		for _, a := range idx.Assets {
			dir := filepath.Join(base, a.Root)
			if filepath.Dir(dir) != base || strings.HasPrefix(a.Root, "_") {
				t.Fatalf("accepted root %q maps to %q", a.Root, dir)
			}
			for _, r := range a.Resources {
				p := filepath.Join(dir, filepath.FromSlash(r.Key))
				if !strings.HasPrefix(p, dir+string(filepath.Separator)) || r.Size < 0 {
					t.Fatalf("accepted resource %+v maps to %q", r, p)
				}
			}
		}
	})
}

package aac

import (
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

// TestDecodersRunConcurrently decodes the same stream with several
// decoders at once: each must give exactly what one decoder gives alone.
// The IMDCT plans are shared, their working memory is not (run with -race;
// a player seeking opens a new decoder while the old one still decodes).
func TestDecodersRunConcurrently(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(fixtureDir, "short22s.aac"))
	if err != nil {
		t.Fatal(err)
	}
	aus, cfg := adtsFrames(t, b)
	alone, err := NewDecoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := decodeAll(t, alone, aus, nil)

	const n = 4
	got := make([][]float32, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			dec, err := NewDecoder(cfg)
			if err != nil {
				t.Error(err)
				return
			}
			var out []float32
			for j, au := range aus {
				if out, err = dec.Decode(au, out); err != nil {
					t.Errorf("decoder %d, access unit %d: %v", i+1, j, err)
					return
				}
			}
			got[i] = out
		})
	}
	wg.Wait()
	for i, g := range got {
		if !slices.Equal(g, want) {
			t.Errorf("decoder %d of %d running at once decoded differently from one alone", i+1, n)
		}
	}
}

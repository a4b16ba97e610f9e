//go:build !hotpath

package storage

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestAtomicWriteRead(t *testing.T) {
	dir := t.TempDir()
	var sizes []int64
	a := NewAtomic(filepath.Join(dir, "x", "playlist.m3u8"), AtomicOptions{OnWrite: func(n int64) { sizes = append(sizes, n) }})

	if _, err := a.Read(); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Read of a missing file = %v, want fs.ErrNotExist", err)
	}
	if err := a.Write([]byte("#EXTM3U\nfirst\n")); err != nil {
		t.Fatal(err)
	}
	if err := a.Write([]byte("#EXTM3U\n")); err != nil {
		t.Fatal(err)
	}
	got, err := a.Read()
	if err != nil || string(got) != "#EXTM3U\n" {
		t.Fatalf("Read() = %q, %v", got, err)
	}
	if len(sizes) != 2 || sizes[0] != 14 || sizes[1] != 8 {
		t.Fatalf("OnWrite saw %v, want [14 8]", sizes)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "x"))
	if len(entries) != 1 || entries[0].Name() != "playlist.m3u8" {
		t.Fatalf("directory holds %v; temporary files were left behind", entries)
	}
}

func TestAtomicWriteFailsCleanly(t *testing.T) {
	dir := t.TempDir()
	// The target is a non-empty directory, so the rename must fail.
	target := filepath.Join(dir, "key")
	if err := os.MkdirAll(filepath.Join(target, "inner"), 0o755); err != nil {
		t.Fatal(err)
	}
	a := NewAtomic(target, AtomicOptions{OnWrite: func(int64) { t.Error("OnWrite called for a failed write") }})
	if err := a.Write([]byte("k")); err == nil {
		t.Fatal("Write over a directory succeeded")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), TempPrefix) {
			t.Fatalf("temporary file %s left behind", e.Name())
		}
	}
}

// TestAtomicReadersNeverSeePartialContent races readers against writers of
// two large, distinct payloads: every read must be one payload whole.
func TestAtomicReadersNeverSeePartialContent(t *testing.T) {
	a := NewAtomic(filepath.Join(t.TempDir(), "index.json"), AtomicOptions{})
	v1 := bytes.Repeat([]byte("A"), 256<<10)
	v2 := bytes.Repeat([]byte("B"), 200<<10)
	if err := a.Write(v1); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := range 2 {
		wg.Go(func() {
			for k := 0; k < 20; k++ {
				v := v1
				if (i+k)%2 == 1 {
					v = v2
				}
				if err := a.Write(v); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	var readers sync.WaitGroup
	for range 2 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				got, err := a.Read()
				if err != nil {
					t.Error(err)
					return
				}
				if !bytes.Equal(got, v1) && !bytes.Equal(got, v2) {
					t.Errorf("read %d bytes that are neither version", len(got))
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
}

package assets

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/hotpath-go/hotpath/kithara/internal/fdtest"
)

// TestCompleteResourcesShareABoundedSetOfFiles stores many segments under
// one lease, as an HLS presentation does, and reads each: only
// MaxOpenFiles of their files stay open, and a segment being written keeps
// its own.
func TestCompleteResourcesShareABoundedSetOfFiles(t *testing.T) {
	for _, tc := range []struct {
		name string
		max  int // Options.MaxOpenFiles
		want int // files open after committing and reading 100 segments
	}{
		{"default", 0, DefaultMaxOpenFiles},
		{"three", 3, 3},
		{"no limit", -1, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openStore(t, dir, Options{MaxOpenFiles: tc.max})
			l := acquire(t, s, "presentation")
			var data [][]byte
			for i := range 100 {
				r, err := l.OpenStreaming(fmt.Sprintf("segments/seg%03d.mp3", i))
				if err != nil {
					t.Fatal(err)
				}
				data = append(data, bytes.Repeat([]byte{byte(i)}, 100+i))
				if _, err := r.WriteAt(data[i], 0); err != nil {
					t.Fatal(err)
				}
				if err := r.Commit(int64(len(data[i]))); err != nil {
					t.Fatal(err)
				}
				buf := make([]byte, len(data[i]))
				if n, err := r.ReadAt(buf, 0); n != len(buf) || err != nil || !bytes.Equal(buf, data[i]) {
					t.Fatalf("segment %d read back as %d bytes, %v", i, n, err)
				}
			}
			if n := fdtest.OpenFilesUnder(t, dir); n != tc.want {
				t.Fatalf("%d files open after 100 segments, want %d", n, tc.want)
			}
			if n := s.OpenFiles(); tc.max >= 0 && n != tc.want || tc.max < 0 && n != -1 {
				t.Errorf("OpenFiles() = %d", n)
			}

			// A segment in progress keeps its file, outside the bound.
			w, err := l.OpenStreaming("segments/downloading.mp3")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.WriteAt([]byte("partial"), 0); err != nil {
				t.Fatal(err)
			}
			if n := fdtest.OpenFilesUnder(t, dir); n != tc.want+1 {
				t.Fatalf("%d files open with a segment in progress, want %d", n, tc.want+1)
			}
			// The first segment's file was closed long ago (unless nothing
			// is); it opens again for a read.
			r, err := l.OpenStreaming("segments/seg000.mp3")
			if err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 200)
			if n, err := r.ReadAt(buf, 0); n != len(data[0]) || err != io.EOF || !bytes.Equal(buf[:n], data[0]) {
				t.Fatalf("segment 0 read again as %d bytes, %v", n, err)
			}

			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if n := fdtest.OpenFilesUnder(t, dir); n != 0 {
				t.Fatalf("%d files open after the last lease was released, want 0", n)
			}
		})
	}
}

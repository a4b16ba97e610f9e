package hls

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hotpath-go/hotpath/kithara/assets"
	"github.com/hotpath-go/hotpath/kithara/internal/fdtest"
)

// TestLongPresentationKeepsFewFilesOpen plays 150 segments of a session
// whose lease stays open throughout: the cache keeps a bounded number of
// segment files open, not one per segment, and reads stay correct.
func TestLongPresentationKeepsFewFilesOpen(t *testing.T) {
	const segments = 150
	pres := synthetic{bandwidths: []uint64{100_000}, segments: segments, size: 1024, duration: 2 * time.Second}
	srv := newTestServer(t, pres.files())
	dir := t.TempDir()
	store, err := assets.Open(dir, assets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	src, _ := open(t, srv, "master.m3u8", Options{Store: store})
	got, err := readAll(t, src)
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for k := range segments {
		if k > 0 {
			want.WriteByte(' ')
		}
		fmt.Fprintf(&want, "v0/%d", k)
	}
	if s := trail(got); s != want.String() {
		t.Fatalf("byte space holds %.80s..., want the %d segments in order", s, segments)
	}
	// Commits run in the background; the count is of the steady state.
	src.driver.fetch.waitCommits()
	if n := fdtest.OpenFilesUnder(t, dir); n > assets.DefaultMaxOpenFiles {
		t.Fatalf("%d files open after playing %d segments, want at most %d", n, segments, assets.DefaultMaxOpenFiles)
	}
	// The first segment's file was closed; reading it again reopens it.
	if first := readFrom(t, src, 0, 1024); trail(first) != "v0/0" {
		t.Fatalf("segment 0 read again holds %s", trail(first))
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if n := fdtest.OpenFilesUnder(t, dir); n != 0 {
		t.Fatalf("%d files open after Close, want 0", n)
	}
}

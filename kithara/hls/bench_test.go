package hls

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hotpath-go/hotpath/kithara/assets"
	"github.com/hotpath-go/hotpath/kithara/stream"
	"github.com/hotpath-go/hotpath/testdata/fixtures"
)

func BenchmarkParseMedia(b *testing.B) {
	// A one-hour VOD of 2 s segments under a rotating key.
	var src strings.Builder
	src.WriteString("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n")
	for k := range 1800 {
		if k%100 == 0 {
			fmt.Fprintf(&src, "#EXT-X-KEY:METHOD=AES-128,URI=\"https://keys.example/k%d.bin\",IV=0x%032x\n", k/100, k)
		}
		fmt.Fprintf(&src, "#EXTINF:2.000000,\nhttps://cdn.example/vod/a1b2c3/v0/seg%05d.ts?token=abcdef\n", k)
	}
	src.WriteString("#EXT-X-ENDLIST\n")
	data := []byte(src.String())
	base := fuzzBase
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		pl, err := ParseMedia("index.m3u8", base, data)
		if err != nil || len(pl.Segments) != 1800 {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseMaster(b *testing.B) {
	data, err := fs.ReadFile(fixtures.FS, "hls/master.m3u8")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseMaster("master.m3u8", fuzzBase, data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecrypt measures AES-128-CBC segment decryption as the fetcher
// does it: 32 KiB network reads through a Decrypter.
func BenchmarkDecrypt(b *testing.B) {
	key := []byte("0123456789abcdef")
	iv := [16]byte{7}
	plain := make([]byte, 1<<20)
	for i := range plain {
		plain[i] = byte(i * 7)
	}
	ct := encrypt(b, key, iv, plain)
	out := make([]byte, 0, 32<<10+16)
	b.SetBytes(int64(len(ct)))
	b.ReportAllocs()
	for b.Loop() {
		d, err := NewDecrypter(key, iv)
		if err != nil {
			b.Fatal(err)
		}
		for rest := ct; len(rest) > 0; {
			n := min(len(rest), 32<<10)
			out = d.Update(out[:0], rest[:n])
			rest = rest[n:]
		}
		if _, err := d.Final(out[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoopbackHLS plays the fixture presentation from a loopback
// server into a fresh cache and reads its byte space through a SyncReader,
// as a decoder would; "x-realtime" is presentation time per wall time.
func BenchmarkLoopbackHLS(b *testing.B) {
	for _, dir := range []string{"hls", "hls-aes"} {
		b.Run(dir, func(b *testing.B) {
			srv := newTestServer(b, fixtures.FS)
			var media time.Duration
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				media = playOnce(b, srv.url(dir+"/master.m3u8"))
			}
			perOp := time.Since(start) / time.Duration(b.N)
			b.ReportMetric(media.Seconds()/perOp.Seconds(), "x-realtime")
		})
	}
}

// playOnce reads the whole of variant 2 of a presentation through a new
// cache and returns its duration.
func playOnce(b *testing.B, rawURL string) time.Duration {
	dir, err := os.MkdirTemp("", "hls-bench-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	store, err := assets.Open(dir, assets.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	src, err := Open(ctx, rawURL, Options{Store: store, ABR: manual(2)})
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	r := stream.NewSyncReader(ctx, src)
	defer r.Close()
	n, err := io.Copy(io.Discard, r)
	if err != nil || n == 0 {
		b.Fatalf("read %d bytes: %v", n, err)
	}
	pl, err := src.MediaPlaylist(ctx, 2)
	if err != nil {
		b.Fatal(err)
	}
	return pl.Duration()
}

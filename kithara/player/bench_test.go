package player

import (
	"context"
	"errors"
	"io"
	"os"
	"testing"
	"time"
)

// BenchmarkPlayHLS plays the fixture presentation end to end: from a
// loopback server into a fresh cache, decoded and resampled to 48 kHz
// stereo. "x-realtime" is presentation time per wall time.
func BenchmarkPlayHLS(b *testing.B) {
	for _, tc := range []struct {
		name    string
		url     string
		variant int
	}{
		{"v0-44k1-clear", "hls/master.m3u8", 0},
		{"v1-48k-aes128", "hls-aes/master.m3u8", 1},
		{"aac-ts", "hls-aac/ts/playlist.m3u8", 0},
		{"aac-fmp4", "hls-aac/fmp4/playlist.m3u8", 0},
		{"aac-adts", "hls-aac/adts/playlist.m3u8", 0},
	} {
		b.Run(tc.name, func(b *testing.B) {
			srv := newServer(b)
			var media time.Duration
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				media = playAll(b, srv.url(tc.url), tc.variant)
			}
			perOp := time.Since(start) / time.Duration(b.N)
			b.ReportMetric(media.Seconds()/perOp.Seconds(), "x-realtime")
		})
	}
}

// playAll plays rawURL to the end with a new cache and returns the
// duration of the audio it produced.
func playAll(b *testing.B, rawURL string, variant int) time.Duration {
	dir, err := os.MkdirTemp("", "player-bench-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	p, err := Open(context.Background(), rawURL, Options{CacheDir: dir, ABR: manual(variant), SampleRate: 48000})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	var d time.Duration
	for {
		c, err := p.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return d
		}
		if err != nil {
			b.Fatal(err)
		}
		d += c.Duration()
		c.Release()
	}
}

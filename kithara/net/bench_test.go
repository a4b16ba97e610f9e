package net

import (
	"context"
	"io"
	"net/http"
	"testing"
)

// benchServer serves size bytes from memory with a Content-Length.
func benchServer(b *testing.B, size int) string {
	ts, _ := startServer(b, &resource{data: payload(size), etag: `"b"`, acceptRanges: "bytes"})
	return ts.URL
}

// BenchmarkGetStream measures streaming throughput from a loopback server,
// against a plain net/http GET of the same body as the baseline.
func BenchmarkGetStream(b *testing.B) {
	const size = 8 << 20
	u := benchServer(b, size)
	buf := make([]byte, 64<<10)
	b.Run("knet", func(b *testing.B) {
		c := newClient(b, Options{})
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			s, err := c.GetStream(context.Background(), u, nil)
			if err != nil {
				b.Fatal(err)
			}
			n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{s.Body}, buf)
			s.Body.Close()
			if err != nil || n != size {
				b.Fatalf("read %d, %v", n, err)
			}
		}
	})
	b.Run("net-http", func(b *testing.B) {
		c := newClient(b, Options{})
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			req, _ := http.NewRequest(http.MethodGet, u, nil)
			req.Header.Set("Accept-Encoding", "identity")
			resp, err := c.client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{resp.Body}, buf)
			resp.Body.Close()
			if err != nil || n != size {
				b.Fatalf("read %d, %v", n, err)
			}
		}
	})
}

// BenchmarkGetBytesSmall measures the latency of fetching a 1 KiB body, the
// size of a playlist or a key.
func BenchmarkGetBytesSmall(b *testing.B) {
	u := benchServer(b, 1<<10)
	c := newClient(b, Options{})
	b.ReportAllocs()
	for b.Loop() {
		got, err := c.GetBytes(context.Background(), u, nil)
		if err != nil || len(got) != 1<<10 {
			b.Fatalf("got %d bytes, %v", len(got), err)
		}
	}
}

// BenchmarkRetryOverhead measures WithRetry on calls that succeed at once:
// alone over an in-memory Net, and over a loopback GetBytes.
func BenchmarkRetryOverhead(b *testing.B) {
	ctx := context.Background()
	b.Run("fake/bare", func(b *testing.B) {
		n := Net(&fakeNet{})
		b.ReportAllocs()
		for b.Loop() {
			if _, err := n.GetBytes(ctx, "u", nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fake/retry", func(b *testing.B) {
		n := WithRetry(&fakeNet{}, DefaultRetryPolicy())
		b.ReportAllocs()
		for b.Loop() {
			if _, err := n.GetBytes(ctx, "u", nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	u := benchServer(b, 1<<10)
	b.Run("loopback/bare", func(b *testing.B) {
		n := Net(newClient(b, Options{}))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := n.GetBytes(ctx, u, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("loopback/retry", func(b *testing.B) {
		n := WithRetry(newClient(b, Options{}), DefaultRetryPolicy())
		b.ReportAllocs()
		for b.Loop() {
			if _, err := n.GetBytes(ctx, u, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

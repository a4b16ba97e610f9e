//go:build !hotpath

package tests

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/hotpath-go/hotpath/kithara/assets"
	"github.com/hotpath-go/hotpath/kithara/decode"
	"github.com/hotpath-go/hotpath/kithara/hls"
	"github.com/hotpath-go/hotpath/kithara/hls/abr"
	knet "github.com/hotpath-go/hotpath/kithara/net"
	"github.com/hotpath-go/hotpath/kithara/stream"
	"github.com/hotpath-go/hotpath/kithara/worker"
	"github.com/hotpath-go/hotpath/testdata/fixtures"
)

// The benchmarks of seed section 5: worker throughput and the stages around
// it. They are in both builds on purpose: run untagged they measure the
// Kithara port, run with -tags hotpath the same code instrumented, so
// benchstat over the two shows what the instrumentation costs:
//
//	go test -run '^$' -bench . -benchmem -count 6 ./tests/ > plain.txt
//	go test -tags hotpath -run '^$' -bench . -benchmem -count 6 ./tests/ > hotpath.txt
//	benchstat plain.txt hotpath.txt
//
// Without a guard the instrumented build still counts and times every
// call; a guard only reads the numbers, so none is started here.

// BenchmarkAsyncWorkerThroughput is the seed's worker_1000_items: one
// operation moves 1000 items from a source that does no work through an
// AsyncWorker to a consumer, so it is the worker's hand-off cost.
func BenchmarkAsyncWorkerThroughput(b *testing.B) {
	for _, capacity := range []int{1, 16} {
		b.Run(fmt.Sprint("cap=", capacity), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				w := worker.NewAsyncWorker(worker.AsyncSource[int, seek](&counter{n: 1000}), worker.WithDataCapacity(capacity))
				benchWorker(b, w.Run, w.Data(), w.Commands())
			}
		})
	}
}

// BenchmarkSyncWorkerThroughput is BenchmarkAsyncWorkerThroughput for the
// SyncWorker, the decoder's worker.
func BenchmarkSyncWorkerThroughput(b *testing.B) {
	for _, capacity := range []int{1, 16} {
		b.Run(fmt.Sprint("cap=", capacity), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				w := worker.NewSyncWorker(worker.SyncSource[int, seek](&syncCounter{counter: counter{n: 1000}}), worker.WithDataCapacity(capacity))
				benchWorker(b, w.Run, w.Data(), w.Commands())
			}
		})
	}
}

// benchWorker runs a worker over 1000 items and its EOF item and stops it.
func benchWorker(b *testing.B, fn func(context.Context) error, data <-chan worker.Fetch[int], cmds chan<- seek) {
	ctx := b.Context()
	errc := run(ctx, fn)
	n, err := drain(ctx, data, func(f worker.Fetch[int]) bool { return !f.EOF })
	closeChan(cmds)
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
	if err != nil || n != 1001 {
		b.Fatalf("%d items, %v", n, err)
	}
}

// BenchmarkSyncReaderRead reads 4 MiB that are all there through a
// SyncReader: the prefetch worker's chunks, received and copied out.
func BenchmarkSyncReaderRead(b *testing.B) {
	const size = 4 << 20
	src := stream.NewMemSource(randomBytes(size))
	b.ReportAllocs()
	b.SetBytes(size)
	for b.Loop() {
		r := stream.NewSyncReader(b.Context(), src)
		if n, err := io.Copy(io.Discard, r); n != size || err != nil {
			b.Fatalf("%d bytes, %v", n, err)
		}
		r.Close()
	}
}

// BenchmarkDecodePipeline decodes the 3 s stereo tone through a Pipeline,
// per codec. x-realtime is how many times faster than real time that is.
func BenchmarkDecodePipeline(b *testing.B) {
	for _, c := range []struct {
		name  string
		codec decode.Codec
	}{{"mp3", decode.CodecMP3}, {"flac", decode.CodecFLAC}, {"wav", decode.CodecWAV}} {
		b.Run(c.name, func(b *testing.B) {
			data := fixture(b, "tone."+c.name)
			b.ReportAllocs()
			for b.Loop() {
				dec, err := decode.NewDecoderFor(c.codec, bytes.NewReader(data))
				if err != nil {
					b.Fatal(err)
				}
				benchPipeline(b, decode.NewPipeline(b.Context(), dec))
			}
			b.ReportMetric(3*float64(b.N)/b.Elapsed().Seconds(), "x-realtime")
		})
	}
}

// BenchmarkResampledPipeline is the WAV pipeline with the output at 48 kHz:
// the difference from BenchmarkDecodePipeline/wav is the resampler's cost.
func BenchmarkResampledPipeline(b *testing.B) {
	data := fixture(b, "tone.wav")
	b.ReportAllocs()
	for b.Loop() {
		dec, err := decode.NewDecoderFor(decode.CodecWAV, bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		benchPipeline(b, decode.NewPipeline(b.Context(), dec, decode.WithOutputRate(48000)))
	}
	b.ReportMetric(3*float64(b.N)/b.Elapsed().Seconds(), "x-realtime")
}

// benchPipeline consumes a pipeline to its end and closes it.
func benchPipeline(b *testing.B, p *decode.Pipeline) {
	if _, err := drain(b.Context(), p.Chunks(), func(f worker.Fetch[decode.Block]) bool {
		f.Data.Release()
		return !f.EOF
	}); err != nil {
		b.Fatal(err)
	}
	if err := p.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkHlsFetch fetches variant 0 of the HLS fixture over loopback into
// an empty cache and reads its byte space to the end: playlists, six
// segment downloads into cache files, and the prefetch reader over them.
func BenchmarkHlsFetch(b *testing.B) {
	srv := httptest.NewServer(http.FileServerFS(fixtures.FS))
	defer srv.Close()
	client := knet.NewHttpClient(knet.Options{})
	defer client.CloseIdleConnections()
	size := 0
	for k := range 6 {
		size += len(fixture(b, fmt.Sprintf("hls/v0/seg%03d.mp3", k)))
	}
	b.ReportAllocs()
	b.SetBytes(int64(size))
	for b.Loop() {
		dir, err := os.MkdirTemp(b.TempDir(), "cache")
		if err != nil {
			b.Fatal(err)
		}
		store, err := assets.Open(dir, assets.Options{})
		if err != nil {
			b.Fatal(err)
		}
		src, err := hls.Open(b.Context(), srv.URL+"/hls/master.m3u8", hls.Options{
			Store: store, Net: client, ABR: abr.Options{Mode: abr.Manual},
		})
		if err != nil {
			b.Fatal(err)
		}
		r := stream.NewSyncReader(b.Context(), src)
		if n, err := io.Copy(io.Discard, r); n != int64(size) || err != nil {
			b.Fatalf("%d bytes, %v", n, err)
		}
		r.Close()
		if err := src.Close(); err != nil {
			b.Fatal(err)
		}
		if err := store.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

//go:build hotpath

package tests

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/hotpath-go/hotpath/kithara/decode"
	"github.com/hotpath-go/hotpath/kithara/hls"
	hotpath "github.com/hotpath-go/hotpath/runtime"
	"github.com/hotpath-go/hotpath/testdata/fixtures"
)

// The //hotpath:go statements of Kithara: the goroutines that run its
// loops (hotpathgen list ./kithara/... prints them).
const (
	goWorkerWatcher = "worker_watcher" // worker: an AsyncWorker's command watcher
	goStreamWorker  = "stream_worker"  // stream: a SyncReader's AsyncWorker
	goHlsDriver     = "hls_driver"     // hls: an HlsSource's driver loop
	goDecodeWorker  = "decode_worker"  // decode: a Pipeline's SyncWorker
	goDecodePump    = "decode_pump"    // decode: a Pipeline's pump
)

var kitharaGoroutines = []string{goWorkerWatcher, goStreamWorker, goHlsDriver, goDecodeWorker, goDecodePump}

// watchedAlive returns how many goroutines of Kithara's watched go
// statements are alive now, by label.
func watchedAlive() map[string]int64 {
	alive := map[string]int64{}
	for _, r := range hotpath.TakeSnapshot().Report(nil, hotpath.Options{}).Goroutines {
		alive[r.Label] += r.Alive
	}
	return alive
}

// waitWatchedEnded waits until no goroutine of Kithara's watched go
// statements is alive: a goroutine ends after the signals it sends (a
// closed done channel), so its end is seen a moment after them.
func waitWatchedEnded(t *testing.T, ctx context.Context) {
	t.Helper()
	for {
		alive := watchedAlive()
		busy := false
		for _, label := range kitharaGoroutines {
			busy = busy || alive[label] != 0
		}
		if !busy {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("watched goroutines still alive: %v", alive)
		case <-time.After(time.Millisecond):
		}
	}
}

// TestProfileGoroutines plays one HLS variant through a SyncReader and
// decodes the WAV tone through a Pipeline, then closes both: every loop
// goroutine the two started is in its row, and all of them ended.
func TestProfileGoroutines(t *testing.T) {
	ctx := testContext(t)
	waitWatchedEnded(t, ctx) // goroutines of earlier tests are not this window's
	srv := newServer(t, fixtures.FS, nil)
	client := newClient(t, knetOptions())
	store := newStore(t)
	g := profileGuard(t)

	src := openHLS(t, ctx, srv, "hls/master.m3u8", store, client, manual(1), &eventLog[hls.Event]{})
	got := readSource(t, ctx, src)
	closeHLS(t, src)
	p := decode.NewPipeline(ctx, mustDecoder(t, decode.CodecWAV, fixture(t, "tone.wav")))
	var out pcm
	consume(t, ctx, p, &out, nil)
	closePipeline(t, p)
	waitWatchedEnded(t, ctx)
	rep := stopProfile(t, g)

	if !bytes.Equal(got, variantBytes(t, 1, 0, hlsSegments-1)) {
		t.Errorf("read %d bytes that are not variant 1's segments", len(got))
	}
	if out.frames() != toneFrames {
		t.Errorf("decoded %d frames, want %d", out.frames(), toneFrames)
	}
	// One of each: the HLS source's driver, its reader's worker and that
	// worker's watcher; the pipeline's worker and pump.
	for _, label := range kitharaGoroutines {
		r := rep.Goroutine(label)
		if r == nil {
			t.Errorf("no goroutine row %q; rows: %+v", label, rep.Goroutines)
			continue
		}
		if r.Started != 1 || r.Finished != 1 || r.Panicked != 0 || r.Goexit != 0 || r.Alive != 0 {
			t.Errorf("%s: started %d, finished %d, panicked %d, Goexit %d, alive %d; want one started and finished, none alive",
				label, r.Started, r.Finished, r.Panicked, r.Goexit, r.Alive)
		}
		if r.PeakAlive < 1 {
			t.Errorf("%s: peak alive %d", label, r.PeakAlive)
		}
		if r.LifetimeMinNS <= 0 || r.LifetimeMaxNS < r.LifetimeMinNS || r.LifetimeTotalNS < r.LifetimeMaxNS {
			t.Errorf("%s: lifetimes min %d, max %d, total %d", label, r.LifetimeMinNS, r.LifetimeMaxNS, r.LifetimeTotalNS)
		}
		for k, v := range r.LifetimePercentiles {
			if v < r.LifetimeMinNS || v > r.LifetimeMaxNS {
				t.Errorf("%s: lifetime %s = %d outside [%d, %d]", label, k, v, r.LifetimeMinNS, r.LifetimeMaxNS)
			}
		}
	}
}

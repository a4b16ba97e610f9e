package player_test

import (
	"context"
	"errors"
	"io"
	"log"
	"os"

	"github.com/hotpath-go/hotpath/kithara/hls"
	"github.com/hotpath-go/hotpath/kithara/player"
)

// Play an HLS presentation to 48 kHz PCM, logging variant switches.
func Example() {
	ctx := context.Background()
	p, err := player.Open(ctx, "https://media.example/vod/master.m3u8", player.Options{
		CacheDir:   os.TempDir() + "/kithara-cache",
		SampleRate: 48000,
		OnEvent: func(e hls.Event) {
			if va, ok := e.(hls.VariantApplied); ok {
				log.Printf("variant %d -> %d at segment %d (%v)", va.From, va.To, va.Segment, va.Reason)
			}
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	buf := make([]float32, 4096) // interleaved, p.Format().Channels per frame
	for {
		n, err := p.ReadSamples(buf)
		_ = buf[:n] // hand the samples to an audio device here
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
	}
}

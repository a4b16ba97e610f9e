//go:build !hotpath

package decode

import (
	"bytes"
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/hotpath-go/hotpath/kithara/stream"
)

// waitEnd waits for the pipeline's buffer to finish and returns its error.
func waitEnd(t *testing.T, p *Pipeline) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := p.Buffer().WaitFrames(ctx, math.MaxInt64); err != nil {
		t.Fatalf("waiting for the end: %v", err)
	}
	_, err := p.Buffer().Ended()
	return err
}

// bufferSamples copies everything the buffer holds.
func bufferSamples(t *testing.T, b *PCMBuffer) []float32 {
	t.Helper()
	out := make([]float32, int(b.Frames())*b.Format().Channels)
	if n, err := b.ReadFrames(0, out); err != nil || n != int(b.Frames()) {
		t.Fatalf("ReadFrames: %d, %v", n, err)
	}
	return out
}

func TestPipelineDecodesEachFormat(t *testing.T) {
	for _, name := range []string{"tone.wav", "tone.flac", "tone.mp3"} {
		t.Run(name, func(t *testing.T) {
			var want decoded
			if name == "tone.mp3" {
				if raceEnabled {
					t.Skip("the pipeline is the same for every codec; MP3 is slow under -race")
				}
				want = decodedToneMP3(t).decoded
			} else {
				direct, err := NewDecoder(fixtureReader(t, name))
				if err != nil {
					t.Fatal(err)
				}
				want = decodeAll(t, direct)
			}

			p, err := Open(t.Context(), fixtureReader(t, name), WithBuffer(0), WithoutLive())
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			if p.Chunks() != nil {
				t.Error("WithoutLive pipeline has a live channel")
			}
			if err := waitEnd(t, p); err != nil {
				t.Fatal(err)
			}
			if got := bufferSamples(t, p.Buffer()); !slicesEqual(got, want.samples) {
				t.Fatalf("%d samples through the pipeline differ from %d decoded directly", len(got), len(want.samples))
			}
			if name != "tone.wav" {
				return // resampling is the same whatever the codec
			}

			p48, err := Open(t.Context(), fixtureReader(t, name), WithBuffer(0), WithoutLive(), WithOutputRate(48000))
			if err != nil {
				t.Fatal(err)
			}
			defer p48.Close()
			if err := waitEnd(t, p48); err != nil {
				t.Fatal(err)
			}
			if got, want := float64(p48.Buffer().Frames()), math.Ceil(toneFrames*48000.0/44100); math.Abs(got-want) > 1 {
				t.Fatalf("at 48 kHz: %g frames, want %g", got, want)
			}
		})
	}
}

// drain reads the live channel up to the EOF of the current epoch,
// skipping blocks of other epochs, and returns the blocks.
func drain(t *testing.T, p *Pipeline) []Block {
	t.Helper()
	var blocks []Block
	timeout := time.After(20 * time.Second)
	for {
		select {
		case f, ok := <-p.Chunks():
			if !ok {
				t.Fatal("live channel closed before EOF")
			}
			if f.Epoch != p.Epoch() {
				f.Data.Release()
				continue
			}
			blocks = append(blocks, f.Data)
			if f.EOF {
				return blocks
			}
		case <-timeout:
			t.Fatal("no EOF on the live channel")
		}
	}
}

func blockFrames(bs []Block) (n int) {
	for _, b := range bs {
		n += b.Frames()
	}
	return n
}

func TestPipelineLiveAndSeek(t *testing.T) {
	all := decodeAll(t, mustWAV(t, fixtureReader(t, "tone.wav")))
	p, err := Open(t.Context(), fixtureReader(t, "tone.wav"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.Format() != (Format{44100, 2}) {
		t.Fatalf("output format %v", p.Format())
	}
	// Take a few blocks, then seek while the rest of the epoch waits in
	// the channel.
	for range 3 {
		f := <-p.Chunks()
		if f.Epoch != 0 {
			t.Fatalf("epoch %d before any seek", f.Epoch)
		}
	}
	epoch, err := p.Seek(1500 * time.Millisecond)
	if err != nil || epoch != 1 || p.Epoch() != 1 {
		t.Fatalf("Seek = %d, %v; Epoch() = %d", epoch, err, p.Epoch())
	}
	blocks := drain(t, p)
	const at = 66150 // 1.5 s
	if blocks[0].Time != 1500*time.Millisecond {
		t.Fatalf("first block after the seek at %v", blocks[0].Time)
	}
	if !slicesEqual(blocks[0].Samples, all.samples[2*at:2*at+len(blocks[0].Samples)]) {
		t.Fatal("samples after the seek differ from the file at 1.5 s")
	}
	if got := blockFrames(blocks); got != toneFrames-at {
		t.Fatalf("%d frames after the seek, want %d", got, toneFrames-at)
	}
	// Seeking after the end restarts decoding.
	if _, err := p.Seek(2900 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if got := blockFrames(drain(t, p)); got != toneFrames-127890 {
		t.Fatalf("%d frames after seeking to 2.9 s, want %d", got, toneFrames-127890)
	}
}

func TestPipelineSetSpeed(t *testing.T) {
	p, err := Open(t.Context(), fixtureReader(t, "tone.flac"), WithBuffer(0), WithoutLive())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.SetSpeed(3); err != nil {
		t.Fatal(err)
	}
	if p.Speed() != MaxSpeed {
		t.Fatalf("Speed() = %g after SetSpeed(3)", p.Speed())
	}
	// A seek carries the speed with it: the whole new epoch plays at 2x.
	if _, err := p.Seek(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := waitEnd(t, p); err != nil {
		t.Fatal(err)
	}
	if got, want := float64(p.Buffer().Frames()), math.Ceil((toneFrames-88200)/2.0); math.Abs(got-want) > 1 {
		t.Fatalf("at speed 2: %g frames, want %g (half the duration)", got, want)
	}
	x := channelOf(bufferSamples(t, p.Buffer()), 2, 0)
	if hz := zeroCrossingHz(x[1000:len(x)-1000], toneRate); math.Abs(hz-2*toneLeft) > 0.2 {
		t.Fatalf("left channel at %.3f Hz, want %g", hz, 2*toneLeft)
	}
}

func TestPipelineABRSwitchHasNoGap(t *testing.T) {
	a, da := segment(t, "v0", 4)
	b, db := segment(t, "v1", 5)
	p, err := Open(t.Context(), bytes.NewReader(append(bytes.Clone(a), b...)), WithCodec(CodecMP3), WithOutputRate(48000))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	blocks := drain(t, p)
	total := da + db
	if got := framesToDuration(int64(blockFrames(blocks)), 48000); absDur(got-total) > time.Millisecond {
		t.Fatalf("%v of output, the segments hold %v", got, total)
	}
	var end time.Duration
	for i, b := range blocks {
		if b.Format != (Format{48000, 2}) {
			t.Fatalf("block %d: %v", i, b.Format)
		}
		if i > 0 && b.Frames() > 0 && absDur(b.Time-end) > time.Second/44100 {
			t.Fatalf("block %d starts at %v, the one before ended at %v", i, b.Time, end)
		}
		end = b.Time + b.Duration()
	}
}

func TestPipelineReportsDecodeErrors(t *testing.T) {
	b := fixture(t, "tone.flac")
	p, err := Open(t.Context(), bytes.NewReader(b[:len(b)/2]), WithBuffer(0))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	blocks := drain(t, p)
	if last := blocks[len(blocks)-1]; !errors.Is(last.Err, ErrTruncated) {
		t.Fatalf("last block error %v, want ErrTruncated", last.Err)
	}
	if err := waitEnd(t, p); !errors.Is(err, ErrTruncated) {
		t.Fatalf("buffer ended with %v, want ErrTruncated", err)
	}
}

func TestOpenSource(t *testing.T) {
	src := stream.NewMemSource(fixture(t, "tone.flac"))
	p, err := OpenSource(t.Context(), src, WithBuffer(0), WithoutLive())
	if err != nil {
		t.Fatal(err)
	}
	if err := waitEnd(t, p); err != nil {
		t.Fatal(err)
	}
	if p.Buffer().Frames() != toneFrames {
		t.Fatalf("%d frames, want %d", p.Buffer().Frames(), toneFrames)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenSource(t.Context(), stream.NewMemSource([]byte("not audio at all"))); !errors.Is(err, ErrNotAudio) {
		t.Fatalf("OpenSource on text: %v, want ErrNotAudio", err)
	}
}

func TestPipelineClose(t *testing.T) {
	open := func(t *testing.T) *Pipeline {
		p, err := Open(t.Context(), fixtureReader(t, "tone.wav"))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	expectClosed := func(t *testing.T, p *Pipeline) {
		t.Helper()
		for range p.Chunks() { // closed, after whatever was queued
		}
		if _, err := p.Seek(time.Second); !errors.Is(err, ErrClosed) {
			t.Errorf("Seek after Close: %v, want ErrClosed", err)
		}
		if err := p.SetSpeed(1.5); !errors.Is(err, ErrClosed) {
			t.Errorf("SetSpeed after Close: %v, want ErrClosed", err)
		}
		if err := p.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	}
	t.Run("unread, live channel full", func(t *testing.T) {
		p := open(t)
		// Wait until the worker is blocked on a full channel.
		deadline := time.Now().Add(10 * time.Second)
		for len(p.Chunks()) < LiveCapacity && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		expectClosed(t, p)
	})
	t.Run("mid-stream", func(t *testing.T) {
		p := open(t)
		<-p.Chunks()
		<-p.Chunks()
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		expectClosed(t, p)
	})
	t.Run("after EOF", func(t *testing.T) {
		p := open(t)
		drain(t, p)
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		expectClosed(t, p)
	})
	t.Run("while seeking", func(t *testing.T) {
		p := open(t)
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Go(func() {
				for j := range 50 {
					if _, err := p.Seek(time.Duration(i*50+j) * time.Millisecond); err != nil && !errors.Is(err, ErrClosed) {
						t.Errorf("Seek: %v", err)
						return
					}
					_ = p.SetSpeed(1 + float64(j%3)/4)
				}
			})
		}
		go func() {
			for f := range p.Chunks() {
				f.Data.Release()
			}
		}()
		time.Sleep(5 * time.Millisecond)
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
	})
	t.Run("context cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		p, err := Open(ctx, fixtureReader(t, "tone.wav"))
		if err != nil {
			t.Fatal(err)
		}
		cancel()
		for range p.Chunks() {
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

// TestPipelineSeeksConverge checks that after a burst of concurrent seeks
// the pipeline plays from the last one: the newest command wins.
func TestPipelineSeeksConverge(t *testing.T) {
	p, err := Open(t.Context(), fixtureReader(t, "tone.wav"), WithBuffer(0), WithoutLive())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 20 {
				if _, err := p.Seek(time.Duration(i*20+j) * 10 * time.Millisecond); err != nil {
					t.Errorf("Seek: %v", err)
				}
			}
		})
	}
	wg.Wait()
	if _, err := p.Seek(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := waitEnd(t, p); err != nil {
		t.Fatal(err)
	}
	if got := p.Buffer().Frames(); got != toneFrames-88200 || p.Buffer().Origin() != 2*time.Second {
		t.Fatalf("after the last seek to 2 s: %d frames from %v, want %d", got, p.Buffer().Origin(), toneFrames-88200)
	}
}

// stallSource serves the first avail bytes of b and then never delivers
// more, like a download that has stalled.
type stallSource struct {
	b       []byte
	avail   int64
	waiting chan struct{} // closed when a wait past avail begins
	once    sync.Once
}

func (s *stallSource) WaitRange(ctx context.Context, start, end int64) error {
	if end <= s.avail {
		return nil
	}
	s.once.Do(func() { close(s.waiting) })
	<-ctx.Done()
	return ctx.Err()
}

func (s *stallSource) ReadAt(p []byte, off int64) (int, error) {
	if off >= s.avail {
		return 0, nil
	}
	return copy(p, s.b[off:s.avail]), nil
}

func (s *stallSource) Len() (int64, bool) { return int64(len(s.b)), true }

var _ stream.Source = (*stallSource)(nil)

func TestPipelineCloseUnblocksStalledSource(t *testing.T) {
	src := &stallSource{b: fixture(t, "tone.wav"), avail: 100 << 10, waiting: make(chan struct{})}
	p, err := OpenSource(t.Context(), src)
	if err != nil {
		t.Fatal(err)
	}
	// Consume what there is until the decoder waits for bytes that will
	// not come.
	go func() {
		for f := range p.Chunks() {
			f.Data.Release()
		}
	}()
	select {
	case <-src.waiting:
	case <-time.After(10 * time.Second):
		t.Fatal("the reader never waited past the available bytes")
	}
	closed := make(chan error)
	go func() { closed <- p.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close hangs while the decoder waits for data")
	}
}

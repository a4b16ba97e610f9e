package decode

import (
	"bytes"
	"errors"
	"io"
	"math"
	"testing"
	"time"

	"github.com/hotpath-go/hotpath/kithara/worker"
)

// fakeDecoder plays a scripted list of chunks, then ends with err (io.EOF if
// nil).
type fakeDecoder struct {
	chunks  []Chunk
	next    int
	err     error
	seekErr error
	seeks   []time.Duration
}

func (d *fakeDecoder) Next() (Chunk, error) {
	if d.next >= len(d.chunks) {
		if d.err != nil {
			return Chunk{}, d.err
		}
		return Chunk{}, io.EOF
	}
	c := d.chunks[d.next]
	d.next++
	return Chunk{Format: c.Format, Samples: append([]float32(nil), c.Samples...), Time: c.Time}, nil
}

func (d *fakeDecoder) Seek(t time.Duration) (time.Duration, error) {
	d.seeks = append(d.seeks, t)
	if d.seekErr != nil {
		return 0, d.seekErr
	}
	d.next = 0
	for d.next < len(d.chunks) && d.chunks[d.next].Time < t {
		d.next++
	}
	return t, nil
}

func (d *fakeDecoder) Format() Format {
	if len(d.chunks) == 0 {
		return Format{44100, 2}
	}
	return d.chunks[0].Format
}

func (d *fakeDecoder) Duration() (time.Duration, bool) { return 0, false }

// fetchAll runs a source to its EOF item and returns the items.
func fetchAll(t *testing.T, s *DecodeSource) []worker.Fetch[Block] {
	t.Helper()
	var items []worker.Fetch[Block]
	for range 100000 {
		f := s.FetchNext()
		items = append(items, f)
		if f.EOF {
			return items
		}
	}
	t.Fatal("no EOF after 100000 items")
	return nil
}

func frameCount(items []worker.Fetch[Block]) int {
	n := 0
	for _, f := range items {
		n += f.Data.Frames()
	}
	return n
}

func TestDecodeSourceDeliversEveryFrame(t *testing.T) {
	s := NewDecodeSource(mustWAV(t, fixtureReader(t, "tone.wav")), 48000, 0)
	items := fetchAll(t, s)
	last := items[len(items)-1]
	if last.Data.Err != nil || last.Data.Frames() == 0 {
		t.Fatalf("EOF item: err %v, %d frames; want the resampler's tail", last.Data.Err, last.Data.Frames())
	}
	want := math.Ceil(toneFrames * 48000.0 / 44100)
	if got := float64(frameCount(items)); math.Abs(got-want) > 1 {
		t.Fatalf("%g frames, want %g", got, want)
	}
	for i, f := range items {
		if f.Epoch != 0 || f.Data.Format != (Format{48000, 2}) {
			t.Fatalf("item %d: epoch %d, %v", i, f.Epoch, f.Data.Format)
		}
	}
	// Asked again after the end, the source says EOF again, with nothing.
	if f := s.FetchNext(); !f.EOF || f.Data.Frames() != 0 || f.Data.Err != nil {
		t.Fatalf("fetch after EOF: %+v", f)
	}
}

func TestDecodeSourceFlushesOnFormatChange(t *testing.T) {
	dec := &fakeDecoder{}
	at := time.Duration(0)
	for i := range 10 { // 10 chunks at 44.1 kHz, then 10 at 48 kHz
		f := Format{44100, 2}
		if i >= 5 {
			f = Format{48000, 2}
		}
		for range 2 {
			dec.chunks = append(dec.chunks, Chunk{Format: f, Samples: sine(1000, 0, f.SampleRate, 0.5, 440, 440), Time: at})
			at += framesToDuration(1000, f.SampleRate)
		}
	}
	s := NewDecodeSource(dec, 48000, 0)
	items := fetchAll(t, s)
	// The 44.1 kHz part resampled in full, the 48 kHz part passed through.
	want := math.Ceil(10000*48000.0/44100) + 10000
	if got := float64(frameCount(items)); math.Abs(got-want) > 1 {
		t.Fatalf("%g frames, want %g: the switch lost or added audio", got, want)
	}
	// Blocks follow each other in media time across the switch.
	var end time.Duration
	for i, f := range items {
		if f.Data.Frames() == 0 {
			continue
		}
		if i > 0 && absDur(f.Data.Time-end) > time.Second/44100 {
			t.Fatalf("block %d starts at %v, the one before ended at %v", i, f.Data.Time, end)
		}
		end = f.Data.Time + f.Data.Duration()
	}
}

func TestDecodeSourceSeekCommand(t *testing.T) {
	all := decodeAll(t, mustWAV(t, fixtureReader(t, "tone.wav")))
	s := NewDecodeSource(mustWAV(t, fixtureReader(t, "tone.wav")), 44100, 0)
	for range 3 {
		s.FetchNext()
	}
	s.HandleCommand(Command{Epoch: 1, Pos: 1500 * time.Millisecond})
	if s.Epoch() != 1 {
		t.Fatalf("epoch %d after the seek", s.Epoch())
	}
	items := fetchAll(t, s)
	first := items[0].Data
	if items[0].Epoch != 1 || first.Time != 1500*time.Millisecond {
		t.Fatalf("first item after the seek: epoch %d at %v", items[0].Epoch, first.Time)
	}
	const at = 66150 // 1.5 s
	if !slicesEqual(first.Samples, all.samples[2*at:2*at+len(first.Samples)]) {
		t.Fatal("samples after the seek differ from the file at 1.5 s")
	}
	if got := frameCount(items); got != toneFrames-at {
		t.Fatalf("%d frames after the seek, want %d", got, toneFrames-at)
	}
	// A command in the same epoch changes speed only.
	s.HandleCommand(Command{Epoch: 1, Speed: 2})
	if f := s.FetchNext(); !f.EOF || f.Epoch != 1 {
		t.Fatalf("a speed change at the end moved the source: %+v", f)
	}
	s.HandleCommand(Command{Epoch: 2, Pos: 2 * time.Second})
	if got, want := float64(frameCount(fetchAll(t, s))), math.Ceil((toneFrames-88200)/2.0); math.Abs(got-want) > 1 {
		t.Fatalf("at speed 2: %g frames, want %g", got, want)
	}
}

func TestDecodeSourceErrors(t *testing.T) {
	b := fixture(t, "tone.flac")
	s := NewDecodeSource(mustFLAC(t, bytes.NewReader(b[:len(b)/2])), 48000, 0)
	items := fetchAll(t, s)
	last := items[len(items)-1]
	if !errors.Is(last.Data.Err, ErrTruncated) {
		t.Fatalf("EOF item error %v, want ErrTruncated", last.Data.Err)
	}
	if frameCount(items) == 0 || last.Data.Frames() == 0 {
		t.Fatalf("%d frames, %d in the last item: the audio before the error, tail included, should arrive", frameCount(items), last.Data.Frames())
	}

	boom := errors.New("boom")
	dec := &fakeDecoder{chunks: []Chunk{{Format: Format{44100, 1}, Samples: make([]float32, 100)}}, seekErr: boom}
	s = NewDecodeSource(dec, 44100, 0)
	s.HandleCommand(Command{Epoch: 1, Pos: time.Second})
	f := s.FetchNext()
	if !f.EOF || f.Epoch != 1 || !errors.Is(f.Data.Err, boom) {
		t.Fatalf("after a failed seek: %+v", f)
	}
}

func TestDecodeSourceRemix(t *testing.T) {
	stereo := Chunk{Format: Format{44100, 2}, Samples: []float32{0.5, -0.1, 0.2, 0.4}}
	mono := Chunk{Format: Format{44100, 1}, Samples: []float32{0.25, -0.5}}
	for _, tc := range []struct {
		in       Chunk
		channels int
		want     []float32
	}{
		{stereo, 1, []float32{0.2, 0.3}},
		{mono, 2, []float32{0.25, 0.25, -0.5, -0.5}},
		{stereo, 2, []float32{0.5, -0.1, 0.2, 0.4}},
	} {
		s := NewDecodeSource(&fakeDecoder{chunks: []Chunk{tc.in}}, 44100, tc.channels)
		items := fetchAll(t, s)
		got := items[0].Data
		if got.Format.Channels != tc.channels || len(got.Samples) != len(tc.want) {
			t.Fatalf("%v to %d channels: %v %v", tc.in.Format, tc.channels, got.Format, got.Samples)
		}
		for i, v := range got.Samples {
			if math.Abs(float64(v-tc.want[i])) > 1e-7 {
				t.Fatalf("%v to %d channels: %v, want %v", tc.in.Format, tc.channels, got.Samples, tc.want)
			}
		}
	}
}

package player

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math"

	"github.com/hotpath-go/hotpath/kithara/decode"
	"github.com/hotpath-go/hotpath/kithara/stream"
)

// PCMEncoding is how Read encodes samples as bytes.
type PCMEncoding int

// PCM encodings, both little-endian and interleaved.
const (
	// PCMFloat32 is 32-bit IEEE float ("f32le"), full scale ±1.
	PCMFloat32 PCMEncoding = iota
	// PCMInt16 is signed 16-bit ("s16le"), clipped to full scale.
	PCMInt16
)

// String returns ffmpeg's name of the encoding.
func (e PCMEncoding) String() string {
	switch e {
	case PCMFloat32:
		return "f32le"
	case PCMInt16:
		return "s16le"
	}
	return "unknown"
}

// Size is the number of bytes of one sample.
func (e PCMEncoding) Size() int {
	if e == PCMInt16 {
		return 2
	}
	return 4
}

var _ io.Reader = (*Player)(nil)

// Read implements io.Reader: it fills b with the interleaved PCM of
// Format, encoded as Options.PCM says, so that an audio device library or
// a WAV writer can take the Player directly. A sample that does not fit at
// the end of b is split, and its other bytes start the next Read. It
// returns io.EOF at the end. Use it or ReadSamples, not both.
func (p *Player) Read(b []byte) (int, error) {
	size := p.pcm.Size()
	n := copy(b, p.pcmBuf)
	p.pcmBuf = p.pcmBuf[n:]
	for n < len(b) {
		if len(p.rest.Samples) == 0 {
			if err := p.nextChunk(); err != nil {
				if n > 0 && errors.Is(err, io.EOF) {
					return n, nil
				}
				return n, err
			}
			continue
		}
		k := min(len(p.rest.Samples), (len(b)-n)/size)
		if k == 0 { // b ends inside the next sample
			var one [4]byte
			p.encode(one[:size], p.rest.Samples[:1])
			m := copy(b[n:], one[:size])
			p.pcmBuf = append(p.pcmBuf[:0], one[m:size]...)
			p.rest.Samples = p.rest.Samples[1:]
			n += m
			continue
		}
		p.encode(b[n:n+k*size], p.rest.Samples[:k])
		p.rest.Samples = p.rest.Samples[k:]
		n += k * size
	}
	return n, nil
}

// nextChunk replaces the spent chunk with the next one.
func (p *Player) nextChunk() error {
	p.rest.Release()
	c, err := p.Next(p.ctx)
	if err != nil {
		p.rest = decode.Chunk{}
		return err
	}
	p.rest = c
	return nil
}

// encode writes samples into dst, which has room for exactly them.
func (p *Player) encode(dst []byte, samples []float32) {
	if p.pcm == PCMInt16 {
		for i, v := range samples {
			binary.LittleEndian.PutUint16(dst[2*i:], uint16(toInt16(v)))
		}
		return
	}
	for i, v := range samples {
		binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(v))
	}
}

// toInt16 scales a float sample to 16 bits, rounding, and clips it.
func toInt16(v float32) int16 {
	x := float64(v) * 32767
	switch {
	case x >= 32767:
		return 32767
	case x <= -32768:
		return -32768
	case x != x: // NaN
		return 0
	}
	return int16(math.Round(x))
}

// ownedDecoder is a decoder whose reader the Player made: Abort unblocks a
// read in progress, so that the pipeline running the decoder can close,
// and Close releases the reader.
type ownedDecoder interface {
	decode.Decoder
	Abort()
	Close() error
}

// streamDecoder is the decoder of a progressive file, over a reader of its
// stream.Source.
type streamDecoder struct {
	decode.Decoder
	r      *stream.SyncReader
	cancel context.CancelFunc
}

// openStream probes src and opens its decoder.
func openStream(ctx context.Context, src stream.Source) (*streamDecoder, error) {
	ctx, cancel := context.WithCancel(ctx)
	r := stream.NewSyncReader(ctx, src)
	dec, err := decode.NewDecoder(r)
	if err != nil {
		cancel()
		_ = r.Close()
		return nil, err
	}
	return &streamDecoder{Decoder: dec, r: r, cancel: cancel}, nil
}

func (d *streamDecoder) Abort() { d.cancel() }

func (d *streamDecoder) Close() error {
	d.cancel()
	return d.r.Close()
}

// closePipe stops a pipeline and the decoder it runs, either of which may
// be nil.
func closePipe(pipe *decode.Pipeline, dec ownedDecoder) error {
	var errs []error
	if dec != nil {
		dec.Abort()
	}
	if pipe != nil {
		errs = append(errs, pipe.Close())
	}
	if dec != nil {
		errs = append(errs, dec.Close())
	}
	return errors.Join(errs...)
}

package player_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/hotpath-go/hotpath/kithara/player"
	"github.com/hotpath-go/hotpath/testdata/fixtures"
)

// A Player is an io.Reader of PCM: io.Copy writes it into a WAV file. The
// header's sizes are filled in once the length is known.
func Example_wav() {
	srv := httptest.NewServer(http.FileServerFS(fixtures.FS)) // serves tone.flac: 3 s of stereo 44.1 kHz
	defer srv.Close()
	dir, err := os.MkdirTemp("", "kithara-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	p, err := player.Open(context.Background(), srv.URL+"/tone.flac", player.Options{
		CacheDir: dir + "/cache",
		PCM:      player.PCMInt16,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	f := p.Format()

	out, err := os.Create(dir + "/tone.wav")
	if err != nil {
		log.Fatal(err)
	}
	defer out.Close()
	header := make([]byte, 44) // RIFF/WAVE with a PCM fmt chunk, sizes below
	if _, err := out.Write(header); err != nil {
		log.Fatal(err)
	}
	n, err := io.Copy(out, p)
	if err != nil {
		log.Fatal(err)
	}
	le := binary.LittleEndian
	copy(header, "RIFF")
	le.PutUint32(header[4:], uint32(36+n))
	copy(header[8:], "WAVEfmt ")
	le.PutUint32(header[16:], 16)
	le.PutUint16(header[20:], 1) // PCM
	le.PutUint16(header[22:], uint16(f.Channels))
	le.PutUint32(header[24:], uint32(f.SampleRate))
	le.PutUint32(header[28:], uint32(f.SampleRate*f.Channels*2))
	le.PutUint16(header[32:], uint16(f.Channels*2))
	le.PutUint16(header[34:], 16)
	copy(header[36:], "data")
	le.PutUint32(header[40:], uint32(n))
	if _, err := out.WriteAt(header, 0); err != nil {
		log.Fatal(err)
	}

	// The WAV holds the FLAC's samples: tone.flac was made from tone.wav.
	written, err := os.ReadFile(dir + "/tone.wav")
	if err != nil {
		log.Fatal(err)
	}
	original, err := fixtures.FS.Open("tone.wav")
	if err != nil {
		log.Fatal(err)
	}
	defer original.Close()
	orig, err := io.ReadAll(original)
	if err != nil {
		log.Fatal(err)
	}
	d, _ := p.Duration()
	fmt.Printf("%d Hz, %d channels, %d frames, %v\n", f.SampleRate, f.Channels, n/int64(2*f.Channels), d)
	fmt.Println("same samples as tone.wav:", bytes.Equal(written[44:], orig[len(orig)-int(n):]))
	// Output:
	// 44100 Hz, 2 channels, 132300 frames, 3s
	// same samples as tone.wav: true
}

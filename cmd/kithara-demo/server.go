package main

import (
	"bytes"
	"context"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/hotpath-go/hotpath/testdata/fixtures"
)

// throttle is the rate, in bytes per second, at which the fixture server
// sends the files under a path prefix.
//
// The top variant (192 kb/s) goes at 200 kb/s: under the 240 kb/s that ABR
// wants for it (bandwidth over the 0.8 safety factor), over the 160 kb/s it
// wants for the middle one. So ABR steps down to v1, which is at 48 kHz,
// after the first segment, and the resampler has a change of input rate to
// absorb.
//
// The others go at 1 Mb/s: several times faster than they play, so the
// demo stays short, but slower than the decoder, so that playback waits on
// the network as it does in the field (wait_range and recvChunk block) and
// the half-way seek waits for its segment to arrive.
var throttle = []struct {
	prefix string
	rate   int
}{
	{"hls/v2/", 200_000 / 8},
	{"hls/v1/", 1_000_000 / 8},
	{"hls/v0/", 1_000_000 / 8},
}

// serveFixtures serves fixtures.FS on a loopback port. The caller closes
// the server, which waits for the requests in flight. Besides the MP3
// presentation the demo plays by default, it serves every form the player
// takes, for --url: AAC-LC in MPEG-TS, fMP4 (EXT-X-MAP), packed ADTS and
// byte ranges, plain and AES-128, MPEG-2 Layer III, and a two-codec master,
// under hls-aac/ (testdata/fixtures/README.md).
func serveFixtures() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(serveFixture))
}

func serveFixture(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/")
	body, err := fs.ReadFile(fixtures.FS, name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if strings.HasSuffix(name, ".m3u8") {
		w.Header().Set("Content-Type", "application/vnd.apple.mpegurl")
	}
	for _, t := range throttle {
		if strings.HasPrefix(name, t.prefix) {
			w = &slowWriter{ResponseWriter: w, ctx: r.Context(), rate: t.rate}
			break
		}
	}
	// ServeContent answers HEAD and range requests as a real server would.
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(body))
}

// slowWriter sends a body at rate bytes per second, in small flushed
// pieces so that the client sees a steady trickle rather than bursts.
type slowWriter struct {
	http.ResponseWriter
	ctx  context.Context
	rate int
}

// slowPiece is the size of one flushed piece of a throttled body.
const slowPiece = 4 << 10

func (s *slowWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(len(p), slowPiece)
		// A sleep rather than a select on the request's context: a piece
		// takes a fifth of a second at most, and with no channel operation
		// here hotpathgen leaves this file alone.
		time.Sleep(time.Duration(k) * time.Second / time.Duration(s.rate))
		if err := s.ctx.Err(); err != nil {
			return n, err
		}
		m, err := s.ResponseWriter.Write(p[:k])
		n += m
		if err != nil {
			return n, err
		}
		http.NewResponseController(s.ResponseWriter).Flush()
		p = p[k:]
	}
	return n, nil
}

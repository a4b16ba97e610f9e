package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/hotpath-go/hotpath/kithara/bufpool"
	knet "github.com/hotpath-go/hotpath/kithara/net"
)

// chunkSize is how much of the body is read and written at a time.
const chunkSize = 64 << 10

// download streams one body into a Source's resource.
type download struct {
	src    *Source
	net    knet.Net
	header http.Header
	log    *slog.Logger
}

// run fetches the body, then commits the resource or fails it, and closes
// the Source's done channel.
func (d *download) run(ctx context.Context) {
	s := d.src
	defer close(s.done)
	n, err := d.fetch(ctx)
	if err != nil {
		if cause := context.Cause(ctx); cause != nil {
			err = fmt.Errorf("%w: %w", cause, err)
		}
		err = fmt.Errorf("file: download %s: %w", s.name, err)
		s.res.Fail(err)
		s.err = err
		d.log.Debug("file: download failed", "url", s.name, "bytes", n, "err", err)
		return
	}
	d.log.Debug("file: download committed", "url", s.name, "bytes", n)
}

// fetch copies the body into the resource and commits it. It returns the
// number of bytes written.
func (d *download) fetch(ctx context.Context) (int64, error) {
	s := d.src
	st, err := d.net.GetStream(ctx, s.url, d.header)
	if err != nil {
		return 0, err
	}
	defer st.Body.Close()

	want := s.declared.Load()
	if st.ContentLength >= 0 {
		if want >= 0 && want != st.ContentLength {
			return 0, fmt.Errorf("%w: HEAD said %d bytes, GET says %d", ErrLengthMismatch, want, st.ContentLength)
		}
		want = st.ContentLength
		s.declared.Store(want)
	}

	buf := bufpool.Bytes.Get(chunkSize)
	defer bufpool.Bytes.Put(buf)
	var off int64
	for {
		n, rerr := st.Body.Read(buf)
		if n > 0 {
			if want >= 0 && off+int64(n) > want {
				return off, fmt.Errorf("%w: more than %d bytes", ErrLengthMismatch, want)
			}
			if _, err := s.res.WriteAt(buf[:n], off); err != nil {
				return off, err
			}
			off += int64(n)
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return off, fmt.Errorf("read body at %d: %w", off, rerr)
		}
	}
	if want >= 0 && off != want {
		return off, fmt.Errorf("%w: %d bytes of %d", ErrLengthMismatch, off, want)
	}
	return off, s.res.Commit(off)
}

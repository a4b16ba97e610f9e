package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/hotpath-go/hotpath/kithara/bufpool"
)

// chunkSize is how much of the body is read and written at a time.
const chunkSize = 64 << 10

// download streams one body, already answered, into a Source's resource.
type download struct {
	src  *Source
	body io.ReadCloser
	log  *slog.Logger
}

// run copies the body, then commits the resource or fails it, and closes
// the Source's done channel.
func (d *download) run(ctx context.Context) {
	s := d.src
	defer close(s.done)
	defer d.body.Close()
	n, err := d.copy()
	if err != nil {
		if errors.Is(context.Cause(ctx), ErrStopped) {
			// The body's own error only echoes the Close.
			err = s.urlError("download", ErrStopped)
		}
		s.res.Fail(err)
		s.err = err
		d.log.Debug("file: download failed", "url", s.name, "bytes", n, "err", err)
		return
	}
	d.log.Debug("file: download committed", "url", s.name, "bytes", n)
}

// copy writes the body into the resource and commits it. It returns the
// number of bytes written, and errors ready for readers of the resource.
func (d *download) copy() (int64, error) {
	s := d.src
	want := s.declared.Load()
	buf := bufpool.Bytes.Get(chunkSize)
	defer bufpool.Bytes.Put(buf)
	var off int64
	for {
		n, rerr := d.body.Read(buf)
		if n > 0 {
			if want >= 0 && off+int64(n) > want {
				return off, s.urlError("download", fmt.Errorf("%w: more than %d bytes", ErrLengthMismatch, want))
			}
			if _, err := s.res.WriteAt(buf[:n], off); err != nil {
				return off, s.urlError("download", err)
			}
			off += int64(n)
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return off, netError("download", rerr)
		}
	}
	if want >= 0 && off != want {
		return off, s.urlError("download", fmt.Errorf("%w: %d bytes of %d", ErrLengthMismatch, off, want))
	}
	if err := s.res.Commit(off); err != nil {
		return off, s.urlError("download", err)
	}
	return off, nil
}

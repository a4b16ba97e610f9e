//go:build !hotpath

package tests

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/hotpath-go/hotpath/kithara/worker"
)

// The helpers below are the suite's channel operations. The profiling tests
// are tagged files, which hotpathgen does not see, so a receive written in
// one of them is not counted in the channel's report row; the same receive
// made through recv or drain is, because this file has a twin.

// recv receives one value from ch. ok is false when ch is closed; err is
// ctx's error when ctx is done first.
func recv[T any](ctx context.Context, ch <-chan T) (v T, ok bool, err error) {
	select {
	case v, ok = <-ch:
		return v, ok, nil
	case <-ctx.Done():
		return v, false, ctx.Err()
	}
}

// send sends v on ch, or returns ctx's error when ctx is done first.
func send[T any](ctx context.Context, ch chan<- T, v T) error {
	select {
	case ch <- v:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// closeChan closes ch, counted as the channel's close.
func closeChan[T any](ch chan<- T) { close(ch) }

// drain receives from ch, calling each with every value, until each returns
// false, ch is closed or ctx is done. It returns the number of values
// received, and ctx's error if ctx ended it.
//
//hotpath:measure
func drain[T any](ctx context.Context, ch <-chan T, each func(T) bool) (int, error) {
	n := 0
	for {
		select {
		case v, ok := <-ch:
			if !ok {
				return n, nil
			}
			n++
			if !each(v) {
				return n, nil
			}
		case <-ctx.Done():
			return n, ctx.Err()
		}
	}
}

// awaitEpoch receives worker items until one of the given epoch arrives,
// as a consumer does after a seek, and returns it with the number of stale
// items it dropped (releasing their payloads). Its report row times what a
// command costs the consumer: from the call to the first item of the new
// epoch.
//
//hotpath:measure
func awaitEpoch[C any](ctx context.Context, ch <-chan worker.Fetch[C], epoch uint64) (worker.Fetch[C], int, error) {
	dropped := 0
	for {
		f, ok, err := recv(ctx, ch)
		switch {
		case err != nil:
			return f, dropped, err
		case !ok:
			return f, dropped, fmt.Errorf("tests: data channel closed before an item of epoch %d", epoch)
		case f.Epoch == epoch:
			return f, dropped, nil
		}
		if r, ok := any(f.Data).(worker.Releaser); ok {
			r.Release()
		}
		dropped++
	}
}

// seekRead seeks r to off and fills buf from there, as a player does when
// the user jumps: its report row is the latency of one seek.
//
//hotpath:measure
func seekRead(r io.ReadSeeker, off int64, buf []byte) error {
	if _, err := r.Seek(off, io.SeekStart); err != nil {
		return err
	}
	_, err := io.ReadFull(r, buf)
	return err
}

// seekPlayback seeks a player to media time t: its report row is the cost of
// the seek itself (for HLS, restarting the download and opening a decoder),
// before any audio of the new position is read.
//
//hotpath:measure
func seekPlayback(p interface{ Seek(time.Duration) error }, t time.Duration) error {
	return p.Seek(t)
}

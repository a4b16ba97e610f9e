//go:build !hotpath

package hls

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hotpath-go/hotpath/kithara/assets"
	"github.com/hotpath-go/hotpath/kithara/bufpool"
	knet "github.com/hotpath-go/hotpath/kithara/net"
	"github.com/hotpath-go/hotpath/kithara/storage"
)

// fetchManager downloads through the asset cache of one presentation:
// playlists and keys as atomic resources, init sections and segments
// streamed into streaming resources. A committed resource is a cache hit and
// costs no request.
type fetchManager struct {
	net   knet.Net
	lease *assets.Lease
	now   func() time.Time
	// header goes with every request: playlists, keys, init sections and
	// segments (Options.Header).
	header http.Header

	// Commits run in the background (see commitLater): the fsyncs of the
	// resource and of the cache index are not on the reader's path.
	mu       sync.Mutex
	inflight map[string]chan struct{} // resource key -> closed when committed
	commits  sync.WaitGroup
	// onCommitErr reports a background commit that failed.
	onCommitErr func(error)
}

// Resource kinds, the first element of a resource key.
const (
	kindPlaylist = "playlists"
	kindKey      = "keys"
	kindSegment  = "segments"
)

// resourceKey names the resource holding u inside the presentation's asset.
// The last path element alone (assets.KeyForURL) is not unique in HLS:
// every variant has its "seg000.mp3". A hash of the canonical URL (query
// included) makes it so; the readable name follows for people looking at
// the cache.
func resourceKey(kind string, u *url.URL) (string, error) {
	return rangeKey(kind, u, nil)
}

// rangeKey is resourceKey for a byte range of u (the whole resource when
// rng is nil): every range of one file is a resource of its own.
func rangeKey(kind string, u *url.URL, rng *ByteRange) (string, error) {
	canon, err := assets.CanonicalURL(u)
	if err != nil {
		return "", err
	}
	if rng != nil {
		canon += fmt.Sprintf(" bytes=%d-%d", rng.Offset, rng.End())
	}
	sum := sha256.Sum256([]byte(canon))
	name := assets.KeyForURL(u)
	for len(name) > 96 || !utf8.ValidString(name) {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	return kind + "/" + hex.EncodeToString(sum[:8]) + "-" + name, nil
}

// fetchPlaylist returns the playlist at u, from the cache when it is there.
func (f *fetchManager) fetchPlaylist(ctx context.Context, u *url.URL) ([]byte, error) {
	data, _, err := f.fetchAtomic(ctx, kindPlaylist, u, f.header)
	if err != nil {
		return nil, fmt.Errorf("playlist %s: %w", u, err)
	}
	return data, nil
}

// fetchKey returns the raw key bytes at u, from the cache when they are
// there, and whether they were.
func (f *fetchManager) fetchKey(ctx context.Context, u *url.URL, header http.Header) ([]byte, bool, error) {
	data, cached, err := f.fetchAtomic(ctx, kindKey, u, mergeHeaders(f.header, header))
	if err != nil {
		return nil, false, fmt.Errorf("key %s: %w", u, err)
	}
	return data, cached, nil
}

// fetchAtomic returns the whole resource at u, downloading it into an atomic
// resource on a cache miss.
//
//hotpath:measure
func (f *fetchManager) fetchAtomic(ctx context.Context, kind string, u *url.URL, header http.Header) ([]byte, bool, error) {
	key, err := resourceKey(kind, u)
	if err != nil {
		return nil, false, err
	}
	if err := f.awaitCommit(ctx, key); err != nil {
		return nil, false, err
	}
	res, err := f.lease.OpenAtomic(key)
	if err != nil {
		return nil, false, err
	}
	if data, err := res.Read(); err == nil {
		return data, true, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	data, err := f.net.GetBytes(ctx, u.String(), header)
	if err != nil {
		return nil, false, err
	}
	// The bytes are in hand: the cache's atomic write (a temporary file,
	// fsyncs, a rename) goes on in the background.
	kept := bytes.Clone(data)
	f.inBackground(key, func() error { return res.Write(kept) })
	return data, false, nil
}

// fetched is a downloaded (or cached) init section or segment.
type fetched struct {
	key     string // the resource's key in the cache
	res     *storage.StreamingResource
	size    int64         // plaintext bytes (of data, when it is set)
	elapsed time.Duration // download time, 0 for a cache hit
	cached  bool

	// Set by the demuxer (see demuxer.segment).
	data      []byte // the elementary stream, when the container was taken off
	container Container
	codec     AudioCodec
	priming   int64 // encoder delay in samples from an edit list, or -1
	pts       int64 // 90 kHz timestamp of packed audio's ID3 tag, or -1
}

// fetchInit downloads an init section (decrypting it with dec when it is
// encrypted) into the cache.
func (f *fetchManager) fetchInit(ctx context.Context, init *InitSection, dec *Decrypter) (fetched, error) {
	got, err := f.fetchStreamed(ctx, init.URI, init.Range, dec, nil)
	if err != nil {
		return got, fmt.Errorf("init section %s: %w", init.URI, err)
	}
	return got, nil
}

// fetchSegment downloads one media segment into the cache, decrypting it
// with dec while it streams in when dec is not nil. progress, when not nil,
// is called with the number of bytes of every read from the network. A
// segment already committed to the cache is returned at once.
//
//hotpath:measure
func (f *fetchManager) fetchSegment(ctx context.Context, seg *Segment, dec *Decrypter, progress func(n int)) (fetched, error) {
	got, err := f.fetchStreamed(ctx, seg.URI, seg.Range, dec, progress)
	if err != nil {
		return got, fmt.Errorf("segment %d (%s): %w", seg.Sequence, path.Base(seg.URI.Path), err)
	}
	return got, nil
}

// fetchStreamed streams u (the bytes of rng only, when it is not nil) into
// its streaming resource and commits it. On failure the resource is failed,
// so the next attempt starts afresh.
//
//hotpath:measure
func (f *fetchManager) fetchStreamed(ctx context.Context, u *url.URL, rng *ByteRange, dec *Decrypter, progress func(n int)) (fetched, error) {
	key, err := rangeKey(kindSegment, u, rng)
	if err != nil {
		return fetched{}, err
	}
	if err := f.awaitCommit(ctx, key); err != nil {
		return fetched{}, err
	}
	res, err := f.lease.OpenStreaming(key)
	if err != nil {
		return fetched{}, err
	}
	if res.Status() == storage.StatusCommitted {
		n, _ := res.Len()
		return fetched{key: key, res: res, size: n, cached: true}, nil
	}
	start := f.now()
	size, err := f.download(ctx, u, rng, res, dec, progress)
	if err != nil {
		res.Fail(err)
		return fetched{}, err
	}
	if rng != nil && dec == nil && size != rng.Length {
		err := fmt.Errorf("byte range %d@%d: the resource ends after %d of its bytes", rng.Length, rng.Offset, size)
		res.Fail(err)
		return fetched{}, err
	}
	return fetched{key: key, res: res, size: size, elapsed: f.now().Sub(start)}, nil
}

// commitLater commits a downloaded resource in the background: its bytes
// are all written and readable, and the commit's fsyncs (the file's, the
// cache index's) need not hold up the reader or the next download. A
// failed commit fails the resource, so that the next fetch starts afresh.
// Call it once the driver is done reading r (a commit holds the resource's
// reads up while it syncs).
func (f *fetchManager) commitLater(r fetched) {
	if r.cached || r.res == nil {
		return
	}
	f.inBackground(r.key, func() error {
		if err := r.res.Commit(r.size); err != nil {
			r.res.Fail(err)
			return err
		}
		return nil
	})
}

// inBackground runs a cache write of key in a goroutine of its own; a fetch
// of key waits for it (awaitCommit), and so does Close (waitCommits). A
// failure is reported to onCommitErr.
func (f *fetchManager) inBackground(key string, work func() error) {
	done := make(chan struct{})
	f.mu.Lock()
	if f.inflight == nil {
		f.inflight = map[string]chan struct{}{}
	}
	f.inflight[key] = done
	f.mu.Unlock()
	f.commits.Add(1)
	go func() {
		defer f.commits.Done()
		if err := work(); err != nil && f.onCommitErr != nil {
			f.onCommitErr(fmt.Errorf("cache write of %s: %w", key, err))
		}
		f.mu.Lock()
		delete(f.inflight, key)
		f.mu.Unlock()
		close(done)
	}()
}

// awaitCommit waits until a background commit of key, if one runs, is
// over, so that a fetch of the same resource finds it committed.
func (f *fetchManager) awaitCommit(ctx context.Context, key string) error {
	f.mu.Lock()
	done := f.inflight[key]
	f.mu.Unlock()
	if done == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// waitCommits waits for every background commit.
func (f *fetchManager) waitCommits() { f.commits.Wait() }

// download copies the body of u (of rng within it, with a ranged request,
// when rng is set) into res, through dec when it is set, and returns the
// number of bytes written.
//
//hotpath:measure
func (f *fetchManager) download(ctx context.Context, u *url.URL, rng *ByteRange, res *storage.StreamingResource, dec *Decrypter, progress func(n int)) (int64, error) {
	var (
		st  *knet.Stream
		err error
	)
	if rng != nil && rng.Length > 0 {
		st, err = f.net.GetRange(ctx, u.String(), knet.Range{Start: rng.Offset, End: rng.End()}, f.header)
	} else {
		st, err = f.net.GetStream(ctx, u.String(), f.header)
	}
	if err != nil {
		return 0, err
	}
	defer st.Body.Close()
	buf := bufpool.Bytes.Get(32 << 10)
	defer bufpool.Bytes.Put(buf)
	var plain []byte
	if dec != nil {
		plain = bufpool.Bytes.Get(32<<10 + 16)
		defer func() { bufpool.Bytes.Put(plain) }()
	}
	var off int64
	write := func(p []byte) error {
		if len(p) == 0 {
			return nil
		}
		n, err := res.WriteAt(p, off)
		off += int64(n)
		return err
	}
	for {
		n, rerr := st.Body.Read(buf[:cap(buf)])
		if n > 0 {
			if progress != nil {
				progress(n)
			}
			chunk := buf[:n]
			if dec != nil {
				plain = dec.Update(plain[:0], chunk)
				chunk = plain
			}
			if err := write(chunk); err != nil {
				return off, err
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return off, rerr
		}
	}
	if dec != nil {
		tail, err := dec.Final(plain[:0])
		if err != nil {
			return off, err
		}
		if err := write(tail); err != nil {
			return off, err
		}
	}
	return off, nil
}

// mergeHeaders returns the headers of both, b's values after a's for a key
// in both; nil when both are empty.
func mergeHeaders(a, b http.Header) http.Header {
	if len(a) == 0 {
		return b
	}
	if len(b) == 0 {
		return a
	}
	h := a.Clone()
	for k, vs := range b {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	return h
}

// segmentName is the name errors use for a segment or playlist URL.
func segmentName(u *url.URL) string {
	if name := path.Base(u.Path); name != "." && name != "/" {
		return name
	}
	return strings.TrimPrefix(u.String(), "//")
}

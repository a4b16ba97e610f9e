package player

import (
	"bytes"
	"context"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"

	knet "github.com/hotpath-go/hotpath/kithara/net"
)

// Kind is what a URL holds.
type Kind int

// Kinds of media a Player opens.
const (
	// KindFile is a progressive file (MP3, FLAC, WAV) read while it downloads.
	KindFile Kind = iota + 1
	// KindHLS is an HLS presentation (a master or media playlist).
	KindHLS
)

// String returns "file" or "hls".
func (k Kind) String() string {
	switch k {
	case KindFile:
		return "file"
	case KindHLS:
		return "hls"
	default:
		return "unknown"
	}
}

// hlsTypes are the content types of playlists (RFC 8216, section 4, and the
// legacy ones servers still send).
var hlsTypes = map[string]bool{
	"application/vnd.apple.mpegurl": true,
	"application/mpegurl":           true,
	"application/x-mpegurl":         true,
	"audio/mpegurl":                 true,
	"audio/x-mpegurl":               true,
}

// detect tells an HLS playlist from a progressive file: by the extension of
// the URL's path first (no request), then by the Content-Type a HEAD
// request reports, and last by sniffing the first bytes for "#EXTM3U". The
// requests carry header.
func detect(ctx context.Context, n knet.Net, u *url.URL, header http.Header) (Kind, error) {
	switch strings.ToLower(path.Ext(u.Path)) {
	case ".m3u8", ".m3u":
		return KindHLS, nil
	case ".mp3", ".flac", ".wav", ".wave":
		return KindFile, nil
	}
	if meta, err := n.Head(ctx, u.String(), header); err == nil {
		mt, _, _ := mime.ParseMediaType(meta.ContentType)
		switch {
		case hlsTypes[mt]:
			return KindHLS, nil
		case strings.HasPrefix(mt, "audio/"):
			return KindFile, nil
		}
	}
	// HEAD said nothing useful (or failed: some servers refuse it), so look
	// at the bytes.
	st, err := n.GetRange(ctx, u.String(), knet.Range{Start: 0, End: 16}, header)
	if err != nil {
		return 0, err
	}
	defer st.Body.Close()
	head, err := io.ReadAll(io.LimitReader(st.Body, 16))
	if err != nil {
		return 0, err
	}
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	if bytes.HasPrefix(head, []byte("#EXTM3U")) {
		return KindHLS, nil
	}
	return KindFile, nil
}

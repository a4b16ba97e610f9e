// Package hls plays HTTP Live Streaming video-on-demand presentations as one
// contiguous byte stream.
//
// It is the Go port of Kithara's kithara-hls crate. The pieces, from the
// bottom up:
//
//   - ParseMaster and ParseMedia read playlists (RFC 8216) and report errors
//     with the playlist name and line ("media.m3u8:7: ...").
//   - PlaylistManager fetches and caches playlists; FetchManager downloads
//     playlists, keys, init sections and segments through the asset cache.
//   - KeyManager fetches AES-128 keys once per URI and decrypts segments
//     (AES-128-CBC with PKCS#7 padding) while they stream in.
//   - HlsDriver walks the segments of the current variant, samples throughput
//     for the ABR controller (package abr), applies its decisions at segment
//     boundaries and publishes every finished segment to a segment index.
//   - HlsSource serves that index as a stream.Source: one contiguous byte
//     space over all segments, readable while the driver is still fetching.
//
// Only VOD playlists are supported: a media playlist without #EXT-X-ENDLIST
// is rejected with ErrLive.
package hls

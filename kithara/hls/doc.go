// Package hls plays HTTP Live Streaming video-on-demand presentations as one
// contiguous byte stream.
//
// It is the Go port of Kithara's kithara-hls crate. Open loads the playlists
// and returns an HlsSource; behind it:
//
//   - ParseMaster and ParseMedia read playlists (RFC 8216) and report errors
//     with the playlist name and line ("playlist.m3u8:7: ...").
//   - A playlist manager loads each playlist once; a fetch manager downloads
//     playlists and keys as atomic resources, and init sections and segments
//     streamed into streaming resources, all through the kithara/assets
//     cache, so a segment already committed costs no request.
//   - A key manager fetches each AES-128 key once, runs the optional
//     KeyProcessor over it, and Decrypter decrypts segments (AES-128-CBC with
//     PKCS#7 padding) while they stream in.
//   - HlsDriver walks the segments of the variant that ABR (package abr)
//     chooses, samples the throughput, applies decisions at segment
//     boundaries, takes seek and variant commands, reports Events and
//     publishes every finished segment to a segment index.
//   - HlsSource serves that index as a stream.Source: one contiguous byte
//     space over all segments, readable while the driver is still fetching.
//
// Only VOD playlists are supported: a media playlist without #EXT-X-ENDLIST
// is rejected with ErrLive.
package hls

//go:generate go tool hotpathgen

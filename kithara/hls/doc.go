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
//   - Segments come out of their container before they are published
//     (container.go): MPEG-TS (the audio PES payloads, with
//     github.com/asticode/go-astits), fragmented MP4 after an EXT-X-MAP init
//     section (each AAC access unit with an ADTS header built from the
//     init section's AudioSpecificConfig, with github.com/Eyevinn/mp4ff;
//     the edit list's priming is reported), and packed audio led by an ID3
//     tag (the tag dropped, its transport stream timestamp read). The byte
//     space is thus an elementary stream: ADTS for AAC, frames for MP3, or
//     a raw segment as it came. StreamAt tells the codec at an offset, and
//     CodecRun is the stretch one decoder reads, up to a variant switch to
//     another codec.
//   - EXT-X-BYTERANGE segments and BYTERANGE init sections are ranged
//     requests on the one resource, each range cached on its own.
//   - Options.Header goes with every request: playlists, keys, init
//     sections and segments. Cache commits (fsyncs of the resource and of
//     the cache index) run in the background, off the reader's path.
//
// Only VOD playlists are supported: a media playlist without #EXT-X-ENDLIST
// is rejected with ErrLive.
package hls

//go:generate go tool hotpathgen

// Package decode turns compressed audio into interleaved float32 PCM at the
// sample rate and speed a player asks for.
//
// The pieces, in the order data flows through them:
//
//   - [Probe], [ProbeBytes] and [ProbeCodecs] tell which codec a stream holds,
//     from its first bytes or from an HLS CODECS attribute; [NewDecoder] opens
//     the right [Decoder] for an io.ReadSeeker.
//   - [MP3Decoder], [FLACDecoder] and [WAVDecoder] implement [Decoder]: each
//     call to Next returns one [Chunk] of PCM with its format and media time,
//     and Seek moves to a time. [WithSegments] (or [MP3Options.Segmented])
//     decodes an HLS byte space of MP3 segments that each start with their
//     own ID3 tag and Xing/LAME frame as one gapless stream.
//   - [Resampler] converts a chunk stream to one output rate with a
//     windowed-sinc interpolator and applies the playback speed (varispeed:
//     pitch follows speed). It passes chunks through untouched when the rates
//     match at speed 1 and resets itself when the input format changes.
//   - [DecodeSource] couples a decoder and a resampler as a worker.SyncSource;
//     [Pipeline] runs it on a worker.SyncWorker and delivers the PCM to a
//     bounded channel for a live consumer and, optionally, to a [PCMBuffer]
//     with random access by frame.
//
// It ports the decoding half of Kithara (crate kithara-decode). Unlike the
// original, the resampler tail left at the end of a stream reaches the
// consumer, speed changes never rebuild the resampler, and speed works when
// the input and output rates are equal.
package decode

//go:generate go tool hotpathgen

// Package mpa decodes MPEG audio Layer III (MP3) of every version: MPEG-1
// (32, 44.1 and 48 kHz), MPEG-2 LSF (16, 22.05 and 24 kHz) and MPEG-2.5 (8,
// 11.025 and 12 kHz), mono, stereo, dual channel and joint stereo (mid/side
// and intensity, with MPEG-2's intensity scalefactor coding), with long,
// short and mixed blocks and the bit reservoir.
//
// It is written from ISO/IEC 11172-3 and ISO/IEC 13818-3: Huffman decoding
// with the standard's code tables, requantisation, stereo processing,
// short-block reordering, alias reduction, the IMDCT with window switching
// and overlap-add, frequency inversion and the polyphase synthesis
// filterbank, all in float32. Its output matches FFmpeg's floating-point
// decoder (mp3float) to well over 90 dB SNR, sample for sample.
//
// The package does no framing: [Decoder.DecodeFrame] takes one whole frame
// as a demuxer cut it (see [ParseHeader] and [Header.FrameSize]) and keeps
// the state that links frames; [Decoder.Reset] drops it after a seek.
// Free-format streams and Layers I and II are not supported.
package mpa

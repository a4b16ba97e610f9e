// Package aac decodes AAC-LC (MPEG-4 Audio object type 2) to float32 PCM,
// in pure Go, following ISO/IEC 14496-3 (subpart 4, General Audio).
//
// Input is one raw access unit (raw_data_block) at a time together with the
// stream's [Config], which comes from an AudioSpecificConfig ([ParseASC],
// what MP4/fMP4 carry in esds) or from an ADTS header ([ParseADTSHeader],
// what MPEG-TS and HLS packed audio carry). [Decoder.Decode] turns one access
// unit into 1024 frames of interleaved PCM.
//
// Every AAC-LC tool is implemented: section data, scalefactors and the
// eleven spectral Huffman codebooks with escapes, M/S and intensity stereo,
// perceptual noise substitution, temporal noise shaping, the four window
// sequences (long, short, start, stop) with sine and KBD window shapes, the
// IMDCT and overlap-add. Mono and stereo streams (channel configurations 1
// and 2) at 8 to 96 kHz are supported.
//
// What is not supported is refused with an error wrapping [ErrUnsupported]:
// other object types (Main, SSR, LTP, ER and the rest), HE-AAC's SBR and PS
// when an AudioSpecificConfig signals them explicitly (object types 5 and
// 29), the 960-sample frame length, channel configurations other than 1 and
// 2, and coupling channel elements. An SBR extension hidden in a fill
// element (implicit signalling) is skipped: the AAC-LC core decodes at its
// own rate, as ISO/IEC 14496-3 allows a decoder without SBR to do. Damaged
// input is reported with an error wrapping [ErrInvalid]; the decoder never
// panics on bad input and its memory does not depend on the input.
//
// The decoder keeps the second half of the last IMDCT for overlap-add, so
// the first access unit after [NewDecoder] or [Decoder.Reset] produces
// the fade-in half of a frame; the encoder delay an encoder adds (priming,
// 1024 or 2112 samples) is the caller's to trim (package decode does it).
package aac

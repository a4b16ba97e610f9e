// Package decode turns compressed audio into interleaved float32 PCM at the
// sample rate and speed a player asks for.
//
// The pieces, in the order data flows through them:
//
//   - [Probe], [ProbeBytes] and [ProbeCodecs] tell which codec a stream holds,
//     from its first bytes or from an HLS CODECS attribute; [NewDecoder] opens
//     the right [Decoder] for an io.ReadSeeker.
//   - [MP3Decoder], [FLACDecoder], [WAVDecoder] and [AACDecoder] implement
//     [Decoder]: each call to Next returns one [Chunk] of PCM with its format
//     and media time, and Seek moves to a time. [WithSegments] (or
//     [MP3Options.Segmented]) decodes an HLS byte space of MP3 segments that
//     each start with their own ID3 tag and Xing/LAME frame as one gapless
//     stream.
//   - Package [github.com/hotpath-go/hotpath/kithara/decode/mpa] is the MP3
//     decoder proper: a pure-Go Layer III decoder for MPEG-1, MPEG-2 and
//     MPEG-2.5, checked against ffmpeg's float decoder (over 115 dB SNR on
//     the fixtures). [MP3Decoder] does the framing, ID3 and Xing/LAME
//     handling, gapless trimming and seeking around it, and hands it one
//     frame at a time.
//   - [Resampler] converts a chunk stream to one output rate with a
//     windowed-sinc interpolator and applies the playback speed (varispeed:
//     pitch follows speed). It passes chunks through untouched when the rates
//     match at speed 1 and resets itself when the input format changes.
//   - [DecodeSource] couples a decoder and a resampler as a worker.SyncSource;
//     [Pipeline] runs it on a worker.SyncWorker and delivers the PCM to a
//     bounded channel for a live consumer and, optionally, to a [PCMBuffer]
//     with random access by frame.
//
// # AAC
//
// AAC-LC is decoded in pure Go by the subpackage aac (ISO/IEC 14496-3, every
// LC tool; mono and stereo, 8 to 96 kHz). [AACDecoder] wraps it in two
// forms: [NewADTSDecoder] for ADTS byte streams (HLS packed audio, the
// elementary stream inside MPEG-TS; [Probe] reports them as [CodecAAC]) and
// [NewAACDecoder] for an AudioSpecificConfig plus raw access units (MP4 and
// fMP4 samples, through the [AccessUnits] interface; an [AccessUnitSeeker]
// makes it seekable). A demuxer can also turn access units back into ADTS
// with aac.Config.AppendADTSHeader.
//
// An AAC encoder primes its output with silence, the encoder delay, which
// gapless playback trims. ADTS cannot say how long it is: [AACOptions]
// carries what the container knows (an MP4 edit list, an iTunSMPB tag read
// with [AACOptionsFromITunSMPB]: priming and valid length), and without it the decoder drops
// [DefaultAACPriming] = 2112 samples, the common value, like the LAME delay
// of an MP3. Media time 0 is the first sample kept. HE-AAC (SBR, PS) is
// refused with ErrUnsupported when signalled explicitly; with implicit
// signalling in ADTS the AAC-LC core plays at half the rate.
//
// It ports the decoding half of Kithara (crate kithara-decode). Unlike the
// original, the resampler tail left at the end of a stream reaches the
// consumer, speed changes never rebuild the resampler, and speed works when
// the input and output rates are equal.
package decode

//go:generate go tool hotpathgen

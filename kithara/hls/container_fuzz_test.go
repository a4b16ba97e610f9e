package hls

import (
	"testing"
)

// FuzzDemuxSegment feeds arbitrary bytes to every container path: the
// sniffer, the TS demuxer, the fMP4 init parser and segment demuxer (with
// the fixture's init and with one parsed from the input), and the ID3
// splitter. None may panic or hang, and what they return must be
// consistent: an ID3 size inside the input, an ADTS stream for fMP4.
func FuzzDemuxSegment(f *testing.F) {
	for _, name := range []string{
		"hls-aac/ts/seg2.ts", "hls-aac/fmp4/init.mp4", "hls-aac/fmp4/seg2.m4s",
		"hls-aac/adts/seg2.aac", "hls-aac/mp3-22k/seg2.mp3",
	} {
		b := fixture(f, name)
		f.Add(b[:min(len(b), 4*188)])
		f.Add(b)
	}
	f.Add([]byte("ID3\x04\x00\x00\x00\x00\x00\x0aPRIV\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte{0x47})
	in, err := parseInit(fixture(f, "hls-aac/fmp4/init.mp4"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = sniffContainer(b)
		_ = sniffCodec(b)
		_, _ = demuxTS(nil, b)
		if es, err := demuxFMP4(nil, b, in); err == nil && len(es) > 0 && sniffCodec(es) != AudioAAC {
			t.Fatalf("fMP4 demux gave %d bytes that are not ADTS", len(es))
		}
		if own, err := parseInit(b); err == nil {
			_, _ = demuxFMP4(nil, b, own)
		}
		if n, _, err := splitID3(b); err == nil && (n < 0 || n > len(b)) {
			t.Fatalf("ID3 size %d of %d bytes", n, len(b))
		}
	})
}

//go:build !hotpath

package hls

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// A playlist is parsed by hand rather than with a general M3U8 library so
// that every error names the line it is about, and so that unsupported
// features (SAMPLE-AES, byte ranges, live playlists) fail loudly instead of
// being skipped.

// IsMaster reports whether data looks like a master playlist: it has an
// #EXT-X-STREAM-INF tag. It does not validate anything.
func IsMaster(data []byte) bool {
	for line := range lines(data) {
		if tag, _ := splitTag(line.text); tag == "EXT-X-STREAM-INF" {
			return true
		}
	}
	return false
}

// ParseMaster parses a master playlist. name labels errors (usually the last
// element of the playlist URL); base, when not nil, is the playlist URL that
// variant URIs are resolved against. Errors are *ParseError.
//
//hotpath:measure
func ParseMaster(name string, base *url.URL, data []byte) (*MasterPlaylist, error) {
	p := parser{name: name, base: base}
	m := &MasterPlaylist{URL: base}
	body, err := p.body(data)
	if err != nil {
		return nil, err
	}
	var pending *Variant
	pendingLine := 0
	for line := range body {
		if line.text == "" {
			continue
		}
		if !strings.HasPrefix(line.text, "#") {
			if pending == nil {
				return nil, p.errorf(line.num, nil, "URI %q without #EXT-X-STREAM-INF", line.text)
			}
			u, err := p.resolve(line.num, line.text)
			if err != nil {
				return nil, err
			}
			pending.URI = u
			pending.Index = len(m.Variants)
			m.Variants = append(m.Variants, *pending)
			pending = nil
			continue
		}
		tag, value := splitTag(line.text)
		switch tag {
		case "EXT-X-STREAM-INF":
			if pending != nil {
				return nil, p.errorf(pendingLine, nil, "#EXT-X-STREAM-INF without a URI line")
			}
			v, err := parseStreamInf(value)
			if err != nil {
				return nil, p.errorf(line.num, nil, "EXT-X-STREAM-INF: %v", err)
			}
			pending, pendingLine = &v, line.num
		case "EXTINF", "EXT-X-TARGETDURATION", "EXT-X-MEDIA-SEQUENCE", "EXT-X-KEY",
			"EXT-X-MAP", "EXT-X-ENDLIST", "EXT-X-BYTERANGE", "EXT-X-DISCONTINUITY":
			return nil, p.errorf(line.num, ErrNotMaster, "media playlist tag #%s", tag)
		case "EXT-X-VERSION":
			if _, err := parseDecimalInt(value); err != nil {
				return nil, p.errorf(line.num, nil, "EXT-X-VERSION: %v", err)
			}
		}
	}
	if pending != nil {
		return nil, p.errorf(pendingLine, nil, "#EXT-X-STREAM-INF without a URI line")
	}
	if len(m.Variants) == 0 {
		return nil, p.errorf(0, ErrNotMaster, "no #EXT-X-STREAM-INF variants")
	}
	return m, nil
}

// parseStreamInf reads the attributes of an #EXT-X-STREAM-INF tag.
func parseStreamInf(value string) (Variant, error) {
	var v Variant
	a, err := parseAttrs(value)
	if err != nil {
		return v, err
	}
	bw, ok, err := a.uint("BANDWIDTH")
	if err != nil {
		return v, err
	}
	if !ok {
		return v, fmt.Errorf("missing BANDWIDTH")
	}
	v.Bandwidth = bw
	if v.AverageBandwidth, _, err = a.uint("AVERAGE-BANDWIDTH"); err != nil {
		return v, err
	}
	if v.Codecs, _, err = a.quoted("CODECS"); err != nil {
		return v, err
	}
	res, ok, err := a.enum("RESOLUTION")
	if err != nil {
		return v, err
	}
	if ok {
		if v.Resolution, err = parseResolution(res); err != nil {
			return v, err
		}
	}
	return v, nil
}

// ParseMedia parses a media playlist of a VOD presentation. name labels
// errors; base, when not nil, is the playlist URL that segment, key and map
// URIs are resolved against. Errors are *ParseError; a playlist without
// #EXT-X-ENDLIST fails with ErrLive, SAMPLE-AES with ErrUnsupported.
// EXT-X-BYTERANGE and the BYTERANGE of EXT-X-MAP become Segment.Range and
// InitSection.Range.
//
//hotpath:measure
func ParseMedia(name string, base *url.URL, data []byte) (*MediaPlaylist, error) {
	p := parser{name: name, base: base}
	pl := &MediaPlaylist{URL: base, Version: 1}
	var (
		key           *Key
		initSection   *InitSection
		discontinuity bool
		haveTarget    bool
		endList       bool
		// inf is the pending #EXTINF; infLine is 0 when there is none.
		inf     Segment
		infLine int
		// rng is the pending #EXT-X-BYTERANGE (rngLine 0 when none); the
		// previous segment's range, when it had one, is where a range
		// without an offset continues.
		rng     ByteRange
		rngLine int
		rngOff  bool
	)
	body, err := p.body(data)
	if err != nil {
		return nil, err
	}
	for line := range body {
		if line.text == "" {
			continue
		}
		if !strings.HasPrefix(line.text, "#") {
			if infLine == 0 {
				return nil, p.errorf(line.num, nil, "URI %q without #EXTINF", line.text)
			}
			u, err := p.resolve(line.num, line.text)
			if err != nil {
				return nil, err
			}
			inf.URI = u
			inf.Key = key
			inf.Map = initSection
			inf.Discontinuity = discontinuity
			inf.Sequence = pl.MediaSequence + uint64(len(pl.Segments))
			if rngLine != 0 {
				if !rngOff {
					prev := previousRange(pl.Segments, u)
					if prev == nil {
						return nil, p.errorf(rngLine, nil, "EXT-X-BYTERANGE: no offset, and the previous segment is not a range of %s", segmentName(u))
					}
					rng.Offset = prev.Offset + prev.Length
				}
				r := rng
				inf.Range = &r
			}
			pl.Segments = append(pl.Segments, inf)
			inf, infLine, discontinuity, rngLine = Segment{}, 0, false, 0
			continue
		}
		tag, value := splitTag(line.text)
		switch tag {
		case "EXTINF":
			if infLine != 0 {
				return nil, p.errorf(infLine, nil, "#EXTINF without a URI line")
			}
			durText, title, _ := strings.Cut(value, ",")
			d, err := parseSeconds(strings.TrimSpace(durText))
			if err != nil {
				return nil, p.errorf(line.num, nil, "EXTINF: %v", err)
			}
			inf, infLine = Segment{Duration: d, Title: title}, line.num
		case "EXT-X-TARGETDURATION":
			n, err := parseDecimalInt(value)
			if err != nil || n > uint64(maxSeconds) {
				return nil, p.errorf(line.num, nil, "EXT-X-TARGETDURATION: %q is not a whole number of seconds", value)
			}
			pl.TargetDuration, haveTarget = time.Duration(n)*time.Second, true
		case "EXT-X-MEDIA-SEQUENCE":
			if len(pl.Segments) > 0 || infLine != 0 {
				return nil, p.errorf(line.num, nil, "#EXT-X-MEDIA-SEQUENCE after the first segment")
			}
			n, err := parseDecimalInt(value)
			if err != nil {
				return nil, p.errorf(line.num, nil, "EXT-X-MEDIA-SEQUENCE: %v", err)
			}
			pl.MediaSequence = n
		case "EXT-X-VERSION":
			n, err := parseDecimalInt(value)
			if err != nil || n > 1<<16 {
				return nil, p.errorf(line.num, nil, "EXT-X-VERSION: %q is not a version number", value)
			}
			pl.Version = int(n)
		case "EXT-X-PLAYLIST-TYPE":
			if value != "VOD" && value != "EVENT" {
				return nil, p.errorf(line.num, nil, "EXT-X-PLAYLIST-TYPE: %q is neither VOD nor EVENT", value)
			}
			pl.PlaylistType = value
		case "EXT-X-KEY":
			k, err := p.parseKey(line.num, value)
			if err != nil {
				return nil, err
			}
			key = k
		case "EXT-X-MAP":
			m, err := p.parseMap(line.num, value, key)
			if err != nil {
				return nil, err
			}
			initSection = m
		case "EXT-X-DISCONTINUITY":
			discontinuity = true
		case "EXT-X-ENDLIST":
			endList = true
		case "EXT-X-BYTERANGE":
			r, hasOff, err := parseByteRange(value)
			if err != nil {
				return nil, p.errorf(line.num, nil, "EXT-X-BYTERANGE: %v", err)
			}
			rng, rngOff, rngLine = r, hasOff, line.num
		case "EXT-X-STREAM-INF":
			return nil, p.errorf(line.num, ErrNotMedia, "master playlist tag #%s", tag)
		}
	}
	switch {
	case infLine != 0:
		return nil, p.errorf(infLine, nil, "#EXTINF without a URI line")
	case !haveTarget:
		return nil, p.errorf(0, nil, "missing #EXT-X-TARGETDURATION")
	case !endList:
		return nil, p.errorf(0, ErrLive, "missing #EXT-X-ENDLIST")
	case len(pl.Segments) == 0:
		return nil, p.errorf(0, nil, "no segments")
	}
	return pl, nil
}

// parseKey reads an #EXT-X-KEY tag; METHOD=NONE yields a nil key.
func (p *parser) parseKey(num int, value string) (*Key, error) {
	a, err := parseAttrs(value)
	if err != nil {
		return nil, p.errorf(num, nil, "EXT-X-KEY: %v", err)
	}
	method, ok, err := a.enum("METHOD")
	if err != nil {
		return nil, p.errorf(num, nil, "EXT-X-KEY: %v", err)
	}
	switch {
	case !ok:
		return nil, p.errorf(num, nil, "EXT-X-KEY: missing METHOD")
	case method == "NONE":
		return nil, nil
	case method == "SAMPLE-AES" || method == "SAMPLE-AES-CTR":
		return nil, p.errorf(num, ErrUnsupported, "EXT-X-KEY METHOD=%s", method)
	case method != "AES-128":
		return nil, p.errorf(num, nil, "EXT-X-KEY: unknown METHOD %q", method)
	}
	k := &Key{Method: MethodAES128}
	uri, ok, err := a.quoted("URI")
	if err != nil {
		return nil, p.errorf(num, nil, "EXT-X-KEY: %v", err)
	}
	if !ok || uri == "" {
		return nil, p.errorf(num, nil, "EXT-X-KEY: METHOD=AES-128 without URI")
	}
	if k.URI, err = p.resolve(num, uri); err != nil {
		return nil, err
	}
	if iv, ok, err := a.enum("IV"); err != nil {
		return nil, p.errorf(num, nil, "EXT-X-KEY: %v", err)
	} else if ok {
		if k.IV, err = parseIV(iv); err != nil {
			return nil, p.errorf(num, nil, "EXT-X-KEY: %v", err)
		}
		k.HasIV = true
	}
	if k.KeyFormat, _, err = a.quoted("KEYFORMAT"); err != nil {
		return nil, p.errorf(num, nil, "EXT-X-KEY: %v", err)
	}
	if k.KeyFormat == "identity" {
		k.KeyFormat = ""
	}
	return k, nil
}

// parseMap reads an #EXT-X-MAP tag under the key in effect.
func (p *parser) parseMap(num int, value string, key *Key) (*InitSection, error) {
	a, err := parseAttrs(value)
	if err != nil {
		return nil, p.errorf(num, nil, "EXT-X-MAP: %v", err)
	}
	var rng *ByteRange
	if v, ok, err := a.quoted("BYTERANGE"); err != nil {
		return nil, p.errorf(num, nil, "EXT-X-MAP: %v", err)
	} else if ok {
		// RFC 8216, section 4.3.2.5: without an offset the range starts
		// at 0.
		r, _, err := parseByteRange(v)
		if err != nil {
			return nil, p.errorf(num, nil, "EXT-X-MAP BYTERANGE: %v", err)
		}
		rng = &r
	}
	uri, ok, err := a.quoted("URI")
	if err != nil {
		return nil, p.errorf(num, nil, "EXT-X-MAP: %v", err)
	}
	if !ok || uri == "" {
		return nil, p.errorf(num, nil, "EXT-X-MAP: missing URI")
	}
	// RFC 8216, section 4.3.2.5: an encrypted init section has no media
	// sequence number to derive an IV from, so the IV must be explicit.
	if key != nil && !key.HasIV {
		return nil, p.errorf(num, nil, "EXT-X-MAP: encrypted with AES-128 but the EXT-X-KEY has no IV")
	}
	u, err := p.resolve(num, uri)
	if err != nil {
		return nil, err
	}
	return &InitSection{URI: u, Key: key, Range: rng}, nil
}

// parseByteRange reads "<length>[@<offset>]" (RFC 8216, section 4.3.2.2);
// hasOff reports whether the offset was there.
func parseByteRange(v string) (r ByteRange, hasOff bool, err error) {
	lenText, offText, hasOff := strings.Cut(strings.TrimSpace(v), "@")
	n, err := parseDecimalInt(lenText)
	if err != nil || n == 0 || n > 1<<62 {
		return ByteRange{}, false, fmt.Errorf("%q: the length is not a positive whole number", v)
	}
	r.Length = int64(n)
	if hasOff {
		o, err := parseDecimalInt(offText)
		if err != nil || o > 1<<62 {
			return ByteRange{}, false, fmt.Errorf("%q: the offset is not a whole number", v)
		}
		r.Offset = int64(o)
	}
	return r, hasOff, nil
}

// previousRange returns the byte range of the last segment when it is a
// range of the same resource u, the only case in which a range may leave
// its offset out.
func previousRange(segs []Segment, u *url.URL) *ByteRange {
	if len(segs) == 0 {
		return nil
	}
	last := &segs[len(segs)-1]
	if last.Range == nil || last.URI.String() != u.String() {
		return nil
	}
	return last.Range
}

// parser carries what every error and URI needs.
type parser struct {
	name string
	base *url.URL
}

// errorf builds a *ParseError at line num (0: the whole playlist).
func (p *parser) errorf(num int, sentinel error, format string, args ...any) error {
	return &ParseError{Name: p.name, Line: num, Msg: fmt.Sprintf(format, args...), Err: sentinel}
}

// resolve parses a URI written at line num and resolves it against the base.
func (p *parser) resolve(num int, ref string) (*url.URL, error) {
	u, err := url.Parse(ref)
	if err != nil {
		return nil, p.errorf(num, nil, "bad URI %q: %v", ref, unwrapURLError(err))
	}
	if p.base != nil {
		u = p.base.ResolveReference(u)
	}
	return u, nil
}

// unwrapURLError drops the "parse <url>:" prefix that url.Parse adds, since
// the caller already quotes the URI.
func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// body checks the #EXTM3U header and returns the lines after it.
func (p *parser) body(data []byte) (func(yield func(line) bool), error) {
	for l := range lines(data) {
		if l.text != "#EXTM3U" {
			break
		}
		return func(yield func(line) bool) {
			for l := range lines(data) {
				if l.num > 1 && !yield(l) {
					return
				}
			}
		}, nil
	}
	return nil, p.errorf(1, nil, "missing #EXTM3U header")
}

// line is one trimmed playlist line and its 1-based number.
type line struct {
	num  int
	text string
}

// lines splits data into trimmed lines, accepting LF and CRLF endings and a
// leading UTF-8 byte order mark.
func lines(data []byte) func(yield func(line) bool) {
	return func(yield func(line) bool) {
		data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		for num := 1; len(data) > 0; num++ {
			text, rest, _ := bytes.Cut(data, []byte("\n"))
			data = rest
			if !yield(line{num: num, text: string(bytes.TrimSpace(text))}) {
				return
			}
		}
	}
}

// splitTag splits "#EXT-X-NAME:value" into its name and value.
func splitTag(text string) (tag, value string) {
	if !strings.HasPrefix(text, "#EXT") {
		return "", ""
	}
	tag, value, _ = strings.Cut(text[1:], ":")
	return tag, value
}

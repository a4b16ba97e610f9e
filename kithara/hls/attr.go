package hls

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// attr is one NAME=VALUE pair of an attribute list (RFC 8216, section 4.2).
type attr struct {
	value  string
	quoted bool
}

// attrs is a parsed attribute list, keyed by attribute name.
type attrs map[string]attr

// parseAttrs parses an attribute list such as
// `BANDWIDTH=128000,CODECS="mp4a.40.2"`. Quoted values may hold commas;
// names are unique.
func parseAttrs(s string) (attrs, error) {
	out := attrs{}
	for rest := strings.TrimSpace(s); rest != ""; {
		eq := strings.IndexAny(rest, "=,")
		if eq < 0 || rest[eq] == ',' {
			name := rest
			if eq >= 0 {
				name = rest[:eq]
			}
			return nil, fmt.Errorf("attribute %q has no value", strings.TrimSpace(name))
		}
		name := strings.TrimSpace(rest[:eq])
		if name == "" {
			return nil, errors.New("attribute without a name")
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("duplicate attribute %s", name)
		}
		rest = strings.TrimLeft(rest[eq+1:], " \t")
		var a attr
		if strings.HasPrefix(rest, `"`) {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("attribute %s: unterminated quoted string", name)
			}
			a = attr{value: rest[1 : 1+end], quoted: true}
			rest = strings.TrimLeft(rest[end+2:], " \t")
			if rest != "" && rest[0] != ',' {
				return nil, fmt.Errorf("attribute %s: text after the closing quote", name)
			}
		} else {
			end := strings.IndexByte(rest, ',')
			if end < 0 {
				end = len(rest)
			}
			a = attr{value: strings.TrimSpace(rest[:end])}
			rest = rest[end:]
		}
		out[name] = a
		rest = strings.TrimSpace(strings.TrimPrefix(rest, ","))
	}
	return out, nil
}

// quoted returns the quoted-string attribute name. A present attribute
// written without quotes is an error: the grammar of each attribute is fixed.
func (a attrs) quoted(name string) (string, bool, error) {
	v, ok := a[name]
	if !ok {
		return "", false, nil
	}
	if !v.quoted {
		return "", false, fmt.Errorf("attribute %s must be a quoted string", name)
	}
	return v.value, true, nil
}

// enum returns the enumerated-string attribute name.
func (a attrs) enum(name string) (string, bool, error) {
	v, ok := a[name]
	if !ok {
		return "", false, nil
	}
	if v.quoted {
		return "", false, fmt.Errorf("attribute %s must not be quoted", name)
	}
	return v.value, true, nil
}

// uint returns the decimal-integer attribute name.
func (a attrs) uint(name string) (uint64, bool, error) {
	v, ok, err := a.enum(name)
	if !ok || err != nil {
		return 0, ok, err
	}
	n, err := parseDecimalInt(v)
	if err != nil {
		return 0, false, fmt.Errorf("attribute %s: %w", name, err)
	}
	return n, true, nil
}

// parseDecimalInt parses an RFC 8216 decimal-integer: digits only.
func parseDecimalInt(s string) (uint64, error) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a decimal integer", s)
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is out of range", s)
	}
	return n, nil
}

// maxSeconds is the largest whole number of seconds a time.Duration holds.
const maxSeconds = math.MaxInt64 / int64(time.Second)

// parseSeconds parses an RFC 8216 decimal-floating-point number of seconds
// ("9.97", "10") exactly, without going through float64: digits past the
// nanosecond are truncated.
func parseSeconds(s string) (time.Duration, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" ||
		strings.TrimLeft(whole, "0123456789") != "" || strings.TrimLeft(frac, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a decimal number of seconds", s)
	}
	var secs int64
	if whole != "" {
		n, err := strconv.ParseInt(whole, 10, 64)
		if err != nil || n > maxSeconds {
			return 0, fmt.Errorf("%q seconds is out of range", s)
		}
		secs = n
	}
	var nanos int64
	for i := range 9 {
		nanos *= 10
		if i < len(frac) {
			nanos += int64(frac[i] - '0')
		}
	}
	d := secs*int64(time.Second) + nanos
	if d < 0 {
		return 0, fmt.Errorf("%q seconds is out of range", s)
	}
	return time.Duration(d), nil
}

// parseIV parses a hexadecimal-sequence IV ("0x1f..."), up to 128 bits,
// right-aligned as the integer it denotes.
func parseIV(s string) ([16]byte, error) {
	var iv [16]byte
	digits, ok := strings.CutPrefix(s, "0x")
	if !ok {
		digits, ok = strings.CutPrefix(s, "0X")
	}
	if !ok || digits == "" || len(digits) > 32 {
		return iv, fmt.Errorf("IV %q is not a 128-bit hexadecimal sequence", s)
	}
	if len(digits)%2 == 1 {
		digits = "0" + digits
	}
	b, err := hex.DecodeString(digits)
	if err != nil {
		return iv, fmt.Errorf("IV %q is not a 128-bit hexadecimal sequence", s)
	}
	copy(iv[16-len(b):], b)
	return iv, nil
}

// parseResolution parses a decimal-resolution ("1280x720").
func parseResolution(s string) (Resolution, error) {
	w, h, ok := strings.Cut(s, "x")
	if !ok {
		return Resolution{}, fmt.Errorf("RESOLUTION %q is not WIDTHxHEIGHT", s)
	}
	wn, err1 := parseDecimalInt(w)
	hn, err2 := parseDecimalInt(h)
	if err1 != nil || err2 != nil || wn > math.MaxInt32 || hn > math.MaxInt32 {
		return Resolution{}, fmt.Errorf("RESOLUTION %q is not WIDTHxHEIGHT", s)
	}
	return Resolution{Width: int(wn), Height: int(hn)}, nil
}

package assets

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"strings"
	"unicode/utf8"
)

// maxNameLen bounds one path segment; most file systems stop at 255 bytes.
const maxNameLen = 255

// CanonicalURL returns the form of u that names its asset. Two URLs with the
// same canonical form share a cache entry.
//
// The scheme and host are lowercased, a default port (80 for http, 443 for
// https) and an empty port are dropped, user info and the fragment are dropped,
// an empty path becomes "/". The path and the query are kept as they are:
// unlike the Rust original, which drops the query, a query that selects
// content (?id=42) must not share an entry with another. Callers whose queries
// only carry rotating tokens can strip them before asking.
func CanonicalURL(u *url.URL) (string, error) {
	if u == nil || u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("canonical URL %q: %w: need a scheme and a host", u.Redacted(), ErrInvalidURL)
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return "", fmt.Errorf("canonical URL %q: %w: empty host", u.Redacted(), ErrInvalidURL)
	}
	port := u.Port()
	if port == "" || scheme == "http" && port == "80" || scheme == "https" && port == "443" {
		port = ""
	}
	hostport := host
	switch {
	case port != "":
		hostport = net.JoinHostPort(host, port)
	case strings.Contains(host, ":"):
		hostport = "[" + host + "]" // IPv6 literal without a port
	}
	c := url.URL{
		Scheme:   scheme,
		Host:     hostport,
		Path:     u.Path,
		RawPath:  u.RawPath,
		RawQuery: u.RawQuery,
	}
	if c.Path == "" {
		c.Path = "/"
		c.RawPath = ""
	}
	return c.String(), nil
}

// RootForURL returns the asset root for u: the lowercase hex of the first 16
// bytes of the SHA-256 of CanonicalURL(u).
func RootForURL(u *url.URL) (string, error) {
	c, err := CanonicalURL(u)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(c))
	return hex.EncodeToString(sum[:16]), nil
}

// KeyForURL returns a resource key for u: its last path segment, decoded and
// made safe. Separators, control bytes and invalid UTF-8 become '_', a leading
// dot becomes '_', an empty, "." or ".." segment becomes "index", and a name
// too long for a file system is shortened with a hash suffix that keeps it
// unique. The result always passes ValidateKey.
func KeyForURL(u *url.URL) string {
	seg := ""
	if u != nil {
		p := u.Path
		if i := strings.LastIndexByte(p, '/'); i >= 0 {
			p = p[i+1:]
		}
		seg = p
	}
	if seg == "" || seg == "." || seg == ".." {
		return "index"
	}
	var b strings.Builder
	for i, r := range seg {
		switch {
		case r == utf8.RuneError, r < 0x20, r == 0x7f, r == '/', r == '\\':
			b.WriteByte('_')
		case i == 0 && r == '.':
			b.WriteByte('_')
		default:
			b.WriteRune(r)
		}
	}
	name := b.String()
	if len(name) > maxNameLen {
		sum := sha256.Sum256([]byte(seg))
		suffix := "-" + hex.EncodeToString(sum[:8])
		cut := maxNameLen - len(suffix)
		for !utf8.RuneStart(name[cut]) {
			cut--
		}
		name = name[:cut] + suffix
	}
	return name
}

// ValidateKey reports whether key can name a resource inside an asset: a
// relative, slash-separated path whose segments are non-empty, not "." or
// "..", do not start with a dot (reserved for temporary files), hold no
// backslash or control byte, are valid UTF-8 and fit a file name.
func ValidateKey(key string) error {
	if key == "" {
		return fmt.Errorf("key %q: %w: empty", key, ErrInvalidKey)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if err := validateSegment(seg); err != nil {
			return fmt.Errorf("key %q: %w: %v", key, ErrInvalidKey, err)
		}
	}
	return nil
}

func validateRoot(root string) error {
	if strings.Contains(root, "/") {
		return fmt.Errorf("asset root %q: %w: more than one path segment", root, ErrInvalidRoot)
	}
	if err := validateSegment(root); err != nil {
		return fmt.Errorf("asset root %q: %w: %v", root, ErrInvalidRoot, err)
	}
	if root[0] == '_' {
		return fmt.Errorf("asset root %q: %w: names starting with '_' are reserved", root, ErrInvalidRoot)
	}
	return nil
}

func validateSegment(seg string) error {
	switch {
	case seg == "":
		return fmt.Errorf("empty path segment")
	case seg == "." || seg == "..":
		return fmt.Errorf("path segment %q", seg)
	case seg[0] == '.':
		return fmt.Errorf("segment %q starts with a dot", seg)
	case len(seg) > maxNameLen:
		return fmt.Errorf("segment longer than %d bytes", maxNameLen)
	case !utf8.ValidString(seg):
		return fmt.Errorf("segment is not valid UTF-8")
	}
	for i := 0; i < len(seg); i++ {
		if c := seg[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return fmt.Errorf("segment holds byte %#x", c)
		}
	}
	return nil
}

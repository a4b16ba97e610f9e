package assets

import (
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

func mustParse(t testing.TB, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestCanonicalURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://example.com/audio.mp3", "https://example.com/audio.mp3"},
		{"HTTPS://EXAMPLE.COM/Audio.mp3", "https://example.com/Audio.mp3"},
		{"https://example.com:443/a.mp3", "https://example.com/a.mp3"},
		{"http://example.com:80/a.mp3", "http://example.com/a.mp3"},
		{"http://example.com:/a.mp3", "http://example.com/a.mp3"},
		{"https://example.com:8443/a.mp3", "https://example.com:8443/a.mp3"},
		{"http://example.com:443/a.mp3", "http://example.com:443/a.mp3"},
		{"https://example.com/a.mp3#t=10", "https://example.com/a.mp3"},
		{"https://example.com/a.mp3?id=42#x", "https://example.com/a.mp3?id=42"},
		{"https://user:secret@example.com/a.mp3", "https://example.com/a.mp3"},
		{"https://example.com", "https://example.com/"},
		{"http://[::1]:80/x", "http://[::1]/x"},
		{"http://[::1]:8080/x", "http://[::1]:8080/x"},
		{"https://example.com/a%20b.mp3", "https://example.com/a%20b.mp3"},
	}
	for _, tt := range tests {
		got, err := CanonicalURL(mustParse(t, tt.in))
		if err != nil || got != tt.want {
			t.Errorf("CanonicalURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"/relative/path.mp3", "example.com/a.mp3", "mailto:someone@example.com", "http://:80/x"} {
		if _, err := CanonicalURL(mustParse(t, bad)); !errors.Is(err, ErrInvalidURL) {
			t.Errorf("CanonicalURL(%q) = %v, want ErrInvalidURL", bad, err)
		}
	}
	if _, err := RootForURL(nil); !errors.Is(err, ErrInvalidURL) {
		t.Errorf("RootForURL(nil) = %v", err)
	}
}

func TestRootForURL(t *testing.T) {
	root := func(raw string) string {
		r, err := RootForURL(mustParse(t, raw))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a := root("https://example.com/audio.mp3")
	if len(a) != 32 || strings.Trim(a, "0123456789abcdef") != "" {
		t.Fatalf("root %q is not 32 lowercase hex digits", a)
	}
	// printf %s https://example.com/audio.mp3 | sha256sum | cut -c1-32
	if want := "a0c4f2ad3757186089a63bfb6876001b"; a != want {
		t.Fatalf("root = %s, want %s", a, want)
	}
	same := []string{"HTTPS://Example.COM:443/audio.mp3", "https://example.com/audio.mp3#frag"}
	for _, s := range same {
		if root(s) != a {
			t.Errorf("RootForURL(%q) differs from the canonical URL's root", s)
		}
	}
	differ := []string{"https://example.com:8443/audio.mp3", "http://example.com/audio.mp3", "https://example.com/audio.mp3?v=2", "https://example.com/AUDIO.mp3"}
	for _, d := range differ {
		if root(d) == a {
			t.Errorf("RootForURL(%q) collides with https://example.com/audio.mp3", d)
		}
	}
	if err := validateRoot(a); err != nil {
		t.Errorf("a URL root is not a valid root: %v", err)
	}
}

func TestKeyForURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://h/media/audio.mp3", "audio.mp3"},
		{"https://h/media/seg-001.ts?token=1", "seg-001.ts"},
		{"https://h/media/", "index"},
		{"https://h", "index"},
		{"https://h/a/..", "index"},
		{"https://h/a/%2e%2e", "index"},
		{"https://h/a/.", "index"},
		{"https://h/.hidden", "_hidden"},
		{"https://h/a%5Cb.mp3", "a_b.mp3"},
		{"https://h/a%00b%0A.mp3", "a_b_.mp3"},
		{"https://h/caf%C3%A9.mp3", "café.mp3"},
		{"https://h/bad%FFutf8", "bad_utf8"},
	}
	for _, tt := range tests {
		if got := KeyForURL(mustParse(t, tt.in)); got != tt.want {
			t.Errorf("KeyForURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	long := KeyForURL(mustParse(t, "https://h/"+strings.Repeat("é", 300)))
	long2 := KeyForURL(mustParse(t, "https://h/"+strings.Repeat("é", 301)))
	if len(long) > maxNameLen || ValidateKey(long) != nil || long == long2 {
		t.Errorf("long names: %d bytes, valid %v, distinct %v", len(long), ValidateKey(long), long != long2)
	}
	if KeyForURL(nil) != "index" {
		t.Errorf("KeyForURL(nil) = %q", KeyForURL(nil))
	}
}

func TestValidateKey(t *testing.T) {
	good := []string{"seg.ts", "v1/seg-001.ts", "a/b/c/file.mp3", "index", "x..y"}
	for _, k := range good {
		if err := ValidateKey(k); err != nil {
			t.Errorf("ValidateKey(%q) = %v", k, err)
		}
	}
	bad := []string{"", "/abs", "../up", "a/../b", "a/..", "..", ".", "a//b", "a/", "./a", ".atomic-1.tmp",
		"dir\\file", "nul\x00", "ctl\x1f", "bad\xff", strings.Repeat("x", 256)}
	for _, k := range bad {
		if err := ValidateKey(k); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("ValidateKey(%q) = %v, want ErrInvalidKey", k, err)
		}
	}
	for _, r := range []string{"", "a/b", "_index", "..", ".x", "_private"} {
		if err := validateRoot(r); !errors.Is(err, ErrInvalidRoot) {
			t.Errorf("validateRoot(%q) = %v, want ErrInvalidRoot", r, err)
		}
	}
}

// FuzzKeys checks that every key KeyForURL makes is valid, and that every
// valid key stays inside the asset directory.
func FuzzKeys(f *testing.F) {
	for _, s := range []string{"audio.mp3", "a/../b", "..", "%2e%2e/x", ".h", "a\\..\\b", "v1/seg.ts", "\xff"} {
		f.Add(s)
	}
	base := filepath.FromSlash("/cache/root")
	f.Fuzz(func(t *testing.T, s string) {
		u := &url.URL{Scheme: "https", Host: "h", Path: "/" + s}
		if k := KeyForURL(u); ValidateKey(k) != nil {
			t.Fatalf("KeyForURL(%q) = %q, which ValidateKey rejects: %v", s, k, ValidateKey(k))
		}
		if ValidateKey(s) != nil {
			return
		}
		p := filepath.Join(base, filepath.FromSlash(s))
		rel, err := filepath.Rel(base, p)
		if err != nil || rel == "." || strings.HasPrefix(rel, "..") || filepath.ToSlash(rel) != s {
			t.Fatalf("valid key %q maps to %q, outside or altered (rel %q)", s, p, rel)
		}
	})
}

package names

import "testing"

func TestPercentileKey(t *testing.T) {
	for p, want := range map[float64]string{50: "p50", 99: "p99", 99.9: "p99.9", 99.99: "p99.99", 100: "p100", 0.5: "p0.5", 1e-7: "p0.0000001"} {
		if got := PercentileKey(p); got != want {
			t.Errorf("PercentileKey(%v) = %q, want %q", p, got, want)
		}
	}
}

func TestShort(t *testing.T) {
	for sym, want := range map[string]string{
		"example.com/a/b.(*T).M":           "b.(*T).M",
		"example.com/a/b.F.func1":          "b.F.func1",
		"main.main":                        "main.main",
		"github.com/x/y.(*W[...]).run":     "y.(*W[...]).run",
		"decode_chunk":                     "decode_chunk",
		"":                                 "",
		"trailing/":                        "",
		"example.com/a/b.T.M/not-possible": "not-possible",
	} {
		if got := Short(sym); got != want {
			t.Errorf("Short(%q) = %q, want %q", sym, got, want)
		}
	}
}

func TestLabels(t *testing.T) {
	for _, tc := range []struct {
		name, parent string
		block        bool
		label, short string
	}{
		{"example.com/a/b.F", "", false, "example.com/a/b.F", "b.F"},
		{"decode_chunk", "example.com/a/b.(*D).Read", true, "decode_chunk @ b.(*D).Read", "decode_chunk @ b.(*D).Read"},
		{"api/v1", "example.com/a/b.F", true, "api/v1 @ b.F", "api/v1 @ b.F"},
		{"api/v1", "", true, "api/v1", "v1"},
		{"example.com/a/b.F", "example.com/a/b.G", false, "example.com/a/b.F", "b.F"},
	} {
		if got := Label(tc.name, tc.block, tc.parent); got != tc.label {
			t.Errorf("Label(%q, %v, %q) = %q, want %q", tc.name, tc.block, tc.parent, got, tc.label)
		}
		if got := ShortLabel(tc.name, tc.block, tc.parent); got != tc.short {
			t.Errorf("ShortLabel(%q, %v, %q) = %q, want %q", tc.name, tc.block, tc.parent, got, tc.short)
		}
	}
}

package textfmt

import "testing"

func TestDuration(t *testing.T) {
	for _, c := range []struct {
		ns   int64
		want string
	}{
		{0, "0ns"}, {999, "999ns"}, {1000, "1.00µs"}, {17_090, "17.09µs"}, {999_994, "999.99µs"},
		{1_160_000, "1.16ms"}, {2_500_000_000, "2.50s"}, {3_600_000_000_000, "3600.00s"},
	} {
		if got := Duration(c.ns); got != c.want {
			t.Errorf("Duration(%d) = %q, want %q", c.ns, got, c.want)
		}
	}
}

func TestBytes(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"}, {1023, "1023 B"}, {-1023, "-1023 B"}, {1024, "1.00 KiB"}, {1536, "1.50 KiB"},
		{5 << 20, "5.00 MiB"}, {3 << 30, "3.00 GiB"}, {1 << 50, "1.00 PiB"},
	} {
		if got := Bytes(c.n); got != c.want {
			t.Errorf("Bytes(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

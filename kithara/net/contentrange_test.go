package net

import (
	"errors"
	"fmt"
	"testing"
)

func TestParseContentRange(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want contentRange
	}{
		{"bytes 0-9/100", contentRange{0, 9, 100}},
		{"bytes 99-99/100", contentRange{99, 99, 100}},
		{"Bytes 5-10/*", contentRange{5, 10, -1}},
		{"  bytes 0-0/1 ", contentRange{0, 0, 1}},
		{"bytes 9223372036854775805-9223372036854775806/9223372036854775807",
			contentRange{9223372036854775805, 9223372036854775806, 9223372036854775807}},
	} {
		got, err := parseContentRange(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("parseContentRange(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{
		"", "bytes", "bytes ", "bytes 0-9", "bytes 0-9/", "bytes */100", "bytes 10-9/100",
		"bytes 0-100/100", "bytes -1-9/100", "bytes +0-9/100", "bytes 0-+9/100", "bytes 0x1-9/100",
		"items 0-9/100", "bytes 0-9/-100", "bytes 0-9/1e3", "bytes 0-99999999999999999999/*",
		"bytes 0 - 9/100", "bytes 0-9223372036854775807/*", "bytes 0-9/100/7", "bytes=0-9/100", "bytes 1-2-3/10",
	} {
		if got, err := parseContentRange(in); !errors.Is(err, ErrContentRange) {
			t.Errorf("parseContentRange(%q) = %+v, %v; want ErrContentRange", in, got, err)
		}
	}
}

func FuzzParseContentRange(f *testing.F) {
	for _, seed := range []string{
		"bytes 0-9/100", "bytes 5-10/*", "bytes */100", "bytes 10-9/100", "items 0-1/2",
		"bytes 1-2/3 ", "BYTES 0-0/1",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		cr, err := parseContentRange(in)
		if err != nil {
			if !errors.Is(err, ErrContentRange) {
				t.Fatalf("error %v does not wrap ErrContentRange", err)
			}
			return
		}
		if cr.First < 0 || cr.Last < cr.First || (cr.Total != -1 && cr.Last >= cr.Total) || cr.Len() <= 0 {
			t.Fatalf("parseContentRange(%q) = %+v: inconsistent interval", in, cr)
		}
		total := "*"
		if cr.Total >= 0 {
			total = fmt.Sprint(cr.Total)
		}
		again, err := parseContentRange(fmt.Sprintf("bytes %d-%d/%s", cr.First, cr.Last, total))
		if err != nil || again != cr {
			t.Fatalf("round trip of %+v: %+v, %v", cr, again, err)
		}
	})
}

package gen

import (
	"slices"
	"testing"
)

// TestTakeLineMarkersBrokenOneLiner: a marker the printer leaves after the
// opening brace of a one-line function whose statement outgrew the line
// (a send rewritten with its ChanOp) names the statement on the next line;
// one followed by the statement on its own line is only removed.
func TestTakeLineMarkersBrokenOneLiner(t *testing.T) {
	twin := "package p\n\n" +
		"func f() { /*hotpath:line 7*/\n" +
		"\tg()\n" +
		"}\n" +
		"func h() { /*hotpath:line 9*/ g() }\n"
	out, marks := takeLineMarkers([]byte(twin))
	want := "package p\n\nfunc f() {\n\tg()\n}\nfunc h() { g() }\n"
	if string(out) != want {
		t.Errorf("text:\n%s\nwant:\n%s", out, want)
	}
	if wantMarks := []int{0, 0, 0, 7, 0, 0, 0}; !slices.Equal(marks, wantMarks) {
		t.Errorf("marks %v, want %v", marks, wantMarks)
	}
}

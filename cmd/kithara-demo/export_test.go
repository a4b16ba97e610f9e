package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/pprof/profile"

	hotpath "github.com/hotpath-go/hotpath/runtime"
	"github.com/hotpath-go/hotpath/testdata/fixtures"
)

// TestPprofFormat runs the demo with HOTPATH_FORMAT=pprof: the report is a
// valid pprof profile in HOTPATH_OUTPUT (with samples of Kithara's
// measured functions when instrumented), and the summary stays on stdout.
func TestPprofFormat(t *testing.T) {
	clearHotpathEnv(t)
	out := filepath.Join(t.TempDir(), "demo.pb.gz")
	t.Setenv("HOTPATH_FORMAT", "pprof")
	t.Setenv("HOTPATH_OUTPUT", out)
	srv := httptest.NewServer(http.FileServerFS(fixtures.FS))
	defer srv.Close()
	code, stdout, _ := runDemo(t, "--url", srv.URL+"/tone.wav", "--seek", "off", "--speed", "1")
	if code != exitOK {
		t.Fatalf("exit %d, want 0", code)
	}
	summaryLines(t, stdout)
	f, err := os.Open(out)
	if err != nil {
		t.Fatalf("no profile: %v", err)
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		t.Fatalf("parse %s: %v", out, err)
	}
	if err := p.CheckValid(); err != nil {
		t.Fatal(err)
	}
	if p.DefaultSampleType != "wall" {
		t.Errorf("default sample type %q", p.DefaultSampleType)
	}
	if !hotpath.Enabled {
		if len(p.Sample) != 0 {
			t.Errorf("untagged profile has %d samples", len(p.Sample))
		}
		return
	}
	kithara := 0
	for _, s := range p.Sample {
		fn := s.Location[0].Line[0].Function
		if strings.Contains(fn.Name, "/kithara/") && s.Value[1] > 0 {
			kithara++
			if !strings.HasPrefix(fn.Filename, "github.com/hotpath-go/hotpath/kithara/") || fn.StartLine <= 0 {
				t.Errorf("%s located at %s:%d", fn.Name, fn.Filename, fn.StartLine)
			}
		}
	}
	if kithara < 5 {
		t.Errorf("%d samples of Kithara functions, want several", kithara)
	}
}

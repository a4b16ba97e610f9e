package compare

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	hotpath "github.com/hotpath-go/hotpath/runtime"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenResult compares three reports that cover every kind of row: a
// tested group with regressions, an improvement, new and removed rows, a
// block, channels, mutexes and goroutine sites; an alloc-mode group with a
// single run a side; and a group with nothing to report.
func goldenResult() *Result {
	var base, head []*hotpath.Report
	blk := func(calls uint64, avg int64) hotpath.FuncRow {
		r := fn("decode_chunk", calls, avg)
		r.Name, r.Kind, r.Parent = "decode_chunk", "block", pkg+"(*Decoder).Run"
		return r
	}
	for i := range int64(5) {
		b := report("TestProfileWorker",
			fn("(*AsyncWorker).runWorker", 1000, 20000+i*10),
			fn("(*Resampler).process", 5000, 3000+i),
			fn("fetchNext", 200, 50000-i*20),
			fn("(*Cache).ReadAt", 800, 1500+i*100),
			fn("legacyFlush", 10, 900),
			fn("(*Cache).WriteAt", 20, 7000+i),
			blk(5000, 2500+i),
		)
		b.Channels = []hotpath.ChanRow{chanRow("worker_data", 1000, 200000+i*100), chanRow("worker_commands", 12, 0)}
		h := report("TestProfileWorker",
			fn("(*AsyncWorker).runWorker", 1000, 26000+i*10),
			fn("(*Resampler).process", 5000, 3000-i),
			fn("fetchNext", 220, 30000-i*20),
			fn("(*Cache).ReadAt", 800, 1550+i*100),
			fn("prefetch", 40, 12000),
			blk(5000, 3100+i),
		)
		if i < 4 { // one head run never reached WriteAt
			h.Functions = append(h.Functions, fn("(*Cache).WriteAt", 20, 7000+i))
		}
		h.Channels = []hotpath.ChanRow{chanRow("worker_data", 1000, 900000+i*100), chanRow("worker_commands", 12, 0), chanRow("decode_out", 64, 0)}

		// The cache's lock waits eight times longer; the state lock is
		// as it was, and one head run never took it.
		b.Mutexes = []hotpath.MutexRow{rwMutexRow("cache_mu", 200, 40, 50000+i*100, 5000, 10000), mutexRow("state_mu", 1000, 2, 3000+i)}
		h.Mutexes = []hotpath.MutexRow{rwMutexRow("cache_mu", 200, 90, 400000+i*100, 5000, 10000), mutexRow("queue_mu", 300, 0, 0)}
		if i < 4 {
			h.Mutexes = append(h.Mutexes, mutexRow("state_mu", 1000, 2, 3000-i))
		}
		// Prefetch goroutines panic in one head run; the worker lives
		// through every run; the flusher is gone.
		b.Goroutines = []hotpath.GoRow{goRow("prefetch_go", 40, 0, 12000), workerGoRow("runWorker_go"), goRow("flush_go", 10, 0, 900)}
		h.Goroutines = []hotpath.GoRow{goRow("prefetch_go", 40, 0, 15000), workerGoRow("runWorker_go")}
		if i == 2 {
			h.Goroutines[0] = goRow("prefetch_go", 40, 1, 15000)
		}
		base, head = append(base, b), append(head, h)
	}

	ab := report("TestProfileHLSPlayback", withAlloc(fn("HlsDriver.run", 1, 900000000), 1<<20, 900), withAlloc(fn("parsePlaylist", 12, 40000), 512, 6))
	ah := report("TestProfileHLSPlayback", withAlloc(fn("HlsDriver.run", 1, 910000000), 1<<20, 910), withAlloc(fn("parsePlaylist", 12, 41000), 2048, 9))
	ab.Alloc, ah.Alloc = true, true
	base, head = append(base, ab), append(head, ah)

	for range 2 {
		base = append(base, report("TestProfileNetQuiet", fn("HttpClient.GetStream", 3, 1000000)))
		head = append(head, report("TestProfileNetQuiet", fn("HttpClient.GetStream", 3, 1000000)))
	}
	return Compare(base, head, Options{})
}

func TestGolden(t *testing.T) {
	res := goldenResult()
	for _, tt := range []struct {
		file  string
		write func(*Result, *bytes.Buffer) error
	}{
		{"compare.txt", func(r *Result, b *bytes.Buffer) error { return r.WriteText(b) }},
		{"compare.md", func(r *Result, b *bytes.Buffer) error { return r.WriteMarkdown(b) }},
		{"compare.json", func(r *Result, b *bytes.Buffer) error { return r.WriteJSON(b) }},
	} {
		t.Run(tt.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tt.write(res, &buf); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tt.file)
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), buf.String()); diff != "" {
				t.Errorf("%s differs (-want +got); go test -update rewrites it:\n%s", path, diff)
			}
		})
	}
}

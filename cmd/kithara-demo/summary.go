package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hotpath-go/hotpath/kithara/decode"
	"github.com/hotpath-go/hotpath/kithara/hls"
	"github.com/hotpath-go/hotpath/kithara/player"
)

// summary is what a playback did.
type summary struct {
	url           string
	kind          player.Kind
	format        decode.Format
	duration      time.Duration // of the presentation, when durationKnown
	durationKnown bool
	frames        int64 // of PCM produced
	speed         float64
	speedAt       time.Duration // media time of the speed change
	seeks         []seekRecord
	variants      []hls.Variant // of an HLS presentation
	events        []hls.Event
	requests      int64
	bytes         int64 // of response bodies
	wall          time.Duration
}

// seekRecord is one seek, in media time.
type seekRecord struct {
	from, to time.Duration
}

// write prints the summary as aligned "name  value" lines: the first word
// of a line names it, so that a script (or a test) can pick lines out.
func (s *summary) write(w io.Writer) {
	line := func(name, format string, a ...any) {
		fmt.Fprintf(w, "%-10s %s\n", name, fmt.Sprintf(format, a...))
	}
	played := s.kind.String()
	if s.durationKnown {
		played += ", " + round(s.duration).String()
	}
	line("played", "%s (%s)", s.url, played)
	line("output", "%d Hz, %d channels", s.format.SampleRate, s.format.Channels)
	audio := time.Duration(0)
	if s.format.SampleRate > 0 {
		audio = time.Duration(s.frames) * time.Second / time.Duration(s.format.SampleRate)
	}
	line("audio", "%d frames, %v", s.frames, round(audio))
	if s.speed != 1 {
		line("speed", "%gx from %v", s.speed, round(s.speedAt))
	} else {
		line("speed", "1x throughout")
	}
	seeks := make([]string, len(s.seeks))
	for i, sk := range s.seeks {
		seeks[i] = fmt.Sprintf("%v -> %v", round(sk.from), round(sk.to))
	}
	line("seeks", "%d%s", len(s.seeks), list(seeks))
	if s.kind == player.KindHLS {
		s.writeHLS(line)
	}
	line("network", "%d requests, %s", s.requests, kib(s.bytes))
	line("wall", "%v", round(s.wall))
}

// writeHLS prints the variant switches and segment counts from the events.
func (s *summary) writeHLS(line func(name, format string, a ...any)) {
	var switches, errs []string
	initial := "?"
	fetched, cached := 0, 0
	for _, e := range s.events {
		switch e := e.(type) {
		case hls.VariantApplied:
			if e.From < 0 {
				initial = s.variant(e.To)
				continue
			}
			switches = append(switches, fmt.Sprintf("%s -> %s at segment %d (%v)", s.variant(e.From), s.variant(e.To), e.Segment, e.Reason))
		case hls.SegmentComplete:
			if e.Segment < 0 {
				continue // an init section
			}
			fetched++
			if e.Cached {
				cached++
			}
		case hls.ErrorEvent:
			errs = append(errs, e.Err.Error())
		}
	}
	line("variants", "%s at the start, %s%s", initial, plural(len(switches), "switch", "switches"), list(switches))
	line("segments", "%d complete, %d from the cache", fetched, cached)
	if len(errs) > 0 {
		line("errors", "%d%s", len(errs), list(errs))
	}
}

// variant names variant i with its bit rate: "v2 (192 kb/s)".
func (s *summary) variant(i int) string {
	if i < 0 || i >= len(s.variants) || s.variants[i].Bandwidth == 0 {
		return fmt.Sprintf("v%d", i)
	}
	return fmt.Sprintf("v%d (%d kb/s)", i, (s.variants[i].Bandwidth+500)/1000)
}

// list formats items as ": a; b", or nothing when there are none.
func list(items []string) string {
	if len(items) == 0 {
		return ""
	}
	return ": " + strings.Join(items, "; ")
}

// plural formats a count of things: "1 switch", "2 switches".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func round(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

func kib(n int64) string { return fmt.Sprintf("%.1f KiB", float64(n)/1024) }

//go:build !hotpath

package hls

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/hotpath-go/hotpath/kithara/storage"
)

// The byte space an HlsSource serves is laid out in runs. A run is what the
// driver fetches in one go from a starting segment: its init sections and
// segments, placed end to end in the order the driver publishes them, each
// from whatever variant ABR chose for it. A decoder reading a run reads one
// continuous elementary stream, variant switches included.
//
// A seek to a segment that the current run does not hold starts a new run,
// placed after everything laid out so far. Offsets therefore never change
// meaning: bytes already handed to a reader stay where they were, and a
// reader still working in an old run (before its own seek lands) reads old
// data rather than the wrong segment. Going back to segments that are
// cached costs no request: the new run maps the same cache files again.

// entry is one published init section or segment of a run.
type entry struct {
	start, end int64
	variant    int
	segment    int // -1 for an init section
	res        *storage.StreamingResource
	// t0 and dur place the entry on the presentation timeline; an init
	// section has the t0 of the segment it precedes and no duration.
	t0, dur time.Duration
	// data, when set, is the entry's elementary stream, taken out of its
	// container; res then holds the segment as fetched.
	data    []byte
	codec   AudioCodec
	priming int64
}

// run is a contiguous stretch of the byte space; see above.
type run struct {
	id       uint64
	base     int64
	first    int // the segment the run starts at
	next     int // the segment the run expects next
	entries  []entry
	end      int64
	finished bool  // the last segment of the presentation is published
	err      error // the driver failed to fetch run's next segment
}

// errSuperseded is returned to a reader that reads past the end of a run
// that a seek abandoned; it will be discarded by that seek anyway.
var errSuperseded = errors.New("hls: read past the end of a superseded run")

// segmentIndex holds the runs and wakes readers when they grow. It also
// tracks the reader's position, which the driver needs for the buffer level.
type segmentIndex struct {
	mu      sync.Mutex
	runs    []*run // by base; the last one is current
	nextID  uint64
	changed chan struct{} // closed and replaced on every change
	closed  bool

	// progress has room for one wake-up of a driver waiting for the reader.
	progress chan struct{}
	readPos  int64
	starving int // readers blocked in WaitRange
	// readVariant is the variant of the bytes last read, for VariantReached.
	readVariant int
	emit        func(Event)
}

func newSegmentIndex(emit func(Event)) *segmentIndex {
	x := &segmentIndex{
		changed:     make(chan struct{}),
		progress:    make(chan struct{}, 1),
		readVariant: -1,
		emit:        emit,
	}
	x.runs = []*run{{id: 1, next: 0}}
	x.nextID = 2
	return x
}

// broadcast wakes every waiter. Callers hold mu.
func (x *segmentIndex) broadcast() {
	close(x.changed)
	x.changed = make(chan struct{})
}

func (x *segmentIndex) current() *run { return x.runs[len(x.runs)-1] }

// currentRun returns the id of the current run.
func (x *segmentIndex) currentRun() uint64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.current().id
}

// startRun starts a run at segment first, after everything laid out so far,
// and makes it current. Publications to older runs are refused from now on.
func (x *segmentIndex) startRun(first int) (id uint64, base int64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	cur := x.current()
	r := &run{id: x.nextID, base: cur.end, first: first, next: first, end: cur.end}
	x.nextID++
	x.runs = append(x.runs, r)
	x.broadcast()
	return r.id, r.base
}

// publish appends e (whose start and end are set here) to run id, unless a
// newer run has replaced it. It returns e's offset and whether it was taken.
func (x *segmentIndex) publish(id uint64, e entry) (int64, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	r := x.current()
	if r.id != id || x.closed {
		return 0, false
	}
	size := e.end
	e.start, e.end = r.end, r.end+size
	r.entries = append(r.entries, e)
	r.end = e.end
	if e.segment >= 0 {
		r.next = e.segment + 1
	}
	x.broadcast()
	return e.start, true
}

// nextOffset returns where the next entry of run id will start.
func (x *segmentIndex) nextOffset(id uint64) int64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, r := range x.runs {
		if r.id == id {
			return r.end
		}
	}
	return 0
}

// finish marks run id complete: readers past its end get io.EOF.
func (x *segmentIndex) finish(id uint64) {
	x.setState(id, func(r *run) { r.finished = true })
}

// fail records that run id cannot continue: readers past its end get err.
func (x *segmentIndex) fail(id uint64, err error) {
	x.setState(id, func(r *run) { r.err = err })
}

func (x *segmentIndex) setState(id uint64, f func(*run)) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if r := x.current(); r.id == id {
		f(r)
		x.broadcast()
	}
}

// close wakes every waiter with ErrClosed.
func (x *segmentIndex) close() {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.closed {
		x.closed = true
		x.broadcast()
	}
}

// segmentOffset returns the offset of segment k in the current run: where
// it was published, or the run's end when k is the segment the driver
// publishes next. ok is false when the current run cannot serve k without a
// seek of the driver.
func (x *segmentIndex) segmentOffset(k int) (int64, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	r := x.current()
	for i := range r.entries {
		if r.entries[i].segment == k {
			return r.startOf(i), true
		}
	}
	if k == r.next && !r.finished && r.err == nil {
		return r.end, true
	}
	return 0, false
}

// timeOffset returns the offset of the segment of the current run that plays
// at t by its own start and duration (at the init section before it, if
// any); ok is false when the run holds no such segment. A t past the end of a
// finished run is in its last segment.
func (x *segmentIndex) timeOffset(t time.Duration) (int64, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	r := x.current()
	last := -1
	for i := range r.entries {
		e := &r.entries[i]
		if e.segment < 0 {
			continue
		}
		last = i
		if e.t0 <= t && t < e.t0+e.dur {
			return r.startOf(i), true
		}
	}
	if r.finished && last >= 0 && t >= r.entries[last].t0 {
		return r.startOf(last), true
	}
	return 0, false
}

// startOf returns where a reader of entry i starts: at the init section
// right before it, if any, so that a demuxer gets it again.
func (r *run) startOf(i int) int64 {
	if i > 0 && r.entries[i-1].segment < 0 {
		return r.entries[i-1].start
	}
	return r.entries[i].start
}

// segmentStart returns the presentation time at which the bytes at off
// start: the start of the segment there, or of the segment after the init
// section there. It waits, as a reader would, until that segment is
// published.
func (x *segmentIndex) segmentStart(ctx context.Context, off int64) (time.Duration, error) {
	for pos := off; ; {
		if err := x.WaitRange(ctx, pos, pos+1); err != nil {
			return 0, err
		}
		x.mu.Lock()
		var e entry
		i := -1
		if r := x.runAt(pos); r != nil {
			if i = r.entryAt(pos); i >= 0 {
				e = r.entries[i]
			}
		}
		x.mu.Unlock()
		switch {
		case i < 0:
			// WaitRange saw bytes at pos, so an entry holds them.
			return 0, fmt.Errorf("hls: no segment at offset %d", pos)
		case e.segment >= 0:
			return e.t0, nil
		}
		pos = e.end
	}
}

// runAt returns the run whose stretch holds off. Callers hold mu.
func (x *segmentIndex) runAt(off int64) *run {
	i := sort.Search(len(x.runs), func(i int) bool { return x.runs[i].base > off })
	if i == 0 {
		return nil
	}
	// Several runs can share a base when a seek came before any entry.
	return x.runs[i-1]
}

// entryAt returns the index of the entry of r that holds off, or -1.
func (r *run) entryAt(off int64) int {
	i := sort.Search(len(r.entries), func(i int) bool { return r.entries[i].end > off })
	if i < len(r.entries) && r.entries[i].start <= off {
		return i
	}
	return -1
}

// WaitRange implements stream.Source.WaitRange over the runs. A wait also
// tells where the reader is, and a blocked one that it is starving: the
// driver then fetches past its look-ahead limit, because the reader needs
// bytes the driver has not published, whatever the buffer says (a reader
// may wait for more than one byte: stream's prefetcher waits for a few KiB
// at the front of the data rather than take them a packet at a time).
func (x *segmentIndex) WaitRange(ctx context.Context, start, end int64) error {
	if start < 0 || end < start {
		return fmt.Errorf("hls: wait [%d, %d): invalid range", start, end)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.readPos = start
	starving := false
	defer func() {
		if starving {
			x.starving--
		}
	}()
	for {
		if done, err := x.rangeState(start, end); done {
			return err
		}
		if !starving {
			starving = true
			x.starving++
			x.wakeDriver()
		}
		ch := x.changed
		x.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			x.mu.Lock()
			return ctx.Err()
		}
		x.mu.Lock()
	}
}

// wakeDriver wakes a driver waiting for the reader, if there is one.
func (x *segmentIndex) wakeDriver() {
	select {
	case x.progress <- struct{}{}:
	default:
	}
}

// readerStarving reports whether a reader is blocked on bytes the current
// run does not hold yet.
func (x *segmentIndex) readerStarving() bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.starving > 0
}

// rangeState reports whether a wait for [start, end) is over and with what
// result. Callers hold mu.
func (x *segmentIndex) rangeState(start, end int64) (bool, error) {
	if x.closed {
		return true, ErrClosed
	}
	r := x.runAt(start)
	if r == nil {
		return true, fmt.Errorf("hls: offset %d before the byte space", start)
	}
	if end <= r.end {
		return true, nil
	}
	if r != x.current() {
		if start < r.end {
			return true, nil // the short read ends where the run ends
		}
		return true, errSuperseded
	}
	switch {
	case r.finished && start >= r.end:
		return true, io.EOF
	case r.err != nil && start >= r.end:
		return true, r.err
	case r.finished || r.err != nil:
		return true, nil // the short read ends where the run ends
	}
	return false, nil
}

// ReadAt implements stream.Source.ReadAt: it copies what is published and
// never waits.
func (x *segmentIndex) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("hls: read at %d: negative offset", off)
	}
	x.mu.Lock()
	if x.closed {
		x.mu.Unlock()
		return 0, ErrClosed
	}
	r := x.runAt(off)
	var (
		entries []entry
		tailErr error = storage.ErrUnavailable
	)
	if r != nil {
		if i := r.entryAt(off); i >= 0 {
			// Published entries never change, so this sub-slice can be
			// read without the lock.
			entries = r.entries[i:len(r.entries):len(r.entries)]
		}
		switch {
		case r != x.current():
			tailErr = errSuperseded
		case r.finished:
			tailErr = io.EOF
		case r.err != nil:
			tailErr = r.err
		}
	}
	x.mu.Unlock()

	n, touched := 0, 0
	for _, e := range entries {
		if n == len(p) {
			break
		}
		touched++
		pos := off + int64(n)
		var (
			m   int
			err error
		)
		if e.data != nil {
			m = copy(p[n:min(len(p), n+int(e.end-pos))], e.data[pos-e.start:])
		} else {
			m, err = e.res.ReadAt(p[n:min(len(p), n+int(e.end-pos))], pos-e.start)
		}
		n += m
		if err != nil && !(errors.Is(err, io.EOF) && pos+int64(m) == e.end) {
			return n, fmt.Errorf("hls: read segment %d of variant %d: %w", e.segment, e.variant, err)
		}
	}
	if n > 0 {
		x.noteRead(off+int64(n), entries[:touched])
	}
	if n < len(p) {
		return n, tailErr
	}
	return n, nil
}

// noteRead records the reader's progress to pos through entries: it wakes
// a driver waiting for room ahead and reports the first bytes of a new
// variant.
func (x *segmentIndex) noteRead(pos int64, entries []entry) {
	x.mu.Lock()
	x.readPos = pos
	var reached *entry
	for i := range entries {
		if entries[i].variant != x.readVariant {
			reached = &entries[i]
			x.readVariant = entries[i].variant
		}
	}
	x.mu.Unlock()
	x.wakeDriver()
	if reached != nil && x.emit != nil {
		x.emit(VariantReached{Variant: reached.variant, Segment: reached.segment, Offset: reached.start})
	}
}

// Len implements stream.Source.Len: the length is known once the current
// run holds the last segment.
func (x *segmentIndex) Len() (int64, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if r := x.current(); r.finished {
		return r.end, true
	}
	return 0, false
}

// bufferAhead returns how much presentation time the current run holds
// past the reader's position.
func (x *segmentIndex) bufferAhead() time.Duration {
	x.mu.Lock()
	defer x.mu.Unlock()
	r := x.current()
	if len(r.entries) == 0 {
		return 0
	}
	lastE := r.entries[len(r.entries)-1]
	last := lastE.t0 + lastE.dur
	pos := r.entries[0].t0
	if x.readPos >= r.end {
		pos = last
	} else if i := r.entryAt(x.readPos); i >= 0 {
		e := r.entries[i]
		pos = e.t0 + time.Duration(float64(e.dur)*float64(x.readPos-e.start)/float64(e.end-e.start))
	}
	return max(last-pos, 0)
}

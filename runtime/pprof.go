package hotpath

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/google/pprof/profile"
	"github.com/hotpath-go/hotpath/runtime/internal/core"
)

// DefaultPprofOutput is the file a guard writes a FormatPprof report to
// when neither Options.Output nor Options.Writer is set: a gzipped profile
// does not belong on a terminal.
const DefaultPprofOutput = "hotpath.pb.gz"

// The sample types of a pprof profile, in index order. The alloc types are
// present only when the report is in allocation mode. docs/EXPORT.md
// describes what flat and cum mean for each.
const (
	pprofCalls        = "calls"         // count: calls of the function or block
	pprofWall         = "wall"          // nanoseconds: measured time (the default)
	pprofAllocObjects = "alloc_objects" // count, allocation mode
	pprofAllocSpace   = "alloc_space"   // bytes, allocation mode
	pprofChanOps      = "chan_ops"      // count: messages sent or received at a channel site
	pprofChanBlocked  = "chan_blocked"  // nanoseconds: time sends or receives waited
)

// Profile returns the report as a pprof profile (the format of
// runtime/pprof and go tool pprof); [Report.Write] with FormatPprof writes
// it gzipped.
//
// Every measured function is one location, with its file and line; a block
// is a location called from its enclosing function's. Sample types are
// calls/count, wall/nanoseconds (the default), alloc_objects/count and
// alloc_space/bytes in allocation mode, and chan_ops/count and
// chan_blocked/nanoseconds for channel sites (located at the make call,
// named "chan LABEL"), whose samples carry an "op" label (send or recv).
// Values are arranged so that cum is a row's own
// number in the report (calls, total time, inclusive allocations) and flat
// the part of it outside the row's measured blocks: nothing is counted
// twice along a stack. Measured functions that call each other are not
// linked (the runtime does not record who called whom), so each one's
// time also counts in its callers' flat.
func (r *Report) Profile() *profile.Profile {
	b := newPprofBuilder(r)
	return b.build()
}

func (r *Report) writePprof(w io.Writer) error {
	p := r.Profile()
	if err := p.CheckValid(); err != nil {
		return fmt.Errorf("hotpath: pprof profile: %w", err)
	}
	return p.Write(w)
}

type pprofBuilder struct {
	r       *Report
	p       *profile.Profile
	alloc   bool
	funcs   map[pprofFuncKey]*profile.Function
	locs    map[*profile.Function]*profile.Location
	targets map[targetKey]*core.Func // registered functions and blocks
	symbols map[string]*core.Func    // functions by symbol, for blocks' parents
}

type pprofFuncKey struct{ name, file string }

type targetKey struct {
	name, parent string
	kind         core.Kind
}

func newPprofBuilder(r *Report) *pprofBuilder {
	b := &pprofBuilder{
		r:       r,
		alloc:   r.Alloc,
		funcs:   map[pprofFuncKey]*profile.Function{},
		locs:    map[*profile.Function]*profile.Location{},
		targets: map[targetKey]*core.Func{},
		symbols: map[string]*core.Func{},
	}
	for _, f := range core.Funcs() {
		k := targetKey{f.Name, f.Parent, f.Kind}
		if _, dup := b.targets[k]; !dup {
			b.targets[k] = f
		}
		if f.Kind == core.KindFunc && f.Symbol != "" {
			if _, dup := b.symbols[f.Symbol]; !dup {
				b.symbols[f.Symbol] = f
			}
		}
	}
	types := []*profile.ValueType{
		{Type: pprofCalls, Unit: "count"},
		{Type: pprofWall, Unit: "nanoseconds"},
	}
	if b.alloc {
		types = append(types,
			&profile.ValueType{Type: pprofAllocObjects, Unit: "count"},
			&profile.ValueType{Type: pprofAllocSpace, Unit: "bytes"})
	}
	types = append(types,
		&profile.ValueType{Type: pprofChanOps, Unit: "count"},
		&profile.ValueType{Type: pprofChanBlocked, Unit: "nanoseconds"})
	end := time.Now()
	b.p = &profile.Profile{
		SampleType:        types,
		DefaultSampleType: pprofWall,
		PeriodType:        &profile.ValueType{Type: pprofWall, Unit: "nanoseconds"},
		Period:            1,
		TimeNanos:         end.Add(-r.Elapsed()).UnixNano(),
		DurationNanos:     r.ElapsedNS,
	}
	if r.Name != "" {
		b.p.Comments = []string{"hotpath report " + r.Name}
	}
	return b
}

// index returns the position of a sample type in the values.
func (b *pprofBuilder) index(typ string) int {
	for i, t := range b.p.SampleType {
		if t.Type == typ {
			return i
		}
	}
	panic("hotpath: no sample type " + typ)
}

func (b *pprofBuilder) build() *profile.Profile {
	iCalls, iWall := b.index(pprofCalls), b.index(pprofWall)
	iObj, iSpace := -1, -1
	if b.alloc {
		iObj, iSpace = b.index(pprofAllocObjects), b.index(pprofAllocSpace)
	}
	// The measured blocks of each function, to take their numbers out of
	// the function's flat part.
	type inner struct{ wall, objects, space int64 }
	blocks := map[string]inner{}
	for i := range b.r.Functions {
		row := &b.r.Functions[i]
		if row.Kind == core.KindBlock.String() && row.Parent != "" {
			s := blocks[row.Parent]
			s.wall += row.TotalNS
			s.objects += row.AllocObjects
			s.space += row.AllocBytes
			blocks[row.Parent] = s
		}
	}
	for i := range b.r.Functions {
		row := &b.r.Functions[i]
		loc := b.rowLocation(row)
		vals := make([]int64, len(b.p.SampleType))
		vals[iWall] = row.TotalNS
		if b.alloc {
			vals[iObj], vals[iSpace] = row.AllocObjects, row.AllocBytes
		}
		if row.Kind == core.KindBlock.String() {
			// The time and allocations count under the parent; the
			// calls stand alone, since a block's calls are not calls of
			// its function.
			stack := []*profile.Location{loc}
			if row.Parent != "" {
				stack = append(stack, b.parentLocation(row))
			}
			b.sample(stack, vals, nil)
			calls := make([]int64, len(vals))
			calls[iCalls] = int64(row.Calls)
			b.sample([]*profile.Location{loc}, calls, nil)
			continue
		}
		vals[iCalls] = int64(row.Calls)
		if in, ok := blocks[b.symbolOf(row)]; ok {
			vals[iWall] = max(vals[iWall]-in.wall, 0)
			if b.alloc {
				vals[iObj] = max(vals[iObj]-in.objects, 0)
				vals[iSpace] = max(vals[iSpace]-in.space, 0)
			}
		}
		b.sample([]*profile.Location{loc}, vals, nil)
	}
	iOps, iBlocked := b.index(pprofChanOps), b.index(pprofChanBlocked)
	for i := range b.r.Channels {
		c := &b.r.Channels[i]
		file, line := splitSite(c.Site)
		// Not the type: pprof shortens names with brackets or
		// parentheses for display.
		loc := b.location("chan "+c.Label, file, line)
		for _, op := range []struct {
			name    string
			n       uint64
			blocked int64
		}{{"send", c.Sent, c.SendBlocked.TotalNS}, {"recv", c.Received, c.RecvBlocked.TotalNS}} {
			if op.n == 0 && op.blocked == 0 {
				continue
			}
			vals := make([]int64, len(b.p.SampleType))
			vals[iOps], vals[iBlocked] = int64(op.n), op.blocked
			b.sample([]*profile.Location{loc}, vals, map[string][]string{"op": {op.name}})
		}
	}
	return b.p
}

func (b *pprofBuilder) sample(stack []*profile.Location, vals []int64, labels map[string][]string) {
	for _, v := range vals {
		if v != 0 {
			b.p.Sample = append(b.p.Sample, &profile.Sample{Location: stack, Value: vals, Label: labels})
			return
		}
	}
}

// symbolOf returns the symbol blocks name as their parent for a function
// row: its registered Symbol, or its name.
func (b *pprofBuilder) symbolOf(row *FuncRow) string {
	if f := b.targets[targetKey{row.Name, row.Parent, core.KindFunc}]; f != nil && f.Symbol != "" {
		return f.Symbol
	}
	return row.Name
}

// rowLocation returns the location of a function or block row.
func (b *pprofBuilder) rowLocation(row *FuncRow) *profile.Location {
	kind := core.KindFunc
	if row.Kind == core.KindBlock.String() {
		kind = core.KindBlock
	}
	f := b.targets[targetKey{row.Name, row.Parent, kind}]
	if f == nil {
		return b.location(row.Name, "", 0)
	}
	sym := f.Symbol
	if kind == core.KindBlock {
		sym = f.Parent
	}
	return b.location(row.Name, sourcePath(sym, f.File), f.Line)
}

// parentLocation returns the location of a block's enclosing function: the
// measured function's when it is measured, else one named after it in the
// block's file.
func (b *pprofBuilder) parentLocation(row *FuncRow) *profile.Location {
	if f := b.symbols[row.Parent]; f != nil {
		return b.location(f.Name, sourcePath(f.Symbol, f.File), f.Line)
	}
	file := ""
	if blk := b.targets[targetKey{row.Name, row.Parent, core.KindBlock}]; blk != nil {
		file = sourcePath(row.Parent, blk.File)
	}
	return b.location(row.Parent, file, 0)
}

// location returns the one location of the named function in file, adding
// it (and its function) the first time.
func (b *pprofBuilder) location(name, file string, line int) *profile.Location {
	k := pprofFuncKey{name, file}
	fn := b.funcs[k]
	if fn == nil {
		fn = &profile.Function{
			ID: uint64(len(b.p.Function) + 1), Name: name, SystemName: name,
			Filename: file, StartLine: int64(line),
		}
		b.funcs[k] = fn
		b.p.Function = append(b.p.Function, fn)
	}
	loc := b.locs[fn]
	if loc == nil {
		loc = &profile.Location{
			ID:   uint64(len(b.p.Location) + 1),
			Line: []profile.Line{{Function: fn, Line: int64(line)}},
		}
		b.locs[fn] = loc
		b.p.Location = append(b.p.Location, loc)
	}
	return loc
}

// sourcePath returns the path of a source file as -trimpath builds name it,
// import path and file name ("example.com/p/file.go"), from a symbol of the
// file's package ("example.com/p.(*T).M") and the file's base name.
func sourcePath(symbol, file string) string {
	if file == "" || strings.Contains(file, "/") {
		return file
	}
	slash := strings.LastIndex(symbol, "/")
	dot := strings.Index(symbol[slash+1:], ".")
	if dot < 0 {
		return file
	}
	return symbol[:slash+1+dot] + "/" + file
}

// splitSite splits a channel site, "example.com/p/file.go:12", into its
// file and line.
func splitSite(site string) (string, int) {
	i := strings.LastIndex(site, ":")
	if i < 0 {
		return site, 0
	}
	n, err := strconv.Atoi(site[i+1:])
	if err != nil {
		return site, 0
	}
	return site[:i], n
}

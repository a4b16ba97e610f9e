package gen

import (
	"path/filepath"
	"sort"
	"strings"

	"github.com/aymanbagabas/go-udiff"
)

// DiffOptions shape the output of Diff.
type DiffOptions struct {
	// Stale shows what generate would change on disk instead of what the
	// twins add to their sources.
	Stale bool
	// Raw keeps //line directives and the checksum line in the diff of a
	// source against its twin; by default they are left out, as noise for
	// a reviewer.
	Raw bool
	// Rel turns absolute paths into the labels shown (a/x.go, b/x_hotpath.go).
	Rel func(string) string
}

// Diff returns unified diffs for review: for every source with a twin,
// the source against its freshly generated twin; with Stale, every file
// generate would change, against what it would write.
func Diff(res *Result, opts DiffOptions) string {
	rel := opts.Rel
	if rel == nil {
		rel = filepath.ToSlash
	}
	var b strings.Builder
	if opts.Stale {
		for _, c := range res.Changes {
			// As git writes them: a file that is created or deleted is
			// /dev/null on the other side.
			from, to := "a/"+rel(c.Path), "b/"+rel(c.Path)
			if c.Old == nil {
				from = "/dev/null"
			}
			if c.New == nil {
				to = "/dev/null"
			}
			b.WriteString(udiff.Unified(from, to, string(c.Old), string(c.New)))
		}
		return b.String()
	}
	var srcs []string
	for src := range res.Twins {
		srcs = append(srcs, src)
	}
	sort.Strings(srcs)
	for _, src := range srcs {
		old := sourceAfterGenerate(res, src)
		twin := string(res.Twins[src])
		if !opts.Raw {
			twin = stripForReview(twin)
		}
		b.WriteString(udiff.Unified("a/"+rel(src), "b/"+rel(twinPath(src)), old, twin))
	}
	return b.String()
}

// sourceAfterGenerate is the source as it reads once generate has run.
func sourceAfterGenerate(res *Result, src string) string {
	for _, c := range res.Changes {
		if c.Path == src && c.Kind == EditSource {
			return string(c.New)
		}
	}
	for _, fp := range res.Plan.Files {
		if fp.Source == src && fp.file != nil {
			return string(fp.file.src)
		}
	}
	return ""
}

// stripForReview drops the //line directives (with the "//" line that
// separates one from a doc comment) and the checksum line (with the blank
// line before it).
func stripForReview(twin string) string {
	lines := strings.SplitAfter(twin, "\n")
	var b strings.Builder
	for i, l := range lines {
		if strings.HasPrefix(l, "//line ") || strings.HasPrefix(l, checksumPrefix) {
			continue
		}
		if l == "\n" && i+1 < len(lines) && strings.HasPrefix(lines[i+1], checksumPrefix) {
			continue
		}
		if l == "//\n" && i+1 < len(lines) && strings.HasPrefix(lines[i+1], "//line ") {
			continue
		}
		b.WriteString(l)
	}
	return b.String()
}

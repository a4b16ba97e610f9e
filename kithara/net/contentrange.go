package net

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// contentRange is a parsed Content-Range header of a 206 response: the
// inclusive byte interval [First, Last] of a resource of Total bytes (-1 when
// the server sent "*").
type contentRange struct {
	First, Last, Total int64
}

// parseContentRange parses "bytes first-last/total" (total may be "*"). It
// rejects other units, the unsatisfied form "bytes */total", negative or
// overflowing numbers, Last < First, and Last at or past a known Total.
func parseContentRange(v string) (contentRange, error) {
	bad := func(why string) (contentRange, error) {
		return contentRange{}, fmt.Errorf("%w: Content-Range %q: %s", ErrContentRange, v, why)
	}
	unit, spec, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok || !strings.EqualFold(unit, "bytes") {
		return bad("not a byte range")
	}
	interval, total, ok := strings.Cut(strings.TrimSpace(spec), "/")
	if !ok {
		return bad("missing total")
	}
	first, last, ok := strings.Cut(interval, "-")
	if !ok {
		return bad("missing interval")
	}
	var cr contentRange
	var err error
	if cr.First, err = parseOffset(first); err != nil {
		return bad("bad first byte")
	}
	if cr.Last, err = parseOffset(last); err != nil {
		return bad("bad last byte")
	}
	if cr.Last == math.MaxInt64 {
		return bad("interval too large")
	}
	if cr.Last < cr.First {
		return bad("last byte before first")
	}
	if total == "*" {
		cr.Total = -1
		return cr, nil
	}
	if cr.Total, err = parseOffset(total); err != nil {
		return bad("bad total")
	}
	if cr.Last >= cr.Total {
		return bad("interval past the total")
	}
	return cr, nil
}

// parseOffset parses a non-negative decimal byte offset, digits only.
func parseOffset(s string) (int64, error) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseInt(s, 10, 64)
}

// Len returns the number of bytes in the interval.
func (cr contentRange) Len() int64 { return cr.Last - cr.First + 1 }

// Package twinshape is a measured function as hotpathgen writes its twin,
// in a package that imports hotpathimpl only, as twins do:
// TestTwinInlines builds it with -gcflags=-m.
package twinshape

import "github.com/hotpath-go/hotpath/runtime/hotpathimpl"

var _hotpath_fn_F = hotpathimpl.Func{Name: "twinshape.F", Symbol: "github.com/hotpath-go/hotpath/runtime/hotpathimpl/testdata/twinshape.F", File: "twin.go", Line: 12}

// F is measured.
func F() {
	if !_hotpath_fn_F.Skip() {
		if _hotpath_s := _hotpath_fn_F.BeginAfterSkip(); _hotpath_s.Timed() {
			defer _hotpath_s.End()
		}
	}
}

package hotpathimpl

import "github.com/hotpath-go/hotpath/runtime/internal/core"

// GoSite is one //hotpath:go statement; generated code declares one per
// statement as a package-level composite literal and passes it to the
// GoFunc of the called function's shape (gocall.go).
type GoSite = core.GoSite

// goNil is a go statement of a nil function value: the runtime's fatal
// error "go of nil func value", raised in the calling goroutine as the
// unrewritten go f() raises it. GoFunc0R0 calls it for a nil f (a go
// statement with arguments or results calls its function in a wrapper
// closure, so a nil one fails in the new goroutine, as Run does).
//
//go:noinline
func goNil() {
	var f func()
	go f()
}

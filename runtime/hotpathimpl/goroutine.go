package hotpathimpl

import "github.com/hotpath-go/hotpath/runtime/internal/core"

// GoSite is one //hotpath:go statement; generated code declares one per
// statement as a package-level composite literal and passes it to the
// GoFunc of the called function's shape (gocall.go).
type GoSite = core.GoSite

//go:build !hotpath

package hotpath

// Enabled reports whether the program was built with -tags hotpath: false
// here. See enabled_on.go for the tagged half.
const Enabled = false

//go:build hotpath

package main

// The untagged half of this switch is instrumented's zero value: hotpathgen
// owns every "!hotpath" build constraint and removes one from a file that
// has no directives, so that half cannot be a file of its own.
func init() { instrumented = true }

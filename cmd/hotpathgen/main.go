// Command hotpathgen instruments Go functions, blocks and channels marked
// with //hotpath: directives. It writes an instrumented twin x_hotpath.go
// next to each source file x.go, selected by the hotpath build tag, so that
//
//	go generate ./...             # or: go tool hotpathgen ./...
//	go test -tags hotpath ./...   # profiles
//	go test ./...                 # runs the original code, untouched
//
// Run "hotpathgen help" for the commands; docs/DIRECTIVES.md is the
// reference for the directives.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

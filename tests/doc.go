// Package tests is hotpath-go's profiling suite: the tests of the seed
// plan's section 8 and its three integration profiles (section 4.1), run
// against the instrumented Kithara port, plus the benchmarks of section 5.
//
// The profiling tests are behind the hotpath build tag:
//
//	go test -tags hotpath -race ./tests/
//
// Each TestProfile... test starts a guard of its own (named after the test,
// with percentiles 50, 90, 95 and 99), exercises one part of the stack, and
// asserts twice: that the pipeline did its job (bytes, frames, events), and
// that the guard's report holds what the test is about (call counts,
// channel traffic, blocked time, blocks), read from the report as a value.
// With HOTPATH_OUTPUT set each guard writes its report there, which is how
// the profile-pr workflow collects one report per test.
//
// The package's untagged files carry //hotpath:measure directives, so
// hotpathgen instruments them: channel operations written here count in the
// channels' report rows only when they go through the helpers of
// helpers.go, because the tagged test files are invisible to the generator
// (it loads the untagged build).
package tests

//go:generate go tool hotpathgen

// Package gen is hotpathgen as a library: it finds //hotpath: directives in
// Go packages, plans what to instrument, and renders the instrumented twin
// files (x.go -> x_hotpath.go) that the hotpath build tag selects.
//
// The pipeline is load -> find directives -> plan -> rewrite -> render. Every
// command of the CLI runs the same pipeline: generate writes its result, check
// compares it with the files on disk, diff prints it, list prints the plan.
// Nothing is written unless every package planned without error.
package gen

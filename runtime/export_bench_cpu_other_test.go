//go:build !unix

package hotpath_test

// processCPU is not measured here.
func processCPU() int64 { return 0 }

//go:build hotpath

package hotpath

// Enabled reports whether the program was built with -tags hotpath, the
// build in which hotpathgen's twins replace the measured sources: true
// here. In a build without the tag it is false, measured functions run
// uninstrumented, and a guard that was not told where or how to write its
// report writes nothing (see Start). A program can branch on it, for
// example to say that it has no profile to show.
const Enabled = true

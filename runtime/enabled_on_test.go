//go:build hotpath

package hotpath

// tagged is what Enabled must be in this build.
const tagged = true

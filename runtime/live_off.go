//go:build !hotpath

package hotpath

// liveFromEnv: without -tags hotpath there is nothing measured to look at,
// and HOTPATH_HTTP is ignored.
const liveFromEnv = false

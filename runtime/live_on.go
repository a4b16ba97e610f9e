//go:build hotpath

package hotpath

// liveFromEnv: in a build with -tags hotpath, HOTPATH_HTTP starts the live
// view with the first guard.
const liveFromEnv = true

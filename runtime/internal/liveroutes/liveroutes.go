// Package liveroutes lets packages under runtime/ add routes to the live
// view's handler without the live view importing them: an exporter (for
// example the Prometheus collector's /metrics) calls Add from its init, so
// the route exists exactly when a program imports the exporter.
package liveroutes

import (
	"net/http"
	"sort"
	"sync"
)

var (
	mu     sync.Mutex
	routes = map[string]http.Handler{}
)

// Route is one added route.
type Route struct {
	// Pattern is an http.ServeMux pattern, e.g. "GET /metrics".
	Pattern string
	Handler http.Handler
}

// Add registers h for pattern on every live handler built after the call.
// Adding the same pattern again replaces the handler.
func Add(pattern string, h http.Handler) {
	mu.Lock()
	defer mu.Unlock()
	routes[pattern] = h
}

// All returns the added routes, sorted by pattern.
func All() []Route {
	mu.Lock()
	defer mu.Unlock()
	out := make([]Route, 0, len(routes))
	for p, h := range routes {
		out = append(out, Route{Pattern: p, Handler: h})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Pattern < out[j].Pattern })
	return out
}

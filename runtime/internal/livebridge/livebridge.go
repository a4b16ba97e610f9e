// Package livebridge connects the public package runtime/live to the live
// view's implementation in package hotpath, without adding to hotpath's
// exported API. Package hotpath sets the variables in its init; runtime/live
// imports hotpath, so they are set before any of its functions runs.
package livebridge

import (
	"net"
	"net/http"
)

// Server is a running live-view listener.
type Server interface {
	// Addr is the address the listener is bound to.
	Addr() net.Addr
	// URL is the page's address, http://HOST:PORT/debug/hotpath/.
	URL() string
	// Close stops the listener and waits for its handlers to return.
	Close() error
}

var (
	// Handler returns a new handler serving the live view's routes and
	// every route added with liveroutes.Add.
	Handler func() http.Handler
	// Listen checks addr (loopback, or any address with a token in
	// HOTPATH_HTTP_TOKEN), binds it and serves Handler() on it.
	Listen func(addr string) (Server, error)
)

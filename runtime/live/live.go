// Package live serves what the hotpath runtime measures while the program
// runs: an HTML page that updates itself every second, the schema-1 JSON
// report, a Server-Sent Events stream of interval deltas and a status
// document, under /debug/hotpath/ (docs/LIVE.md).
//
// Mount it on a mux of your own, as with net/http/pprof or expvar, but
// without touching http.DefaultServeMux:
//
//	mux := http.NewServeMux()
//	live.Register(mux)
//
// or, in a build with -tags hotpath, set HOTPATH_HTTP=127.0.0.1:6770 and the
// first guard starts a listener serving it (no import needed).
//
// Every route answers GET (and HEAD) only; other methods get 405. Requests
// whose Host is not a loopback name or address, nor the listener's own
// address, get 403 (DNS rebinding). When HOTPATH_HTTP_TOKEN is set, every
// request needs "Authorization: Bearer TOKEN" (401 otherwise). No route
// changes any state.
package live

import (
	"net"
	"net/http"
	"strings"

	hotpath "github.com/hotpath-go/hotpath/runtime"
	"github.com/hotpath-go/hotpath/runtime/internal/livebridge"
	"github.com/hotpath-go/hotpath/runtime/internal/liveroutes"
)

// The bridge is set by package hotpath's init; this reference makes the
// dependency (and so the order of initialisation) explicit.
var _ = hotpath.TakeSnapshot

// Prefix is the path every live-view route starts with.
const Prefix = "/debug/hotpath/"

// Handler returns a handler for the live view's routes (all under Prefix)
// and for the routes exporters add (for example /metrics, when the program
// imports the Prometheus exporter). HOTPATH_HTTP_TOKEN is read when it is
// called.
func Handler() http.Handler { return livebridge.Handler() }

// Register mounts Handler on mux at Prefix and at the path of every route an
// exporter added. It never touches http.DefaultServeMux.
func Register(mux *http.ServeMux) {
	h := Handler()
	mux.Handle(Prefix, h)
	for _, rt := range liveroutes.All() {
		// The handler checks the method itself, so that every route
		// answers 405 the same way.
		p := rt.Pattern
		if i := strings.IndexByte(p, ' '); i >= 0 {
			p = strings.TrimSpace(p[i+1:])
		}
		if strings.HasPrefix(p, Prefix) {
			continue // under the prefix already
		}
		mux.Handle(p, h)
	}
}

// Server is a listener serving Handler, as Listen starts it.
type Server struct {
	s livebridge.Server
}

// Listen binds addr and serves Handler on it until Close, with the same
// rules as HOTPATH_HTTP: addr is HOST:PORT (port 0 picks one); a host that is
// not loopback is refused unless HOTPATH_HTTP_TOKEN is set.
func Listen(addr string) (*Server, error) {
	s, err := livebridge.Listen(addr)
	if err != nil {
		return nil, err
	}
	return &Server{s}, nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() net.Addr { return s.s.Addr() }

// URL returns the page's address, http://HOST:PORT/debug/hotpath/.
func (s *Server) URL() string { return s.s.URL() }

// Close stops the server, ends open event streams and waits for every
// handler to return.
func (s *Server) Close() error { return s.s.Close() }

package hotpath

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/hotpath-go/hotpath/runtime/internal/livebridge"
)

// The live view (docs/LIVE.md): an HTTP handler over snapshots of the
// registry, served by runtime/live's Handler and, when HOTPATH_HTTP is set
// in a tagged build, by a listener that lives from the first guard's Start
// to the last guard's Stop. It lives in this package, not in runtime/live,
// so that HOTPATH_HTTP works in every tagged program without an import;
// runtime/live reaches it through internal/livebridge, which keeps this
// package's exported API as it was.

func init() {
	livebridge.Handler = func() http.Handler { return newLiveHandler() }
	livebridge.Listen = func(addr string) (livebridge.Server, error) {
		return listenLive(addr, fmt.Sprintf("address %q", addr))
	}
}

// live is the set of alive guards and the listener HOTPATH_HTTP started.
var live struct {
	mu     sync.Mutex
	guards []*Guard // in the order they started
	srv    *liveServer
	// fromEnv is liveFromEnv; tests of the untagged build turn it on.
	fromEnv bool
	// log receives the listener's one-line messages.
	log io.Writer
}

func init() {
	live.fromEnv = liveFromEnv
	live.log = os.Stderr
}

// liveGuardStarted records g as alive and, for the first alive guard,
// starts the HOTPATH_HTTP listener.
func liveGuardStarted(g *Guard) {
	live.mu.Lock()
	defer live.mu.Unlock()
	live.guards = append(live.guards, g)
	if len(live.guards) != 1 || !live.fromEnv || live.srv != nil {
		return
	}
	addr := osGetenv("HOTPATH_HTTP")
	if addr == "" {
		return
	}
	srv, err := listenLive(addr, fmt.Sprintf("HOTPATH_HTTP=%q", addr))
	if err != nil {
		// One line; the program goes on without the live view.
		fmt.Fprintln(live.log, err)
		return
	}
	fmt.Fprintf(live.log, "hotpath: live view at %s\n", srv.URL())
	live.srv = srv
}

// liveGuardStopped forgets g; when no guard is left it stops the listener.
// Stop calls it after releasing the guard's lock, since handlers may be
// waiting for that lock. Calling it again for g does nothing.
func liveGuardStopped(g *Guard) {
	live.mu.Lock()
	i := liveIndex(g)
	if i < 0 {
		live.mu.Unlock()
		return
	}
	live.guards = append(live.guards[:i], live.guards[i+1:]...)
	var srv *liveServer
	if len(live.guards) == 0 {
		srv, live.srv = live.srv, nil
	}
	live.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

func liveIndex(g *Guard) int {
	for i, a := range live.guards {
		if a == g {
			return i
		}
	}
	return -1
}

// liveCurrentGuard returns the guard started last among the alive ones, or
// nil.
func liveCurrentGuard() *Guard {
	live.mu.Lock()
	defer live.mu.Unlock()
	if len(live.guards) == 0 {
		return nil
	}
	return live.guards[len(live.guards)-1]
}

// liveAllocGuard returns the latest alive guard in allocation mode, or nil.
func liveAllocGuard() *Guard {
	live.mu.Lock()
	defer live.mu.Unlock()
	for i := len(live.guards) - 1; i >= 0; i-- {
		if g := live.guards[i]; g.opts.Alloc && g.base.alloc != nil {
			return g
		}
	}
	return nil
}

func liveGuardCount() int {
	live.mu.Lock()
	defer live.mu.Unlock()
	return len(live.guards)
}

// liveServer is a listener serving the live handler.
type liveServer struct {
	srv    *http.Server
	ln     net.Listener
	cancel context.CancelFunc
	served chan struct{} // closed when Serve has returned
	once   sync.Once

	mu     sync.Mutex // guards closed and the start of a request
	closed bool
	active sync.WaitGroup
}

// isLoopbackHost reports whether host (no port) names this machine's
// loopback interface: localhost, *.localhost, 127.0.0.0/8 or ::1.
func isLoopbackHost(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// listenLive checks addr, binds it and serves the live handler. what names
// addr in error messages (HOTPATH_HTTP="...", address "...").
func listenLive(addr, what string) (*liveServer, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		if err == nil {
			err = errors.New("missing port")
		}
		return nil, fmt.Errorf("hotpath: %s: live view not started: bad address (want HOST:PORT, e.g. 127.0.0.1:6770): %v", what, err)
	}
	token := osGetenv("HOTPATH_HTTP_TOKEN")
	if !isLoopbackHost(host) && token == "" {
		return nil, fmt.Errorf("hotpath: %s: live view not started: not a loopback address; set HOTPATH_HTTP_TOKEN to serve it beyond this machine", what)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("hotpath: %s: live view not started: %v", what, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &liveServer{ln: ln, cancel: cancel, served: make(chan struct{})}
	h := newLiveHandler()
	s.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// No request starts once Close waits for the others.
			s.mu.Lock()
			if s.closed {
				s.mu.Unlock()
				http.Error(w, "the live view is closing", http.StatusServiceUnavailable)
				return
			}
			s.active.Add(1)
			s.mu.Unlock()
			defer s.active.Done()
			h.ServeHTTP(w, r)
		}),
		// Event streams stay open: no write timeout. The context ends
		// them when the server closes.
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          nil,
	}
	go func() {
		defer close(s.served)
		s.srv.Serve(ln)
	}()
	return s, nil
}

// Addr returns the bound address.
func (s *liveServer) Addr() net.Addr { return s.ln.Addr() }

// URL returns the page's address.
func (s *liveServer) URL() string {
	host, port, _ := net.SplitHostPort(s.ln.Addr().String())
	return "http://" + net.JoinHostPort(host, port) + "/debug/hotpath/"
}

// Close stops accepting, ends every open request (event streams included)
// and waits until the handlers and the accept loop have returned.
func (s *liveServer) Close() error {
	var err error
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.cancel()
		err = s.srv.Close()
		<-s.served
		s.active.Wait()
	})
	return err
}

package hotpath

import (
	"crypto/subtle"
	_ "embed"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/hotpath-go/hotpath/runtime/internal/core"
	"github.com/hotpath-go/hotpath/runtime/internal/liveroutes"
)

//go:embed live_page.html
var livePage []byte

// liveHandler serves the live view's routes and the routes added with
// liveroutes, behind the same checks: GET (or HEAD) only, a loopback Host
// or the listener's own address, and the bearer token when one is set.
type liveHandler struct {
	mux   *http.ServeMux
	token string // "" for none
}

// Event stream intervals.
const (
	liveDefaultInterval = time.Second
	liveMinInterval     = 100 * time.Millisecond
)

func newLiveHandler() *liveHandler {
	h := &liveHandler{mux: http.NewServeMux(), token: osGetenv("HOTPATH_HTTP_TOKEN")}
	h.mux.HandleFunc("GET /debug/hotpath/{$}", servePage)
	h.mux.HandleFunc("GET /debug/hotpath/report", serveReport)
	h.mux.HandleFunc("GET /debug/hotpath/events", serveEvents)
	h.mux.HandleFunc("GET /debug/hotpath/status", serveStatus)
	for _, rt := range liveroutes.All() {
		h.add(rt)
	}
	return h
}

// add mounts an exporter's route; one that conflicts with another is left
// out with a line on standard error rather than crashing the program.
func (h *liveHandler) add(rt liveroutes.Route) {
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(os.Stderr, "hotpath: live view: route %q left out: %v\n", rt.Pattern, p)
		}
	}()
	h.mux.Handle(rt.Pattern, rt.Handler)
}

func (h *liveHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method "+r.Method+" not allowed: the live view is read-only (GET)", http.StatusMethodNotAllowed)
		return
	}
	if !liveHostAllowed(r) {
		http.Error(w, fmt.Sprintf("forbidden: Host %q is neither a loopback name or address nor this server's address", r.Host), http.StatusForbidden)
		return
	}
	if h.token != "" {
		got := r.Header.Get("Authorization")
		want := "Bearer " + h.token
		if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="hotpath"`)
			http.Error(w, "unauthorized: this live view needs the header Authorization: Bearer <HOTPATH_HTTP_TOKEN>", http.StatusUnauthorized)
			return
		}
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	h.mux.ServeHTTP(w, r)
}

// liveHostAllowed guards against DNS rebinding: a page from another site
// that makes the browser resolve its own name to 127.0.0.1 still sends
// that name as Host.
func liveHostAllowed(r *http.Request) bool {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "" {
		return false
	}
	if isLoopbackHost(host) {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	if ip == nil {
		return false
	}
	local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	tcp, ok := local.(*net.TCPAddr)
	return ok && tcp.IP.Equal(ip)
}

func servePage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	// The page loads nothing from anywhere else.
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:")
	w.Write(livePage)
}

// liveReportName names the reports of the process-wide window.
func liveReportName() string { return filepath.Base(os.Args[0]) }

func serveReport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	format := Format(q.Get("format"))
	switch format {
	case "":
		format = FormatJSON
	case FormatJSON, FormatJSONPretty, FormatTable:
	default:
		http.Error(w, fmt.Sprintf("bad format %q: want json, json-pretty or table", format), http.StatusBadRequest)
		return
	}
	var rep *Report
	switch since := q.Get("since"); since {
	case "", "start":
		rep = TakeSnapshot().Report(nil, Options{Name: liveReportName()})
	case "guard":
		g := liveCurrentGuard()
		if g == nil {
			http.Error(w, "no guard is running: since=guard needs one (hotpath.Start)", http.StatusNotFound)
			return
		}
		rep = g.Snapshot()
	default:
		http.Error(w, fmt.Sprintf("bad since %q: want start (the default) or guard", since), http.StatusBadRequest)
		return
	}
	if format == FormatTable {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Header().Set("Cache-Control", "no-store")
	rep.Write(w, format)
}

// liveStatus is the status route's document.
type liveStatus struct {
	PID       int    `json:"pid"`
	UptimeNS  int64  `json:"uptime_ns"`
	GoVersion string `json:"go_version"`
	Guards    int    `json:"guards"`
	Alloc     bool   `json:"alloc"`
	Sample    int    `json:"sample"`
}

func serveStatus(w http.ResponseWriter, r *http.Request) {
	allocMode.mu.Lock()
	alloc := allocMode.guards > 0
	allocMode.mu.Unlock()
	st := liveStatus{
		PID:       os.Getpid(),
		UptimeNS:  int64(time.Since(processStart)),
		GoVersion: runtime.Version(),
		Guards:    liveGuardCount(),
		Alloc:     alloc,
		Sample:    core.SampleEvery(),
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(st)
}

// parseInterval reads ?interval=: a Go duration ("500ms", "2s") or a
// number of seconds.
func parseInterval(v string) (time.Duration, error) {
	if v == "" {
		return liveDefaultInterval, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		secs, ferr := strconv.ParseFloat(v, 64)
		if ferr != nil || secs != secs {
			return 0, fmt.Errorf("bad interval %q: want a duration such as 500ms or 2s", v)
		}
		d = time.Duration(secs * float64(time.Second))
	}
	if d < liveMinInterval {
		return 0, fmt.Errorf("bad interval %q: the minimum is %v", v, liveMinInterval)
	}
	return d, nil
}

func serveEvents(w http.ResponseWriter, r *http.Request) {
	interval, err := parseInterval(r.URL.Query().Get("interval"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	var prev *Snapshot
	send := func() bool {
		cur := TakeSnapshot()
		ev := buildLiveEvent(prev, cur)
		prev = cur
		b, err := json.Marshal(ev)
		if err != nil {
			return false
		}
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send() {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-t.C:
			if !send() {
				return
			}
		}
	}
}

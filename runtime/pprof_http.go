package hotpath

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/hotpath-go/hotpath/runtime/internal/liveroutes"
)

// The live view serves GET /debug/hotpath/pprof?seconds=N: a pprof profile
// (see [Report.Profile]) of what ran during the next N seconds, as
// net/http/pprof's /debug/pprof/profile serves a CPU profile.
func init() {
	liveroutes.Add("GET /debug/hotpath/pprof", http.HandlerFunc(servePprof))
}

// defaultPprofSeconds is the window when the request names none, as
// net/http/pprof's.
const defaultPprofSeconds = 30

func servePprof(w http.ResponseWriter, r *http.Request) {
	secs := int64(defaultPprofSeconds)
	if v := r.FormValue("seconds"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 || n > 24*3600 {
			http.Error(w, fmt.Sprintf("hotpath: seconds=%q: want a whole number of seconds from 1 to 86400", v),
				http.StatusBadRequest)
			return
		}
		secs = n
	}
	base := TakeSnapshot()
	timer := time.NewTimer(time.Duration(secs) * time.Second)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-r.Context().Done():
		return // the client went away
	}
	rep := TakeSnapshot().Report(base, Options{Name: "live " + strconv.FormatInt(secs, 10) + "s"})
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="`+DefaultPprofOutput+`"`)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if err := rep.writePprof(w); err != nil {
		// Nothing was written: the profile is checked before encoding.
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

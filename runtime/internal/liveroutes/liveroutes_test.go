package liveroutes

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

type status int

func (s status) ServeHTTP(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(int(s)) }

func TestAddReplacesAndSorts(t *testing.T) {
	Add("GET /z", status(http.StatusOK))
	Add("GET /a", status(http.StatusOK))
	Add("GET /a", status(http.StatusTeapot))
	got := All()
	if len(got) != 2 || got[0].Pattern != "GET /a" || got[1].Pattern != "GET /z" {
		t.Fatalf("routes = %+v, want GET /a then GET /z", got)
	}
	rec := httptest.NewRecorder()
	got[0].Handler.ServeHTTP(rec, httptest.NewRequest("GET", "/a", nil))
	if rec.Code != http.StatusTeapot {
		t.Errorf("GET /a answered %d, want the replacement's %d", rec.Code, http.StatusTeapot)
	}
}

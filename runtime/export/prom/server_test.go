package prom

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	hotpath "github.com/hotpath-go/hotpath/runtime"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// promServer is a Prometheus server run by a test, on loopback.
type promServer struct {
	url string
}

// startPrometheus starts the prometheus binary with native histograms on,
// scraping target (host:port) every second, or skips the test when there is
// no binary. It stops the server when the test ends.
func startPrometheus(t *testing.T, target string) *promServer {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Skip("no prometheus binary on PATH (Debian package prometheus; .ci/run installs it): skipping the real-server test")
	}
	if testing.Short() {
		t.Skip("starts a Prometheus server")
	}
	dir := t.TempDir()
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: hotpath
    scrape_interval: 1s
    scrape_timeout: 900ms
    static_configs:
      - targets: [%q]
`, target)
	cfgFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin,
		"--config.file="+cfgFile,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--enable-feature=native-histograms",
		"--log.level=warn")
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start prometheus: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus output:\n%s", logs.String())
		}
	})
	s := &promServer{url: "http://" + addr}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.url + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus not ready after 60s: %v\n%s", err, logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// freeAddr returns a loopback address with a port that was free a moment
// ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// query runs an instant query and returns the value of its single sample,
// or ok false when the result is empty.
func (s *promServer) query(t *testing.T, q string) (v float64, ok bool) {
	t.Helper()
	vs := s.samples(t, q)
	switch len(vs) {
	case 0:
		return 0, false
	case 1:
		return vs[0], true
	}
	t.Fatalf("query %s: %d samples, want 1", q, len(vs))
	return 0, false
}

// samples runs an instant query and returns the values of its samples.
func (s *promServer) samples(t *testing.T, q string) []float64 {
	t.Helper()
	resp, err := http.Get(s.url + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		t.Fatalf("query %s: %v", q, err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("query %s: decode: %v", q, err)
	}
	if body.Status != "success" {
		t.Fatalf("query %s: %s", q, body.Error)
	}
	var out []float64
	for _, r := range body.Data.Result {
		str, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(str, 64)
		if err != nil {
			t.Fatalf("query %s: value %v", q, r.Value)
		}
		out = append(out, v)
	}
	return out
}

// await queries until the result is present.
func (s *promServer) await(t *testing.T, q string) float64 {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if v, ok := s.query(t, q); ok {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("no result for %s after 60s", q)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// TestPrometheusServer has a real Prometheus scrape this process (its
// measured functions declared as generated code declares them) and checks
// what its query API answers against the guard's own report.
func TestPrometheusServer(t *testing.T) {
	for _, v := range []string{"HOTPATH_FORMAT", "HOTPATH_OUTPUT", "HOTPATH_FOCUS", "HOTPATH_LIMIT", "HOTPATH_ALLOC",
		"HOTPATH_SAMPLE", "HOTPATH_PERCENTILES"} {
		t.Setenv(v, "")
	}
	if _, err := exec.LookPath("prometheus"); err != nil {
		t.Skip("no prometheus binary on PATH (Debian package prometheus; .ci/run installs it): skipping the real-server test")
	}
	tg := newTargets("promserver")
	kd := newKinds("promserver")
	kd.work(t)
	g := hotpath.Start(hotpath.Options{Format: hotpath.FormatNone, Focus: strings.TrimSuffix(tg.fast.Name, "fast"),
		Percentiles: []float64{99}})
	tg.work(t)
	if err := g.Stop(); err != nil {
		t.Fatal(err)
	}
	row := g.Report().Func(tg.fast.Name)
	if row == nil {
		t.Fatalf("no row %s", tg.fast.Name)
	}
	guardP99 := float64(row.Percentiles["p99"]) / 1e9

	schema := int32(8)
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(Options{NativeSchema: &schema, NativeMaxBuckets: -1}))
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true}))
	defer srv.Close()
	p := startPrometheus(t, strings.TrimPrefix(srv.URL, "http://"))

	fn := fmt.Sprintf("{function=%q}", tg.fast.Name)
	calls := p.await(t, "hotpath_function_calls_total"+fn)
	if calls != float64(row.Calls) {
		t.Errorf("Prometheus has %v calls of %s, the guard %d", calls, tg.fast.Name, row.Calls)
	}
	p99 := p.await(t, "histogram_quantile(0.99, hotpath_function_duration_seconds"+fn+")")
	// Prometheus interpolates inside the native bucket that holds the
	// 99th percentile; at schema 8 a bucket is 0.27% wide, a few HDR
	// buckets (0.05-0.1%) at this value. The answer must lie in the
	// native bucket that holds the guard's p99, or at its edge.
	k := nativeKey(guardP99, schema)
	lo, hi := upper(k-1, schema), upper(k, schema)
	if !(p99 >= lo-1e-12 && p99 <= hi+1e-12) {
		t.Errorf("Prometheus p99 of %s is %.9f s; the guard's is %.9f s, in native bucket (%.9f, %.9f]",
			tg.fast.Name, p99, guardP99, lo, hi)
	}
	// The bar, one HDR bucket: these durations are exact (a
	// synctest bubble), so the answer is too, and it must hold here.
	var hdrWidth float64
	for _, f := range hotpath.TakeSnapshot().Funcs(nil) {
		if f.Name != tg.fast.Name {
			continue
		}
		for b := range f.Durations.Buckets() {
			if b.Low <= row.Percentiles["p99"] && row.Percentiles["p99"] <= b.High {
				hdrWidth = float64(b.High-b.Low+1) / 1e9
			}
		}
	}
	if hdrWidth == 0 || math.Abs(p99-guardP99) > hdrWidth {
		t.Errorf("Prometheus p99 %.9f s is more than one HDR bucket (%.9f s) from the guard's %.9f s", p99, hdrWidth, guardP99)
	}
	t.Logf("p99: guard %.9f s, Prometheus %.9f s (%.3f%% apart; HDR bucket %.3f%%, native bucket %.3f%% wide)",
		guardP99, p99, 100*math.Abs(p99-guardP99)/guardP99, 100*hdrWidth/guardP99, 100*(hi-lo)/lo)
	count := p.await(t, "histogram_count(hotpath_function_duration_seconds"+fn+")")
	if count != float64(row.Timed) {
		t.Errorf("histogram_count %v, guard timed %d", count, row.Timed)
	}
	blocked := p.await(t, fmt.Sprintf("hotpath_channel_blocked_seconds_total{channel=%q,op=\"recv\"}", tg.queue.Label))
	if blocked != 2 {
		t.Errorf("blocked receive seconds %v, want 2", blocked)
	}
	if v := p.await(t, fmt.Sprintf("hotpath_goroutines_started_total{goroutine=%q}", kd.workers.Label)); v != 4 {
		t.Errorf("goroutines started %v, want 4", v)
	}
	if v := p.await(t, fmt.Sprintf("hotpath_mutex_hold_seconds_total{mutex=%q,mode=\"rlock\"}", kd.rw.Label)); v != 0.5 {
		t.Errorf("rlock hold seconds %v, want 0.5", v)
	}

	t.Run("dashboard", func(t *testing.T) { checkDashboard(t, p) })
}

// dashboardFile is the Grafana dashboard of docs/EXPORT.md.
const dashboardFile = "../../../docs/grafana-hotpath.json"

// checkDashboard runs every query of the Grafana dashboard against the
// server: each must parse, name only metrics the collector exports, and
// (but for classic-histogram and allocation-mode queries, which have no data
// here) return series.
func checkDashboard(t *testing.T, p *promServer) {
	data, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Name       string `json:"name"`
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	names := exportedNames()
	var exprs []string
	for _, pn := range dash.Panels {
		if len(pn.Targets) == 0 {
			t.Errorf("panel %q has no query", pn.Title)
		}
		for _, tg := range pn.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	// Template variables: label_values(METRIC, LABEL) is Grafana's; the
	// series it lists come from a plain PromQL query.
	labelValues := regexp.MustCompile(`^label_values\((\w+), (\w+)\)$`)
	for _, v := range dash.Templating.List {
		m := labelValues.FindStringSubmatch(v.Definition)
		if m == nil {
			t.Errorf("variable %s: unexpected query %q", v.Name, v.Definition)
			continue
		}
		exprs = append(exprs, fmt.Sprintf("count by (%s) (%s)", m[2], m[1]))
	}
	if len(exprs) < 8 {
		t.Fatalf("only %d queries in the dashboard", len(exprs))
	}
	metricName := regexp.MustCompile(`\bhotpath_\w+`)
	subst := strings.NewReplacer("$function", ".*", "$channel", ".*", "$__rate_interval", "30s")
	for _, e := range exprs {
		for _, n := range metricName.FindAllString(e, -1) {
			if !names[n] {
				t.Errorf("query %q names %s, which the collector does not export", e, n)
			}
		}
		q := subst.Replace(e)
		if strings.Contains(q, "$") {
			t.Errorf("query %q has a variable the test does not know", e)
			continue
		}
		if strings.Contains(q, "_bucket") || strings.Contains(q, "_sum{") || strings.Contains(q, "alloc") {
			p.samples(t, q) // parses (a parse error fails the test); may be empty here
			continue
		}
		deadline := time.Now().Add(60 * time.Second)
		for len(p.samples(t, q)) == 0 {
			if time.Now().After(deadline) {
				t.Errorf("query %q (as %q) returned no series after 60s", e, q)
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
}

// exportedNames returns the metric names the collector's families give in
// PromQL: the families, and a histogram's _bucket, _sum and _count.
func exportedNames() map[string]bool {
	ch := make(chan *prometheus.Desc, 32)
	NewCollector().Describe(ch)
	close(ch)
	fq := regexp.MustCompile(`fqName: "(\w+)"`)
	names := map[string]bool{}
	for d := range ch {
		m := fq.FindStringSubmatch(d.String())
		if m == nil {
			continue
		}
		names[m[1]] = true
		if strings.HasSuffix(m[1], "_seconds") && !strings.HasSuffix(m[1], "_total") {
			for _, suf := range []string{"_bucket", "_sum", "_count"} {
				names[m[1]+suf] = true
			}
		}
	}
	return names
}

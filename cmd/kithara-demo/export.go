//go:build hotpath

package main

// The Prometheus exporter adds GET /metrics to the live listener
// (HOTPATH_HTTP, --listen): the demo can be scraped while it plays. Only
// the instrumented build links client_golang.
import _ "github.com/hotpath-go/hotpath/runtime/export/prom"

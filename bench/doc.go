// Package bench compares what hotpath's runtime costs per measured call
// with the instrumentation people already use: a Prometheus histogram and
// an OpenTelemetry SDK span, each around the same empty function, against
// the least any timing can cost (two reads of the monotonic clock).
//
// It is a module of its own so that the main module does not depend on
// Prometheus or OpenTelemetry. It has benchmarks only:
//
//	cd bench && go test -run '^$' -bench . -benchmem -count 6 -cpu 1,2 . | tee overhead.txt
//	go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da -col /probe overhead.txt
//
// The runtime's own benchmark (../runtime/func_bench_test.go) has the same
// floor and measured probes and adds the sampled paths.
package bench

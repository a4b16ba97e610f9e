# hotpath-go: every task a contributor or CI runs. Needs only Go (the
# version in go.mod); tools come from the module proxy at pinned versions.

GO ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
BENCHSTAT := golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da

.PHONY: all generate check tidy test test-untagged test-tagged race demo bench lint fmt clean-twins

all: lint test

## generate: write or refresh every instrumented twin (go generate runs hotpathgen).
generate:
	$(GO) generate ./...

## check: fail when a twin is stale, missing, orphaned or edited, or the tagged build would not compile.
check:
	$(GO) run ./cmd/hotpathgen check ./...

## tidy: fail when go.mod or go.sum (of the root module or of bench/) is not
## what go mod tidy would write; fix with go mod tidy in that directory.
tidy:
	$(GO) mod tidy -diff
	cd bench && $(GO) mod tidy -diff

## test: go.mod tidiness, every test untagged and with -tags hotpath, then the twin check.
test: tidy test-untagged test-tagged check

test-untagged:
	$(GO) test ./...

test-tagged:
	$(GO) test -tags hotpath ./...

## race: the tests of both builds under the race detector.
race:
	$(GO) test -race ./...
	$(GO) test -race -tags hotpath ./...

## demo: the main job — generate, then run the instrumented demo and print its report.
demo: generate
	$(GO) run -tags hotpath ./cmd/kithara-demo

## bench: the measured-call overhead against its floor (two clock reads), against
## Prometheus and OpenTelemetry (the bench/ module), and channel operations;
## 6 runs each, summarised by benchstat; then the measured call under the race
## detector. docs/PERFORMANCE.md has the figures.
bench:
	$(GO) test -run '^$$' -bench 'BenchmarkOverhead|BenchmarkChanPair' -benchmem -count 6 -cpu 1,2 ./runtime/ | tee bench-runtime.txt
	cd bench && $(GO) test -run '^$$' -bench . -benchmem -count 6 -cpu 1,2 . | tee ../bench-compare.txt
	$(GO) run $(BENCHSTAT) -col /probe bench-runtime.txt bench-compare.txt
	$(GO) test -race -run '^$$' -bench 'BenchmarkOverhead/par=serial' -benchmem -count 6 -cpu 1 ./runtime/ | tee bench-race.txt
	$(GO) run $(BENCHSTAT) -col /probe bench-race.txt

## lint: gofmt, go vet (both builds) and staticcheck (both builds).
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags hotpath ./...
	$(GO) run $(STATICCHECK) ./...
	$(GO) run $(STATICCHECK) -tags hotpath ./...

## clean-twins: remove every twin and the constraints hotpathgen added.
clean-twins:
	$(GO) run ./cmd/hotpathgen clean ./...

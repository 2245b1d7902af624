# chap_exporter: build, test, lint and demo.
GO        ?= go

BIN_DIR   ?= .build
VERSION   := $(shell cat VERSION)
REVISION  := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
BRANCH    := $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)
LDFLAGS   := -X github.com/prometheus/common/version.Version=$(VERSION) \
             -X github.com/prometheus/common/version.Revision=$(REVISION) \
             -X github.com/prometheus/common/version.Branch=$(BRANCH) \
             -X github.com/prometheus/common/version.BuildUser=$(shell whoami)@$(shell hostname) \
             -X github.com/prometheus/common/version.BuildDate=$(shell date -u +%Y%m%d-%H:%M:%S)
DEMO_PORT ?= 9977
SIM_PORT  ?= 8080

.PHONY: all build test tools test-alerting test-go test-metrics lint bench scale fuzz demo screenshots clean

all: lint test build

## build: the exporter and the simulator, with version information, into $(BIN_DIR)/
build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN_DIR)/chap_exporter ./cmd/chap_exporter
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN_DIR)/dhis2sim ./cmd/dhis2sim

## test: the whole suite with the race detector (including the end-to-end
## alerting test against real Prometheus and Alertmanager), promtool's lint of
## the metrics, and the promtool/amtool checks of the alerting bundle
test: tools test-alerting test-metrics test-go

test-alerting:
	./scripts/check-alerting.sh

tools:
	@./scripts/ensure-tools.sh

# The end-to-end alerting tests run beside the other packages (-p 1 keeps two
# test binaries at once, as go test's default does on two cores) with -v, so
# their progress, a line per scenario, shows during their minutes.
# The load test runs again without -race, at its full 10 000 probes.
test-go:
	@echo "go test -race -count=1 -v ./alerting  (in the background)"
	@$(GO) test -race -count=1 -v ./alerting & e2e=$$!; \
	echo "go test -race -count=1 -p 1 <every other package>"; \
	$(GO) test -race -count=1 -p 1 $$($(GO) list ./... | grep -v '/alerting$$'); rest=$$?; \
	wait $$e2e; e2e=$$?; \
	test $$rest -eq 0 && test $$e2e -eq 0
	$(GO) test -count=1 -run '^TestManyProbesLeakNothing$$' ./server

# promtool lints the golden /probe outputs: the same text Prometheus scrapes.
test-metrics:
	@for f in collector/testdata/*.prom; do \
		echo "promtool check metrics $$f"; \
		promtool check metrics < $$f || exit 1; \
	done

## lint: gofmt, go vet and staticcheck
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

## bench: benchmarks (chain latency, DHIS2 requests and connections, CPU and allocations per probe,
## the status board of 1 000 targets, the history's memory);
## the output also goes to $(BIN_DIR)/bench-<revision>.txt for benchstat
BENCH_COUNT ?= 6
bench:
	@mkdir -p $(BIN_DIR)
	$(GO) test -run '^$$' -bench . -benchmem -count=$(BENCH_COUNT) ./prober/ ./internal/bench/ ./dashboard/ ./history/ | tee $(BIN_DIR)/bench-$(REVISION).txt

## scale: 1000 targets scraped every 15s by two scrapers for two minutes (plus warm-up); not part of make test
SCALE_FLAGS ?=
scale: build
	$(GO) run ./internal/scale --exporter=$(BIN_DIR)/chap_exporter $(SCALE_FLAGS)

# Fuzz targets as package:FuzzName; each runs for FUZZTIME.
FUZZTIME     ?= 10s
FUZZ_TARGETS := config:FuzzParse prober:FuzzParseMe prober:FuzzParseSystemInfo \
                prober:FuzzParseRoutes prober:FuzzParseApps prober:FuzzParseChapInfo

## fuzz: run every fuzz test for FUZZTIME (default 10s); crashers land in testdata/fuzz/
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t#*:}; \
		echo "go test -run '^$$' -fuzz '^$$fn\$$' -fuzztime $(FUZZTIME) ./$$pkg"; \
		$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) ./$$pkg || exit 1; \
	done

## screenshots: refresh the status page screenshots in docs/ (desktop, phone, dark, target page) with headless Chromium
screenshots: tools
	$(GO) test -count=1 -run '^TestStatusPagesInChromium$$' ./server -screenshot.docs

## demo: start the simulator and the exporter and print curl lines to try
demo: build
	@./scripts/demo.sh $(BIN_DIR) $(SIM_PORT) $(DEMO_PORT)

clean:
	rm -rf $(BIN_DIR)

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

.PHONY: all build test tools test-go test-metrics lint bench scale demo clean

all: lint test build

## build: the exporter and the simulator, with version information, into $(BIN_DIR)/
build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN_DIR)/chap_exporter ./cmd/chap_exporter
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN_DIR)/dhis2sim ./cmd/dhis2sim

## test: the whole suite with the race detector, plus promtool's lint of the metrics
test: tools test-go test-metrics

tools:
	@./scripts/ensure-tools.sh

test-go:
	$(GO) test -race -count=1 ./...

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

## bench: benchmarks (chain latency, DHIS2 requests and connections, CPU and allocations per probe);
## the output also goes to $(BIN_DIR)/bench-<revision>.txt for benchstat
BENCH_COUNT ?= 6
bench:
	@mkdir -p $(BIN_DIR)
	$(GO) test -run '^$$' -bench . -benchmem -count=$(BENCH_COUNT) ./prober/ ./internal/bench/ | tee $(BIN_DIR)/bench-$(REVISION).txt

## scale: 1000 targets scraped every 15s by two scrapers for two minutes (plus warm-up); not part of make test
SCALE_FLAGS ?=
scale: build
	$(GO) run ./internal/scale --exporter=$(BIN_DIR)/chap_exporter $(SCALE_FLAGS)

## demo: start the simulator and the exporter and print curl lines to try
demo: build
	@./scripts/demo.sh $(BIN_DIR) $(SIM_PORT) $(DEMO_PORT)

clean:
	rm -rf $(BIN_DIR)

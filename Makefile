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

.PHONY: all build test test-go lint bench demo clean

all: lint test build

## build: the exporter and the simulator, with version information, into $(BIN_DIR)/
build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN_DIR)/chap_exporter ./cmd/chap_exporter
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN_DIR)/dhis2sim ./cmd/dhis2sim

## test: the whole suite, with the race detector, plus the metric lint
test: test-go

test-go:
	$(GO) test -race -count=1 ./...

## lint: gofmt, go vet and staticcheck
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

## bench: benchmarks with allocations
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## demo: start the simulator and the exporter and print curl lines to try
demo: build
	@./scripts/demo.sh $(BIN_DIR) $(SIM_PORT) $(DEMO_PORT)

clean:
	rm -rf $(BIN_DIR)

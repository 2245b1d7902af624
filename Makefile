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

CROSSBUILD_PLATFORMS ?= linux/amd64 linux/arm64 darwin/arm64 windows/amd64

.PHONY: all build crossbuild tarball image test-examples print-release kubernetes-rules test test-current current-tools tools test-alerting test-go test-metrics lint bench scale fuzz demo screenshots clean

all: lint test build

## build: the exporter and the simulator, with version information, into $(BIN_DIR)/
build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN_DIR)/chap_exporter ./cmd/chap_exporter
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN_DIR)/dhis2sim ./cmd/dhis2sim

## crossbuild: static binaries (CGO_ENABLED=0) for CROSSBUILD_PLATFORMS into
## $(BIN_DIR)/<os>-<arch>/ (the platforms .promu.yml lists)
crossbuild:
	@set -e; for p in $(CROSSBUILD_PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; ext=; [ "$$os" = windows ] && ext=.exe; \
		echo "crossbuild $$os/$$arch"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS)' \
			-o $(BIN_DIR)/$$os-$$arch/chap_exporter$$ext ./cmd/chap_exporter; \
	done

# What a release tarball holds besides the binary: the documentation and the committed
# alerting bundle and examples, without tests, test data and test harness code.
TARBALL_FILES = LICENSE NOTICE README.md CHANGELOG.md \
	$(shell git ls-files alerting examples | grep -Ev '(\.go|_test\.ya?ml|/testdata/.*|/go\.(mod|sum))$$|^examples/validate/')

# .promu.yml lists the same files and platforms (release_test.go keeps them in step).
print-release:
	@echo "platforms: $(CROSSBUILD_PLATFORMS)"
	@echo "files: $(TARBALL_FILES)"

## tarball: chap_exporter-<version>.<os>-<arch>.tar.gz per platform in $(BIN_DIR)/
tarball: crossbuild
	@set -e; for p in $(CROSSBUILD_PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; ext=; [ "$$os" = windows ] && ext=.exe; \
		dir=chap_exporter-$(VERSION).$$os-$$arch; \
		rm -rf $(BIN_DIR)/$$dir; mkdir -p $(BIN_DIR)/$$dir; \
		cp $(BIN_DIR)/$$os-$$arch/chap_exporter$$ext $(BIN_DIR)/$$dir/; \
		tar -cf - $(TARBALL_FILES) | tar -xf - -C $(BIN_DIR)/$$dir; \
		tar -czf $(BIN_DIR)/$$dir.tar.gz -C $(BIN_DIR) --owner=0 --group=0 --sort=name $$dir; \
		rm -rf $(BIN_DIR)/$$dir; \
		echo "$(BIN_DIR)/$$dir.tar.gz"; \
	done

# podman if installed, else docker.
CONTAINER_ENGINE ?= $(shell command -v podman >/dev/null 2>&1 && echo podman || echo docker)
IMAGE_NAME       ?= chap_exporter
IMAGE_TAG        ?= $(VERSION)
IMAGE_ARCH       ?= $(shell $(GO) env GOARCH)

## image: the container image (Dockerfile) as $(IMAGE_NAME):$(IMAGE_TAG), with
## $(CONTAINER_ENGINE); no base image is pulled
# The Dockerfile copies from .build/, whatever BIN_DIR is.
image:
	$(MAKE) crossbuild CROSSBUILD_PLATFORMS=linux/$(IMAGE_ARCH) BIN_DIR=.build
	cp /etc/ssl/certs/ca-certificates.crt .build/ca-certificates.crt
	$(CONTAINER_ENGINE) build --build-arg ARCH=$(IMAGE_ARCH) -t $(IMAGE_NAME):$(IMAGE_TAG) .

## kubernetes-rules: examples/kubernetes/prometheusrule.yaml from alerting/rules.yml
kubernetes-rules:
	./scripts/gen-prometheusrule.sh > examples/kubernetes/prometheusrule.yaml

# A test that drives a real tool (promtool, Chromium, podman, ...) skips with a message
# when the tool is missing under plain `go test`; under these targets it fails instead
# (internal/testkit.RequireTool), so nothing is silently skipped where it counts.
test test-go test-examples test-current screenshots: export CHAP_EXPORTER_REQUIRE_TOOLS = 1

## test: the whole suite with the race detector (including the end-to-end
## alerting test against real Prometheus and Alertmanager), promtool's lint of
## the metrics, and the promtool/amtool checks of the alerting bundle
test: tools test-alerting test-metrics test-go test-examples

test-alerting:
	./scripts/check-alerting.sh

## test-current: the same alerting checks, end-to-end tests (alerting/) and compose checks against current
## upstream Prometheus and Alertmanager, which scripts/current-tools.sh builds once into
## a cache outside the repository (about 15 minutes the first time)
test-current: tools
	@path=$$(./scripts/current-tools.sh path) && \
	echo "test-current: tools from $$path" && \
	PATH="$$path:$$PATH" ./scripts/check-alerting.sh && \
	PATH="$$path:$$PATH" $(GO) test -race -count=1 ./alerting/ && \
	PATH="$$path:$$PATH" $(GO) test -count=1 -run '^TestCompose' .

## current-tools: build (or reuse) the current upstream tools test-current uses
current-tools:
	./scripts/current-tools.sh build

tools:
	@./scripts/ensure-tools.sh

# examples/validate is a module of its own (Kubernetes and Prometheus Operator types,
# Prometheus's PromQL parser), so that the exporter's binary never depends on them.
test-examples:
	cd examples/validate && $(GO) test -count=1 ./...

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
	cd examples/validate && $(GO) vet ./... && $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

## bench: benchmarks (chain latency, DHIS2 requests and connections, CPU and allocations per probe,
## the status board of 1 000 targets, the history's memory);
## the output also goes to $(BIN_DIR)/bench-<revision>.txt for benchstat
BENCH_COUNT ?= 6
bench:
	@mkdir -p $(BIN_DIR)
	$(GO) test -run '^$$' -bench . -benchmem -count=$(BENCH_COUNT) ./internal/bench/ ./dashboard/ ./history/ | tee $(BIN_DIR)/bench-$(REVISION).txt

## scale: 1000 targets scraped every 15s by two scrapers for two minutes (plus warm-up); not part of make test
SCALE_FLAGS ?=
scale: build
	$(GO) run ./internal/cmd/scale --exporter=$(BIN_DIR)/chap_exporter $(SCALE_FLAGS)

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

## demo: start the simulators (DHIS2 + chap-core on SIM_PORT, OCS and chapkit on the next two
## ports) and the exporter on DEMO_PORT, and print curl lines to try
demo: build
	@./scripts/demo.sh $(BIN_DIR) $(SIM_PORT) $(DEMO_PORT)

clean:
	rm -rf $(BIN_DIR)

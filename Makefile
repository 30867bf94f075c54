# gws-agentd — build, test and demo entry points.
#
#   make test   installs missing apt packages, builds with warnings as errors, runs every test
#   make demo   the daemon against the bundled GWS simulator (see README)
#   make bench  the Bayeux client throughput benchmark (docs/performance.md)

SWIFT      ?= swift
PREFIX     ?= /usr/local
DESTDIR    ?=
APT_PACKAGES := libcurl4-openssl-dev libsystemd-dev pkg-config ruby-faye thin systemd python3 openssl
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build release test bench demo clean

all: build

## Installs the Debian packages the build and the tests need, only when one is missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

## The whole suite. Package.swift already treats every warning in our targets as an error.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: deps
	$(SWIFT) build -c release --product bayeux-bench
	.build/release/bayeux-bench

demo: deps
	@echo "make demo needs the daemon (gws-agentd run), which has not landed yet."
	@echo "The simulator is ready: swift build --product gws-sim && .build/debug/gws-sim --scripted-activity 5"
	@exit 1

clean:
	rm -rf .build

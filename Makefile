# gws-agentd — build, test, demo, install and package.
#
#   make lint       swift format in lint mode over every Swift file (.swift-format), and the
#                   module graph of docs/architecture.md (scripts/check-module-graph.py)
#   make test       installs missing apt packages, lints, builds with warnings as errors, runs every
#                   test, then checks the units and the install (scripts/check-deployment.sh)
#                   and boots the .deb under systemd (make test-system)
#   make test-system  the .deb in a Debian 12 container under systemd 252 (scripts/test-system.sh)
#   make demo       the daemon against the bundled GWS simulator, watched for about 30 s
#   make install    installs into $(DESTDIR)$(PREFIX) (binary, units, sysusers, config,
#                   man page, completions, docs); make uninstall removes them
#   make deb        builds a .deb with dpkg-deb into out/
#   make bench      the benchmarks (docs/performance.md)
#   make fuzz       each libFuzzer target for FUZZ_SECONDS (docs/reliability.md)
#   make test-sanitize  the suite under AddressSanitizer and ThreadSanitizer
#   make soak       the release daemon under faults for DURATION (default 10m)

SWIFT         ?= swift
PREFIX        ?= /usr/local
DESTDIR       ?=
SYSCONFDIR    ?= /etc
# The build used by install, deb and demo. Release builds link the Swift runtime
# statically, so the binary runs where no Swift toolchain is installed, and with lld's
# packed relative relocations (DT_RELR, glibc 2.36+): 16 KB of relocations for the loader
# to read instead of 2 MB, which saves about 2 MB of private memory (docs/performance.md).
CONFIGURATION ?= release
RELEASE_FLAGS := -c release --static-swift-stdlib -Xswiftc -use-ld=lld -Xlinker -z -Xlinker pack-relative-relocs
# The version is written once: in the newest entry of packaging/changelog (Package.swift's
# BuildVersionPlugin gives it to the binaries).
VERSION       := $(shell sed -n '1s/^[^(]*(\([^)]*\)).*$$/\1/p' packaging/changelog)
APT_PACKAGES  := libcurl4-openssl-dev libsystemd-dev pkg-config ruby-faye thin systemd python3 python3-jsonschema openssl python3-cryptography dpkg-dev binutils lintian debootstrap systemd-container
SUDO          := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

ifeq ($(CONFIGURATION),release)
SWIFT_BUILD_FLAGS := $(RELEASE_FLAGS)
else
SWIFT_BUILD_FLAGS := -c $(CONFIGURATION)
endif
BINARY        = .build/$(CONFIGURATION)/gws-agentd
MANPAGE       = .build/plugins/GenerateManual/outputs/gws-agentd/gws-agentd.8

BINDIR        = $(PREFIX)/bin
UNITDIR       = $(PREFIX)/lib/systemd/system
SYSUSERSDIR   = $(PREFIX)/lib/sysusers.d
MANDIR        = $(PREFIX)/share/man/man8
DOCDIR        = $(PREFIX)/share/doc/gws-agentd
BASHCOMPDIR   = $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR    = $(PREFIX)/share/zsh/vendor-completions
FISHCOMPDIR   = $(PREFIX)/share/fish/vendor_completions.d
CONFDIR       = $(SYSCONFDIR)/gws-agentd
DOCS          = README.md docs/configuration.md docs/state-file.md docs/state-file.schema.json \
                docs/operations.md docs/deployment.md docs/control-socket.md docs/control-socket.schema.json \
                docs/integration.md docs/logging.md docs/security.md

FUZZ_SECONDS  ?= 600
# make test FUZZ_SMOKE=S also fuzzes each target S seconds on a debug fuzz build (it compiles
# in half the time); by default make test only replays, to keep make demo + make test under
# 15 minutes on two cores. make fuzz runs 600 s per target.
FUZZ_CONFIGURATION ?= release
FUZZ_SMOKE    ?= 0
FUZZ_TARGETS  := bayeux notification rest config statefile control
# Soak length: 30s, 10m, 1h …
DURATION      ?= 10m

.PHONY: all deps build binary man install uninstall deb lint test test-system fuzz fuzz-build test-sanitize soak bench bench-fleet demo clean

all: build

## Installs the Debian packages the build and the tests need, only when one is missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: deps
	$(SWIFT) build

binary: deps
	$(SWIFT) build $(SWIFT_BUILD_FLAGS) --product gws-agentd

## gws-agentd(8), generated from the command-line definitions by argument-parser's plugin.
## The plugin builds the executable itself, with plain flags: it uses the debug build, so
## that it never replaces the release binary with a dynamically linked one.
man: deps
	$(SWIFT) package plugin generate-manual --section 8 --date 2026-11-25 \
	  --authors "gws-agentd developers" --configuration debug

## swift format in lint mode (configuration in .swift-format): any finding fails. Then the
## module graph: every import and dependency as docs/architecture.md allows.
LINT_PATHS := Package.swift Sources Tests Benchmarks Fuzz Plugins
lint:
	$(SWIFT) format lint --strict --recursive --parallel $(LINT_PATHS)
	python3 scripts/check-module-graph.py

## The whole suite, after the lint. Package.swift already treats every warning in our targets as an error.
## Then: every seed, past finding and hostile input (Fuzz/hostile: 100,000 keys, the maximum
## depth, 1 MB of escapes; too large to mutate, so not given to libFuzzer) replayed through
## the fuzz targets (and, with FUZZ_SMOKE=S, each target fuzzed S seconds), the deployment
## checks and the system test.
test: deps lint
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	for target in $(FUZZ_TARGETS); do \
	  .build/debug/gws-fuzz $$target Fuzz/corpus/$$target $$(ls -d Fuzz/regressions/$$target Fuzz/hostile/$$target 2>/dev/null) || exit 1; \
	done
	[ "$(FUZZ_SMOKE)" = 0 ] || $(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(FUZZ_SMOKE) FUZZ_CONFIGURATION=debug
	scripts/check-deployment.sh
	$(MAKE) --no-print-directory test-system

## The release .deb installed in a Debian 12 container booted with systemd-nspawn, checked
## step by step (scripts/test-system.sh). Says why and passes when it cannot run (not root,
## no systemd-nspawn). The Debian root is cached in .build-system/.
test-system: deps
	@scripts/test-system.sh --can-run || exit 0; \
	$(MAKE) --no-print-directory deb CONFIGURATION=release && \
	$(SWIFT) build --product gws-sim && \
	scripts/test-system.sh out/gws-agentd_$(VERSION)_$$(dpkg --print-architecture).deb .build/debug/gws-sim

## The libFuzzer build (its own build folder; lld, because gold fails on libFuzzer's objects).
fuzz-build: deps
	$(SWIFT) build -c $(FUZZ_CONFIGURATION) --product gws-fuzz --scratch-path .build-fuzz \
	  -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING -Xcc -DGWS_FUZZING -Xswiftc -use-ld=lld

## Each fuzz target for FUZZ_SECONDS (default 600), two at a time. docs/reliability.md.
fuzz: fuzz-build
	FUZZ_BINARY=.build-fuzz/$(FUZZ_CONFIGURATION)/gws-fuzz scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

## The suite under AddressSanitizer, then under ThreadSanitizer (own build folders).
test-sanitize: deps
	$(SWIFT) build --build-tests --scratch-path .build-asan -Xswiftc -sanitize=address
	LSAN_OPTIONS=suppressions=$(CURDIR)/scripts/lsan-suppressions.txt $(SWIFT) test --skip-build --scratch-path .build-asan
	$(SWIFT) build --build-tests --scratch-path .build-tsan -Xswiftc -sanitize=thread
	TSAN_OPTIONS=halt_on_error=1 $(SWIFT) test --skip-build --scratch-path .build-tsan

## The release daemon against gws-sim under faults for DURATION (docs/reliability.md).
soak: deps
	$(SWIFT) build $(RELEASE_FLAGS) --product gws-agentd
	$(SWIFT) build $(RELEASE_FLAGS) --product daemon-bench
	.build/release/daemon-bench --binary .build/release/gws-agentd soak --duration $(DURATION)

install: man binary
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(MANDIR) \
	  $(DESTDIR)$(DOCDIR) $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR) \
	  $(DESTDIR)$(CONFDIR)
	install -m 0755 $(BINARY) $(DESTDIR)$(BINDIR)/gws-agentd
	for unit in gws-agentd.service gws-agentd@.service gws-agentd-hooks.service; do \
	  sed 's|/usr/bin/gws-agentd|$(BINDIR)/gws-agentd|' systemd/$$unit > $(DESTDIR)$(UNITDIR)/$$unit; \
	  chmod 0644 $(DESTDIR)$(UNITDIR)/$$unit; \
	done
	install -m 0644 systemd/gws-agentd.sysusers $(DESTDIR)$(SYSUSERSDIR)/gws-agentd.conf
	@# Blank lines in the generated page are paragraph breaks: mdoc wants .Pp there.
	sed 's/^$$/.Pp/' $(MANPAGE) > $(DESTDIR)$(MANDIR)/gws-agentd.8
	chmod 0644 $(DESTDIR)$(MANDIR)/gws-agentd.8
	@# bash-completion sources the file: a hashbang line has no place in it.
	$(BINARY) --generate-completion-script bash | sed '1{/^#!/d}' > $(DESTDIR)$(BASHCOMPDIR)/gws-agentd
	$(BINARY) --generate-completion-script zsh > $(DESTDIR)$(ZSHCOMPDIR)/_gws-agentd
	$(BINARY) --generate-completion-script fish > $(DESTDIR)$(FISHCOMPDIR)/gws-agentd.fish
	chmod 0644 $(DESTDIR)$(BASHCOMPDIR)/gws-agentd $(DESTDIR)$(ZSHCOMPDIR)/_gws-agentd $(DESTDIR)$(FISHCOMPDIR)/gws-agentd.fish
	install -m 0644 $(DOCS) config/gws-agentd.yaml $(DESTDIR)$(DOCDIR)/
	install -D -m 0755 examples/hooks/10-log-change $(DESTDIR)$(DOCDIR)/examples/hooks/10-log-change
	@# Never overwrite a configuration someone has edited.
	[ -e $(DESTDIR)$(CONFDIR)/config.yaml ] || install -m 0644 config/gws-agentd.yaml $(DESTDIR)$(CONFDIR)/config.yaml

## Removes what install installed; the configuration in $(CONFDIR) is kept.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/gws-agentd $(DESTDIR)$(UNITDIR)/gws-agentd.service \
	  $(DESTDIR)$(UNITDIR)/gws-agentd@.service $(DESTDIR)$(UNITDIR)/gws-agentd-hooks.service \
	  $(DESTDIR)$(SYSUSERSDIR)/gws-agentd.conf \
	  $(DESTDIR)$(MANDIR)/gws-agentd.8 $(DESTDIR)$(BASHCOMPDIR)/gws-agentd \
	  $(DESTDIR)$(ZSHCOMPDIR)/_gws-agentd $(DESTDIR)$(FISHCOMPDIR)/gws-agentd.fish
	rm -rf $(DESTDIR)$(DOCDIR)
	@echo "kept $(DESTDIR)$(CONFDIR) (your configuration)"

## A .deb built with dpkg-deb (the binary stripped, its debug information in a -dbgsym
## package beside it); its postinst creates the user and groups and starts nothing.
deb:
	scripts/build-deb.sh $(VERSION) $(CONFIGURATION)

## The benchmarks, release builds: the Bayeux client alone, then the daemon end to end
## (latency to the state file, idle cost, a 100,000-notification burst, set round trips,
## one daemon of 1,000 agents beside single-agent daemons), then the fleet at
## FLEET_SIZES agents against gws-sim in its own process. Exits non-zero
## when the daemon misses one of its targets; figures in docs/performance.md.
FLEET_SIZES ?= 1000,5000,10000
bench: deps
	$(SWIFT) build $(RELEASE_FLAGS) --product bayeux-bench
	$(SWIFT) build $(RELEASE_FLAGS) --product gws-agentd
	$(SWIFT) build $(RELEASE_FLAGS) --product daemon-bench
	$(SWIFT) build $(RELEASE_FLAGS) --product libcurl-floor
	.build/release/bayeux-bench
	.build/release/daemon-bench --binary .build/release/gws-agentd
	$(MAKE) --no-print-directory bench-fleet

## One daemon following FLEET_SIZES agents, gws-sim in its own process (scripts/fleet-bench.py),
## over plain HTTP and then over HTTPS (scripts/tls-front.py in front of gws-sim).
bench-fleet: deps
	$(SWIFT) build $(RELEASE_FLAGS) --product gws-agentd
	$(SWIFT) build $(RELEASE_FLAGS) --product gws-sim
	python3 scripts/fleet-bench.py --sizes $(FLEET_SIZES)
	python3 scripts/fleet-bench.py --sizes $(FLEET_SIZES) --tls

## The daemon against the bundled simulator with scripted agent activity, for ~30 s.
## The daemon is the release build (what ships); the simulator, a test tool, the debug build
## that make test builds anyway (a release build of SwiftNIO would cost a minute for nothing).
demo: binary
	$(SWIFT) build --product gws-sim
	scripts/demo.sh $(CONFIGURATION) .build/debug/gws-sim

clean:
	rm -rf .build .build-fuzz .build-asan .build-tsan .build-system .fuzz-work out

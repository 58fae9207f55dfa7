# sopd — README's two commands are `make demo` and `make test`.
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
# prometheus brings promtool, which judges the metrics and the alert rules in the tests.
APT_PACKAGES := libcurl4-openssl-dev libsqlite3-dev pkg-config openssl systemd prometheus
PREFIX ?= /usr
DESTDIR ?=
VERSION ?= $(shell sed -n 's/.*static let version = "\(.*\)"/\1/p' Sources/HTTP/BuildInfo.swift)
ARCH := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
# Installed binaries carry the Swift runtime inside, so the host needs no Swift toolchain.
RELEASE_FLAGS := -c release --static-swift-stdlib --product sopd
RELEASE_BIN = $$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/sopd

.PHONY: deps build release demo test test-repeat bench fuzz emulator units-check install uninstall deb clean

## deps: install the Debian packages the build needs (as root), or say which are missing.
deps:
	@missing=""; \
	for package in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "missing Debian packages:$$missing — run 'sudo make deps' or 'sudo apt-get install$$missing'" >&2; exit 1; \
	  fi; \
	fi

## build: a debug build of everything.
build: deps
	$(SWIFT) build

## release: an optimised, self-contained build of sopd.
release: deps
	$(SWIFT) build $(RELEASE_FLAGS)

## demo: the main job on embedded defaults against both emulators, in-process.
demo: deps
	$(SWIFT) build --product sopd
	$$($(SWIFT) build --show-bin-path)/sopd demo

## test: every test; the black-box tests need the built executables, hence the build first.
test: deps
	$(SWIFT) build
	$(SWIFT) test

## test-repeat: the whole suite N times in a row (N=20 by default), stopping at the first failure; BUSY=K keeps
## K more CPU workers busy meanwhile (stress-ng), as a loaded CI machine would: make test-repeat N=20 BUSY=2.
N ?= 20
BUSY ?= 0
test-repeat: deps
	$(SWIFT) build --build-tests
	@busy=""; \
	if [ "$(BUSY)" != 0 ]; then \
	  command -v stress-ng >/dev/null || { echo "BUSY=$(BUSY) needs stress-ng: apt-get install stress-ng" >&2; exit 1; }; \
	  stress-ng --cpu $(BUSY) --quiet & busy=$$!; trap 'kill $$busy' EXIT; \
	fi; \
	for run in $$(seq 1 $(N)); do \
	  if $(SWIFT) test --skip-build > .build/test-repeat.log 2>&1; then \
	    echo "run $$run/$(N): $$(grep -o 'Test run with .*' .build/test-repeat.log | tail -1)"; \
	  else \
	    echo "run $$run/$(N) failed (whole log: .build/test-repeat.log):"; grep -E '✘' .build/test-repeat.log; exit 1; \
	  fi; \
	done; \
	echo "$(N) runs in a row passed"

## bench: every sopd-bench scenario on a release build (docs/performance.md); ARGS="--scenario a" picks one.
bench: deps
	$(SWIFT) build -c release
	$$($(SWIFT) build -c release --show-bin-path)/sopd-bench $(ARGS)

## fuzz: libFuzzer (with AddressSanitizer) on the parsers, FUZZ_SECONDS (60) per target, one after the other, from
## the seeds in Fuzz/Corpus plus what earlier runs found in .build/fuzz-corpus; crashes land in .build/fuzz-artifacts.
## FUZZ_TARGETS="FuzzJSON FuzzBatch" picks some; FUZZ_MERGE=1 merges new coverage into Fuzz/Corpus (docs/fuzzing.md).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= FuzzJSON FuzzBatch FuzzBackOffice FuzzFilter FuzzQueryOptions
FUZZ_MERGE ?= 0
FUZZ_BUILD := $(SWIFT) build --package-path Fuzz --scratch-path "$(CURDIR)/.build/fuzz" -c release \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing
fuzz: deps
	$(FUZZ_BUILD)
	@bin=$$($(FUZZ_BUILD) --show-bin-path); failed=""; \
	for target in $(FUZZ_TARGETS); do \
	  corpus=.build/fuzz-corpus/$$target; artifacts=.build/fuzz-artifacts/$$target; log=.build/fuzz-artifacts/$$target.log; \
	  mkdir -p $$corpus $$artifacts; \
	  echo "$$target: fuzzing for $(FUZZ_SECONDS) s (log: $$log)"; \
	  if SWIFT_BACKTRACE=enable=no "$$bin/$$target" -max_total_time=$(FUZZ_SECONDS) -timeout=10 -print_final_stats=1 \
	      -dict=Fuzz/Dictionaries/$$target.dict -artifact_prefix=$$artifacts/ $$corpus Fuzz/Corpus/$$target >$$log 2>&1; then \
	    echo "$$target: $$(grep -E '^Done [0-9]+ runs' $$log)"; \
	    if [ "$(FUZZ_MERGE)" = 1 ]; then \
	      SWIFT_BACKTRACE=enable=no "$$bin/$$target" -merge=1 Fuzz/Corpus/$$target $$corpus >>$$log 2>&1 \
	        && echo "$$target: merged into Fuzz/Corpus/$$target: $$(grep -oE 'MERGE-OUTER: [0-9]+ new files' $$log | tail -1)"; \
	    fi; \
	  else \
	    failed="$$failed $$target"; \
	    grep -E 'ERROR:|SUMMARY:|Fatal error|Test unit written|^==[0-9]+== ' $$log | head -8; \
	  fi; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzzing found a problem in:$$failed — replay: $$bin/TARGET .build/fuzz-artifacts/TARGET/crash-…" >&2; exit 1; fi

## emulator: serve both emulators with demo data on fixed ports 8401 (Dataverse) and 8402 (back office).
emulator: deps
	$(SWIFT) build --product sop-emulator
	$$($(SWIFT) build --show-bin-path)/sop-emulator --crm-port 8401 --backoffice-port 8402 --seed-demo-data

## units-check: systemd-analyze verify on the units, and an exposure of 2.0 or lower for each service
## (needs a built sopd: make build; SOPD_BIN=PATH names another one).
SOPD_BIN ?= $(shell $(SWIFT) build --show-bin-path 2>/dev/null)/sopd
units-check:
	@test -x "$(SOPD_BIN)" || { echo "no built sopd at $(SOPD_BIN): run make build first" >&2; exit 1; }
	bash deploy/check-units.sh "$(SOPD_BIN)"

## install: the release binary, the units, an example configuration (0640) and the sopd user.
install: release
	install -D -m 0755 "$(RELEASE_BIN)" "$(DESTDIR)$(PREFIX)/bin/sopd"
	install -D -m 0644 -t "$(DESTDIR)/lib/systemd/system" systemd/sopd.service systemd/sopd-sync-now.service systemd/sopd-sync-now.timer
	install -D -m 0644 -t "$(DESTDIR)$(PREFIX)/share/doc/sopd" README.md docs/backoffice-api.yaml deploy/sopd.example.yaml
	install -m 0644 deploy/README.md "$(DESTDIR)$(PREFIX)/share/doc/sopd/DEPLOY.md"
	install -d -m 0750 "$(DESTDIR)/etc/sopd"
	install -d -m 0700 "$(DESTDIR)/etc/sopd/credentials"
	test -e "$(DESTDIR)/etc/sopd/sopd.yaml" || install -m 0640 deploy/sopd.example.yaml "$(DESTDIR)/etc/sopd/sopd.yaml"
	if [ -z "$(DESTDIR)" ]; then \
	  getent passwd sopd >/dev/null || useradd --system --user-group --home-dir /var/lib/sopd --no-create-home --shell /usr/sbin/nologin sopd; \
	  chown root:sopd /etc/sopd /etc/sopd/sopd.yaml; \
	  if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi; \
	fi
	@echo "installed; next: deploy/README.md (credentials, configuration, sopd doctor, systemctl enable --now sopd)"

## uninstall: removes what install put in place; keeps /etc/sopd and the journal in /var/lib/sopd.
uninstall:
	if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl disable --now sopd.service sopd-sync-now.timer 2>/dev/null || true; fi
	rm -f "$(DESTDIR)$(PREFIX)/bin/sopd" "$(DESTDIR)/lib/systemd/system/sopd.service" \
	  "$(DESTDIR)/lib/systemd/system/sopd-sync-now.service" "$(DESTDIR)/lib/systemd/system/sopd-sync-now.timer"
	rm -rf "$(DESTDIR)$(PREFIX)/share/doc/sopd"
	if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
	@echo "uninstalled; kept /etc/sopd and the journal in /var/lib/sopd (remove them by hand when no longer needed)"

## deb: a Debian package (.build/sopd_VERSION_ARCH.deb) whose scripts create the user and reload systemd.
deb: release
	rm -rf .build/deb && mkdir -p .build/deb/root/DEBIAN
	$(MAKE) --no-print-directory install DESTDIR="$(CURDIR)/.build/deb/root" PREFIX=/usr
	sed -e "s/@VERSION@/$(VERSION)/" -e "s/@ARCH@/$(ARCH)/" deploy/debian/control.in > .build/deb/root/DEBIAN/control
	echo /etc/sopd/sopd.yaml > .build/deb/root/DEBIAN/conffiles
	install -m 0755 deploy/debian/postinst deploy/debian/prerm deploy/debian/postrm .build/deb/root/DEBIAN/
	dpkg-deb --root-owner-group --build .build/deb/root ".build/sopd_$(VERSION)_$(ARCH).deb"

clean:
	rm -rf .build .sopd

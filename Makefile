# sopd — README's two commands are `make demo` and `make test`.
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
# prometheus brings promtool, which judges the metrics and the alert rules in the tests.
# groff-base checks that the manual pages render. libssl-dev builds sop-emulator's TLS front; python3-venv runs
# Microsoft's Python SDK for Dataverse and schemathesis against it (make conformance). postgresql serves the tests of
# the PostgreSQL journal on loopback (Tests/Postgres/prepare.sh) and iproute2 makes the failover test's namespaces.
APT_PACKAGES := libcurl4-openssl-dev libsqlite3-dev libssl-dev pkg-config openssl systemd prometheus groff-base python3-venv \
  postgresql iproute2
# What make deb adds (the package tools and lintian), and what deb-test and vm-test add to those.
DEB_PACKAGES := dpkg-dev binutils lintian
ROOT_PACKAGES := debootstrap e2fsprogs zstd qemu-system-x86 qemu-utils
PREFIX ?= /usr
DESTDIR ?=
VERSION ?= $(shell sed -n 's/.*static let version = "\(.*\)"/\1/p' Sources/HTTP/BuildInfo.swift)
ARCH := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
# Installed binaries carry the Swift runtime inside, so the host needs no Swift toolchain.
# Linked with full RELRO and immediate binding, as Debian's hardening flags ask.
RELEASE_FLAGS := -c release --static-swift-stdlib -Xlinker -z -Xlinker relro -Xlinker -z -Xlinker now
RELEASE_DIR = $$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)
# The manual pages' date: the last commit's, so that a rebuild of the same tree gives the same pages.
MAN_DATE := $(shell git log -1 --format=%cs 2>/dev/null || date -u +%F)
GENERATE_MANUAL := $(SWIFT) package generate-manual --configuration debug --date $(MAN_DATE) \
  --authors "sopd maintainers<maintainers@sopd.example>"
MANUAL_OUTPUT := .build/plugins/GenerateManual/outputs
# The Debian packages' version and history; deb-test passes another changelog for its rebuilt package.
DEB_CHANGELOG ?= deploy/debian/changelog
DEB_OUT ?= .build/deb

.PHONY: deps build release man demo test test-repeat conformance bench fuzz emulator units-check install-files install uninstall deb deb-test vm-test clean

## deps: install the Debian packages the build needs (as root), or say which are missing.
deps:
	@$(call apt-install,$(APT_PACKAGES))

# Installs the Debian packages among $(1) that are missing (as root), or says which they are.
define apt-install
missing=""; \
for package in $(1); do \
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
endef

## build: a debug build of everything.
build: deps
	$(SWIFT) build

## release: optimised, self-contained builds of sopd and sop-emulator.
release: deps
	$(SWIFT) build $(RELEASE_FLAGS) --product sopd
	$(SWIFT) build $(RELEASE_FLAGS) --product sop-emulator

## man: the manual pages in .build/man: sopd.8 and sop-emulator.1 written by swift-argument-parser's
## generate-manual plugin from the commands themselves (so --help and the page agree), and sopd.yaml.5
## from the documentation in deploy/sopd.example.yaml. Read one with: man .build/man/sopd.8
man: deps
	$(GENERATE_MANUAL) --section 8 >/dev/null
	mkdir -p .build/man
	cp $(MANUAL_OUTPUT)/sopd/sopd.8 .build/man/sopd.8
	$(GENERATE_MANUAL) --section 1 >/dev/null
	cp $(MANUAL_OUTPUT)/sop-emulator/sop-emulator.1 .build/man/sop-emulator.1
	awk -v date="$$(LC_ALL=C date -u -d $(MAN_DATE) '+%B %-d, %Y')" -f deploy/man/sopd-yaml.5.awk deploy/sopd.example.yaml > .build/man/sopd.yaml.5

## demo: the main job on embedded defaults against both emulators, in-process. Built without the PostgreSQL journal
## backend (the PostgreSQL trait), which would double a first build; every other target builds it.
demo: deps
	$(SWIFT) build --product sopd --disable-default-traits
	$$($(SWIFT) build --show-bin-path)/sopd demo

## test: every test; the black-box tests need the built executables and manual pages, hence those first. The journal's
## tests run on SQLite and on PostgreSQL: as root, Tests/Postgres/prepare.sh starts Debian's postgresql on loopback;
## otherwise set SOPD_TEST_POSTGRES_URL and SOPD_TEST_POSTGRES_PASSWORD, or SOPD_TEST_POSTGRES=skip. The failover test
## (two daemons in network namespaces, about 2 minutes, root only) runs alone after the others, which it would crowd.
test: deps
	$(SWIFT) build
	$(MAKE) --no-print-directory man
	Tests/Postgres/prepare.sh
	$(SWIFT) test --skip FailoverTests
	$(SWIFT) test --skip-build --filter FailoverTests
	$(MAKE) --no-print-directory conformance

## conformance: Microsoft's Python SDK for Dataverse (PowerPlatform-Dataverse-Client from PyPI, unpatched) against
## sop-emulator over TLS, and schemathesis against the reference back office with docs/backoffice-api.yaml: pytest
## in a virtual environment under .build/ (Tests/Conformance).
CONFORMANCE_VENV := .build/conformance-venv
conformance: deps
	$(SWIFT) build --product sop-emulator
	[ -x $(CONFORMANCE_VENV)/bin/python ] || python3 -m venv $(CONFORMANCE_VENV)
	$(CONFORMANCE_VENV)/bin/python -m pip install -q --disable-pip-version-check -r Tests/Conformance/requirements.txt
	SOP_EMULATOR=$$($(SWIFT) build --show-bin-path)/sop-emulator \
	  $(CONFORMANCE_VENV)/bin/python -m pytest -q -p no:cacheprovider Tests/Conformance

## test-repeat: the whole suite N times in a row (N=20 by default), stopping at the first failure; BUSY=K keeps
## K more CPU workers busy meanwhile (stress-ng), as a loaded CI machine would: make test-repeat N=20 BUSY=2.
N ?= 20
BUSY ?= 0
test-repeat: deps
	$(SWIFT) build --build-tests
	$(MAKE) --no-print-directory man
	Tests/Postgres/prepare.sh
	@busy=""; \
	if [ "$(BUSY)" != 0 ]; then \
	  command -v stress-ng >/dev/null || { echo "BUSY=$(BUSY) needs stress-ng: apt-get install stress-ng" >&2; exit 1; }; \
	  stress-ng --cpu $(BUSY) --quiet & busy=$$!; trap 'kill $$busy' EXIT; \
	fi; \
	for run in $$(seq 1 $(N)); do \
	  if $(SWIFT) test --skip-build --skip FailoverTests > .build/test-repeat.log 2>&1 && \
	    $(SWIFT) test --skip-build --filter FailoverTests >> .build/test-repeat.log 2>&1; then \
	    echo "run $$run/$(N): $$(grep -o 'Test run with .*' .build/test-repeat.log | tail -1)"; \
	  else \
	    echo "run $$run/$(N) failed (whole log: .build/test-repeat.log):"; grep -E '✘' .build/test-repeat.log; exit 1; \
	  fi; \
	done; \
	echo "$(N) runs in a row passed"

## bench: every sopd-bench scenario on the release build make release makes, the Swift runtime inside as installed
## (docs/performance.md); ARGS="--scenario outbound" picks one.
bench: deps
	$(SWIFT) build $(RELEASE_FLAGS)
	$(RELEASE_DIR)/sopd-bench $(ARGS)

## fuzz: libFuzzer (with AddressSanitizer) on the parsers, FUZZ_SECONDS (60) per target, one after the other, from
## the seeds in Fuzz/Corpus plus what earlier runs found in .build/fuzz-corpus; crashes land in .build/fuzz-artifacts.
## FUZZ_TARGETS="FuzzJSON FuzzBatch" picks some; FUZZ_MERGE=1 merges new coverage into Fuzz/Corpus (docs/fuzzing.md).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= FuzzJSON FuzzBatch FuzzBackOffice FuzzFilter FuzzQueryOptions FuzzFetchXML FuzzWebAPIPath
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

## emulator: serve both emulators with demo data on fixed ports 8401 (Dataverse) and 8402 (back office), and turn
## sales order processing integration on as an administrator would, with `sopd sop enable` (it starts off, as in Dynamics).
EMULATOR_CONFIG := .build/sopd.emulator.yaml
emulator: deps
	$(SWIFT) build --product sop-emulator
	$(SWIFT) build --product sopd
	printf 'dataverse:\n  url: http://127.0.0.1:8401\n  token: sopd-app-token\nbackoffice:\n  url: http://127.0.0.1:8402\n  token: backoffice-token\n' > $(EMULATOR_CONFIG)
	bin=$$($(SWIFT) build --show-bin-path); \
	$$bin/sop-emulator --crm-port 8401 --backoffice-port 8402 --seed-demo-data & pid=$$!; \
	trap 'kill $$pid; wait $$pid' INT TERM; \
	echo "make emulator: turning sales order processing integration on, as an administrator would: sopd sop enable --config $(EMULATOR_CONFIG)"; \
	ok=; for i in $$(seq 100); do $$bin/sopd sop enable --config $(EMULATOR_CONFIG) 2>/dev/null && { ok=1; break; }; sleep 0.1; done; \
	[ -n "$$ok" ] || { $$bin/sopd sop enable --config $(EMULATOR_CONFIG); kill $$pid; exit 1; }; \
	wait $$pid

## units-check: systemd-analyze verify on the units, and an exposure of 2.0 or lower for each service
## (needs a built sopd and its manual pages: make build man; SOPD_BIN=PATH names another sopd).
SOPD_BIN ?= $(shell $(SWIFT) build --show-bin-path 2>/dev/null)/sopd
units-check:
	@test -x "$(SOPD_BIN)" || { echo "no built sopd at $(SOPD_BIN): run make build first" >&2; exit 1; }
	bash deploy/check-units.sh "$(SOPD_BIN)"

## install-files: the release binaries, manual pages, units, documentation and an example configuration
## under DESTDIR, without the user or systemd (what the Debian package is built from).
install-files: release man
	install -D -m 0755 "$(RELEASE_DIR)/sopd" "$(DESTDIR)$(PREFIX)/bin/sopd"
	install -D -m 0755 "$(RELEASE_DIR)/sop-emulator" "$(DESTDIR)$(PREFIX)/bin/sop-emulator"
	install -D -m 0644 .build/man/sopd.8 "$(DESTDIR)$(PREFIX)/share/man/man8/sopd.8"
	install -D -m 0644 .build/man/sopd.yaml.5 "$(DESTDIR)$(PREFIX)/share/man/man5/sopd.yaml.5"
	install -D -m 0644 .build/man/sop-emulator.1 "$(DESTDIR)$(PREFIX)/share/man/man1/sop-emulator.1"
	install -D -m 0644 -t "$(DESTDIR)/lib/systemd/system" systemd/sopd.service systemd/sopd-sync-now.service systemd/sopd-sync-now.timer
	install -D -m 0644 -t "$(DESTDIR)$(PREFIX)/share/doc/sopd" README.md docs/backoffice-api.yaml deploy/sopd.example.yaml
	install -m 0644 deploy/README.md "$(DESTDIR)$(PREFIX)/share/doc/sopd/DEPLOY.md"
	install -d -m 0750 "$(DESTDIR)/etc/sopd"
	install -d -m 0700 "$(DESTDIR)/etc/sopd/credentials"
	test -e "$(DESTDIR)/etc/sopd/sopd.yaml" || install -m 0640 deploy/sopd.example.yaml "$(DESTDIR)/etc/sopd/sopd.yaml"

## install: install-files on this host (stripped binaries), then the sopd user and a systemd reload.
install: install-files
	strip --strip-unneeded "$(DESTDIR)$(PREFIX)/bin/sopd" "$(DESTDIR)$(PREFIX)/bin/sop-emulator"
	if [ -z "$(DESTDIR)" ]; then \
	  getent passwd sopd >/dev/null || useradd --system --user-group --home-dir /var/lib/sopd --no-create-home --shell /usr/sbin/nologin sopd; \
	  chown root:sopd /etc/sopd /etc/sopd/sopd.yaml; \
	  if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi; \
	fi
	@echo "installed; next: deploy/README.md (credentials, configuration, sopd doctor, systemctl enable --now sopd)"

## uninstall: removes what install put in place; keeps /etc/sopd and the journal in /var/lib/sopd.
uninstall:
	if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl disable --now sopd.service sopd-sync-now.timer 2>/dev/null || true; fi
	rm -f "$(DESTDIR)$(PREFIX)/bin/sopd" "$(DESTDIR)$(PREFIX)/bin/sop-emulator" "$(DESTDIR)$(PREFIX)/share/man/man8/sopd.8" \
	  "$(DESTDIR)$(PREFIX)/share/man/man5/sopd.yaml.5" "$(DESTDIR)$(PREFIX)/share/man/man1/sop-emulator.1" \
	  "$(DESTDIR)/lib/systemd/system/sopd.service" \
	  "$(DESTDIR)/lib/systemd/system/sopd-sync-now.service" "$(DESTDIR)/lib/systemd/system/sopd-sync-now.timer"
	rm -rf "$(DESTDIR)$(PREFIX)/share/doc/sopd"
	if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
	@echo "uninstalled; kept /etc/sopd and the journal in /var/lib/sopd (remove them by hand when no longer needed)"

## deb: the Debian packages sopd and sop-emulator in $(DEB_OUT), by Debian policy (deploy/debian/build-deb.sh):
## stripped binaries (debug symbols beside them), man pages, copyright, changelog, computed Depends.
deb: install-files-deb
	bash deploy/debian/build-deb.sh "$(DEB_OUT)/stage" "$(DEB_OUT)" "$(DEB_CHANGELOG)"
	rm -rf "$(DEB_OUT)/stage"
	@findings=$$(lintian --tag-display-limit 0 "$(DEB_OUT)"/sopd_*.deb "$(DEB_OUT)"/sop-emulator_*.deb 2>&1 | grep -v 'root privileges'); \
	if [ -n "$$findings" ]; then echo "$$findings"; echo "lintian: the findings above need a fix or an explained override" >&2; exit 1; fi; \
	echo "lintian: no errors or warnings"

install-files-deb:
	@$(call apt-install,$(APT_PACKAGES) $(DEB_PACKAGES))
	rm -rf "$(DEB_OUT)" && mkdir -p "$(DEB_OUT)/stage"
	$(MAKE) --no-print-directory install-files DESTDIR="$(CURDIR)/$(DEB_OUT)/stage" PREFIX=/usr

## deb-test: builds the packages, then in a fresh Debian 12 root (debootstrap, cached in .build/debian-root):
## install with apt (Depends resolved), files, modes and owners, sopd --version and config check, an
## upgrade to a rebuilt package, and a purge that leaves nothing of sopd but what it says it kept.
deb-test:
	@$(call apt-install,$(APT_PACKAGES) $(DEB_PACKAGES) $(ROOT_PACKAGES))
	bash deploy/debian/deb-test.sh

## vm-test: a Debian 12 VM (debootstrap, qemu; KVM when it works) that installs the packages and runs
## sopd.service under systemd against sop-emulator: READY, STATUS, watchdog, reloads, security, stop,
## the timer. Bounded (15 minutes); outside make test. Output in .build/vm/.
vm-test:
	@$(call apt-install,$(APT_PACKAGES) $(DEB_PACKAGES) $(ROOT_PACKAGES))
	bash deploy/vm/vm-test.sh

clean:
	rm -rf .build .sopd

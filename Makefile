# sopd — README's two commands are `make demo` and `make test`.
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
APT_PACKAGES := libcurl4-openssl-dev libsqlite3-dev pkg-config openssl

.PHONY: deps build release demo test emulator clean

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

## release: an optimised build of sopd and sop-emulator.
release: deps
	$(SWIFT) build -c release

## demo: the main job on embedded defaults against both emulators, in-process.
demo: deps
	$(SWIFT) build --product sopd
	$$($(SWIFT) build --show-bin-path)/sopd demo

## test: every test; the black-box tests need the built executables, hence the build first.
test: deps
	$(SWIFT) build
	$(SWIFT) test

## emulator: serve both emulators with demo data on fixed ports 8401 (Dataverse) and 8402 (back office).
emulator: deps
	$(SWIFT) build --product sop-emulator
	$$($(SWIFT) build --show-bin-path)/sop-emulator --crm-port 8401 --backoffice-port 8402 --seed-demo-data

clean:
	rm -rf .build .sopd

# Gorggle: `make local` runs the pipeline offline; `make test` checks everything.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
# npm's `node` package puts Node 22 first on PATH for every recipe.
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

STAMPS := .gorggle/stamps
NPM_STAMP := node_modules/.package-lock.json

.PHONY: setup build lint test bench clean

setup: $(STAMPS)/debian $(NPM_STAMP)

$(STAMPS)/debian: scripts/setup/debian-packages.txt scripts/setup/install-debian-packages.sh
	scripts/setup/install-debian-packages.sh
	@mkdir -p $(STAMPS) && touch $@

$(NPM_STAMP): package.json package-lock.json ec2-avhubert/package.json
	npm ci --no-audit --no-fund
	@touch $@

build: setup
	tsx scripts/build.ts

lint: setup
	tsc --noEmit -p tsconfig.json
	eslint --max-warnings 0 .
	prettier --check .

test: build lint
	NODE_OPTIONS=--experimental-vm-modules jest --ci

bench: build
	tsx bench/run.ts

clean:
	rm -rf dist .gorggle test-output

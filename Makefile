# Gorggle: `make local` runs the pipeline offline; `make test` checks everything.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
# npm's `node` package puts Node 22 first on PATH for every recipe.
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

STAMPS := .gorggle/stamps
NPM_STAMP := node_modules/.package-lock.json
# onnxruntime-node's install script only downloads GPU providers (and fails offline); its CPU
# library is in the package. package.json's allowScripts denies the script on npm 11; this
# covers older npm.
export ONNXRUNTIME_NODE_INSTALL := skip

.PHONY: setup build lint shellcheck test bench clean ffmpeg

setup: $(STAMPS)/debian $(NPM_STAMP) ffmpeg

$(STAMPS)/debian: scripts/setup/debian-packages.txt scripts/setup/install-debian-packages.sh
	scripts/setup/install-debian-packages.sh
	@mkdir -p $(STAMPS) && touch $@

# The one static ffmpeg and ffprobe the product runs (pinned source, built once per machine
# and cached under ~/.cache/gorggle; see the script for why it is not an npm package).
STATIC_FFMPEG := .gorggle/ffmpeg/ffmpeg
ffmpeg: $(STATIC_FFMPEG)
$(STATIC_FFMPEG): scripts/setup/build-ffmpeg.sh | $(STAMPS)/debian
	scripts/setup/build-ffmpeg.sh

# `npm install`, not `npm ci`: npm 11.19's ci rejects lock files that leave out other
# platforms' optional packages, which its own install writes.
$(NPM_STAMP): package.json package-lock.json ec2-avhubert/package.json
	npm install --no-audit --no-fund
	@touch $@

build: setup lr-asd
	tsx scripts/build.ts
	tsx scripts/build-web.ts

lint: setup shellcheck
	tsc --noEmit -p tsconfig.json
	eslint --max-warnings 0 .
	prettier --check .

# Every shell script, found by its .sh name or its shebang, and the shell templates Terraform renders.
shellcheck: $(STAMPS)/debian $(NPM_STAMP)
	tsx scripts/lint/shellcheck.ts

test: build lint native models pyref avhubert-bundle
	NODE_OPTIONS=--experimental-vm-modules jest --ci
	$(MAKE) terraform-check

# Terraform: init from a local provider mirror when there is one, fmt, validate, and the
# mocked applies of terraform/tests. Without Terraform it says so (and fails in CI).
.PHONY: terraform-check
terraform-check: build avhubert-bundle
	tsx test/terraform/check.ts

# Every benchmark: bundles and the page, the local pipeline end to end, the lip-reading server
# and its decoder steps (before/after the device decoder).
bench: build native models
	tsx bench/run.ts
	tsx ec2-avhubert/bench/run.ts
	tsx ec2-avhubert/bench/decode-steps.ts

# The whole pipeline on this machine: VIDEO=path processes that file (default: a GRID clip,
# else a generated sample); ONCE=1 stops afterwards and exits 0 for COMPLETED/DEGRADED.
# Lip reading needs GORGGLE_MODEL_DIR (a model package); without it, it is skipped and says why.
# LIPREAD_TEST_MODEL=1 is a labelled plumbing check with the generated test model.
.PHONY: local
local: build native models
	tsx scripts/local/make-local.ts $(if $(VIDEO),--video '$(VIDEO)') $(if $(filter 1 true yes,$(ONCE)),--once) \
		$(if $(filter 1 true yes,$(LIPREAD_TEST_MODEL)),--lipread-test-model)

clean:
	rm -rf dist .gorggle test-output

# Lip-reading addon (libtorch; LIBTORCH_DIR selects another libtorch, see ec2-avhubert/native/README.md)
# and the tiny test model packages its tests load.
AVHUBERT_ADDON := ec2-avhubert/native/build/Release/gorggle_torch.node
AVHUBERT_TEST_MODELS := ec2-avhubert/models/test-model/manifest.json ec2-avhubert/models/test-model-ctc/manifest.json
# Debian's Node headers (N-API is ABI-stable) spare node-gyp a download.
NODE_GYP_FLAGS ?= $(if $(wildcard /usr/include/node/node_api.h),--nodedir=/usr)
# Debian's python3-torch; the pyenv python3 on PATH has no torch.
TORCH_PYTHON ?= /usr/bin/python3

.PHONY: native models pyref
native: $(AVHUBERT_ADDON)
models: $(AVHUBERT_TEST_MODELS) lr-asd

# Reference libraries for the lip-reading tests: scikit-image and OpenCV, which AV-HuBERT's own
# preparation calls, so the ROI recipe is checked against them rather than against itself.
PYREF := .gorggle/pyref
PYREF_PACKAGES := numpy scikit-image==0.26.0 opencv-python-headless
pyref: $(PYREF)/.installed
$(PYREF)/.installed:
	rm -rf $(PYREF) && python3 -m venv $(PYREF)
	$(PYREF)/bin/pip install --quiet --disable-pip-version-check --retries 1 --timeout 15 $(PYREF_PACKAGES)
	@touch $@

$(AVHUBERT_ADDON): ec2-avhubert/native/binding.gyp ec2-avhubert/native/gyp-config.mjs $(wildcard ec2-avhubert/native/src/*) | $(NPM_STAMP)
	cd ec2-avhubert/native && node-gyp rebuild $(NODE_GYP_FLAGS) -j $$(nproc)

$(AVHUBERT_TEST_MODELS) &: ec2-avhubert/models/make_test_model.py
	$(TORCH_PYTHON) $<

# Active speaker detection: the project's own conversion of the LR-ASD weights (MIT) to ONNX,
# with the parity cases its test replays. The weights come from ../shared/models or from
# upstream (sha256-checked). LR_ASD_WEIGHTS=finetuning_TalkSet selects the other file.
export LR_ASD_WEIGHTS ?= pretrain_AVA
LR_ASD_DIR := .gorggle/models/lr-asd
LR_ASD_ONNX := $(LR_ASD_DIR)/$(LR_ASD_WEIGHTS).onnx

.PHONY: lr-asd
lr-asd: $(LR_ASD_ONNX)

$(LR_ASD_ONNX): scripts/models/lr_asd.py scripts/models/weights.ts | $(NPM_STAMP)
	weights="$$(tsx scripts/models/weights.ts path lr-asd/$(LR_ASD_WEIGHTS))" && \
	  $(TORCH_PYTHON) scripts/models/lr_asd.py --name $(LR_ASD_WEIGHTS) --weights "$$weights" --out-dir $(LR_ASD_DIR)

# Lip-reading server (ec2-avhubert): avhubert-server is the file systemd runs (the addon is
# copied beside it when built); avhubert-bundle packs it with everything a GPU instance needs
# to install it offline, the tarball Terraform uploads. Then its CPU benchmark.
AVHUBERT_BUNDLE := dist/avhubert/gorggle-avhubert.tar.gz
AVHUBERT_BUNDLE_INPUTS := $(shell find ec2-avhubert/src ec2-avhubert/native/src ec2-avhubert/systemd ec2-avhubert/setup ec2-avhubert/scripts -type f 2>/dev/null) \
	ec2-avhubert/native/binding.gyp ec2-avhubert/native/gyp-config.mjs ec2-avhubert/package.json package-lock.json
.PHONY: avhubert-server avhubert-bundle bench-avhubert
avhubert-server: $(NPM_STAMP)
	tsx ec2-avhubert/scripts/bundle.ts

avhubert-bundle: $(AVHUBERT_BUNDLE)

$(AVHUBERT_BUNDLE): $(AVHUBERT_BUNDLE_INPUTS) $(STATIC_FFMPEG) | $(NPM_STAMP)
	tsx ec2-avhubert/scripts/bundle.ts
	tsx ec2-avhubert/scripts/package.ts --out $@

# Issue 16's part of `make bench` alone: the local pipeline end to end (3 s clips, the 60 s and
# 312 s videos, 20 uploads at once) with per-stage times, CPU seconds and peak memory.
# PARTS picks some of clips 60s 312s burst; BENCH_LONG_RUNS (default 3) runs per long video.
.PHONY: bench-local
bench-local: build native models
	tsx bench/e2e.ts $(PARTS)

bench-avhubert: native models
	tsx ec2-avhubert/bench/run.ts
	tsx ec2-avhubert/bench/decode-steps.ts

# AWS: `make deploy` builds, shows the Terraform plan and applies it once you type yes (settings
# in terraform/terraform.tfvars, see terraform.tfvars.example); `make destroy` removes the stack
# and everything it made; `make model-upload MODEL_DIR=<package>` gives lip reading its model.
.PHONY: deploy destroy model-upload
deploy: build
	tsx scripts/deploy/deploy.ts

destroy: $(NPM_STAMP)
	tsx scripts/deploy/destroy.ts

model-upload: $(NPM_STAMP)
	tsx scripts/deploy/model-upload.ts '$(MODEL_DIR)'

# vigie — one entry point for people and CI.
#   make lab    set up everything and run the main job on a local lab
#   make test   the whole test suite (what CI runs)
# Every target depends on `setup`, which is idempotent and quick once done.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

SETUP_STAMP := $(VENV)/.vigie-setup
SETUP_INPUTS := requirements/dev.lock pyproject.toml detector_image/pyproject.toml scripts/setup.sh

.PHONY: help setup lab lab-down test lint bench clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*?## "}{printf "  %-18s %s\n",$$1,$$2}'

setup: $(SETUP_STAMP) ## create .venv and install everything (idempotent)
$(SETUP_STAMP): $(SETUP_INPUTS)
	PYTHON=$(PYTHON) VENV=$(VENV) bash scripts/setup.sh
	@touch $@

# Each concern keeps its targets in mk/<concern>.mk and appends to these lists.
TEST_TARGETS  :=
LINT_TARGETS  :=
BENCH_TARGETS :=
include $(sort $(wildcard mk/*.mk))

test: setup lint $(TEST_TARGETS) ## lint, then every test (CI runs exactly this)

lint: setup $(LINT_TARGETS) ## ruff, yamllint, ansible-lint (profile production)

bench: setup $(BENCH_TARGETS) ## benchmarks; prints figures and ratios

clean: ## remove the virtualenv and caches (not the lab: see lab-down)
	rm -rf $(VENV) .pytest_cache .ruff_cache .import_linter_cache build

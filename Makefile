# wirefleet.wireguard: `make demo` and `make test` are the two commands; everything else is a step of them.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
VENV := .venv
BIN := $(VENV)/bin
LINK := .collections/ansible_collections/wirefleet/wireguard
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: setup test unit lint sanity build render-check docs bench

setup: $(VENV)/.installed $(LINK)

$(VENV)/.installed: requirements.txt requirements-dev.txt
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# The checkout is the collection; this link lets Python and Ansible find it by its name.
$(LINK):
	mkdir -p $(dir $(LINK))
	ln -sfn ../../.. $(LINK)

unit: setup
	$(BIN)/pytest -q tests/unit

lint: setup
	$(BIN)/ansible-lint --profile production --strict

sanity: setup
	tests/sanity.sh

build: setup
	$(BIN)/ansible-galaxy collection build --force --output-path build/

render-check: setup
	tests/render_check.sh

docs: setup
	PYTHONPATH=.collections:tests $(BIN)/python -m scenario_docs

bench: setup
	$(BIN)/python bench/engine_bench.py

test: unit lint sanity build render-check

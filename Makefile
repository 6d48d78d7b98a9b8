# wirefleet.wireguard: `make demo` and `make test` are the two commands; everything else is a step of them.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
VENV := .venv
BIN := $(VENV)/bin
LINK := .collections/ansible_collections/wirefleet/wireguard
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: setup test unit lint sanity build render-check docs bench images molecule demo demo-down
# Every reference scenario on real tunnels in Docker (molecule/<name>); `make molecule SCENARIOS=star` runs one.
SCENARIOS ?= star mesh peer_to_site_router peer_to_site_internal site_to_site full_tunnel home_federation demo existing_firewalls adopt rotate

setup: $(VENV)/.installed $(LINK)

$(VENV)/.installed: requirements.txt requirements-dev.txt
	tests/system_packages.sh
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
	$(BIN)/ruff check .

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

# Docker and the Debian test images (cached; rebuilt when their recipe changes).
images: setup
	molecule/images/dockerd.sh
	molecule/images/build.sh bookworm
	molecule/images/build.sh trixie

molecule: images
	tests/molecule_all.sh $(SCENARIOS)

# The demo fleet in containers: hub, site gateway with a LAN host, laptop, phone.
demo: images
	molecule converge -s demo
	molecule/demo/show.sh

demo-down: setup
	molecule destroy -s demo
	rm -rf build/demo-store

test: unit lint sanity build render-check molecule

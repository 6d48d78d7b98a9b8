# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""execution-environment.yml names what the collection needs: the controller's Python packages
(requirements.txt) and the collections galaxy.yml depends on, with the same bounds."""

from __future__ import annotations

import os
import re

import yaml

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def load(name):
    with open(os.path.join(ROOT, name), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_python_dependencies_are_the_controllers():
    wanted = set()
    with open(os.path.join(ROOT, "requirements.txt"), encoding="utf-8") as handle:
        for line in handle:
            line = line.split("#")[0].strip()
            if line and not line.startswith("ansible"):
                wanted.add(line)
    assert set(load("execution-environment.yml")["dependencies"]["python"]) == wanted


def test_collections_are_galaxy_yml_dependencies_and_wirefleet():
    environment = load("execution-environment.yml")
    galaxy = load("galaxy.yml")
    listed = {item["name"]: item.get("version") for item in environment["dependencies"]["galaxy"]["collections"]}
    assert listed.pop("%s.%s" % (galaxy["namespace"], galaxy["name"])) is None
    assert listed == galaxy["dependencies"]


def test_ansible_core_bound_matches_meta_runtime():
    runtime = load("meta/runtime.yml")["requires_ansible"]
    core = load("execution-environment.yml")["dependencies"]["ansible_core"]["package_pip"]
    assert re.search(r">=\s*([0-9.]+)", runtime).group(1) in core

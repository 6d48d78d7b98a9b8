# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared helpers for the engine tests: inventory hosts and fake WireGuard keys.

Everything is a session-scoped fixture returning a plain function, so the helpers also work
inside hypothesis tests (which refuse function-scoped fixtures).

    def test_x(host, hub, client, wg_key, build):
        fleet = build({"wg0": {"ipv4": "10.8.0.0/24", "port": 51820}},
                      {"vps": hub(endpoint="vps.example.com"), "laptop": client()})
"""

from __future__ import annotations

import base64
import hashlib

import pytest

from ansible_collections.wirefleet.wireguard.plugins.module_utils.errors import TopologyErrors
from ansible_collections.wirefleet.wireguard.plugins.module_utils.topology import build_fleet

ROLE_GROUP = {
    "hub": "wireguard_hubs",
    "gateway": "wireguard_gateways",
    "client": "wireguard_clients",
    "mesh": "wireguard_mesh",
}


def fake_key(seed="wirefleet"):
    """A valid-looking WireGuard key: base64 of 32 bytes derived from the seed (deterministic)."""
    return base64.b64encode(hashlib.sha256(str(seed).encode("utf-8")).digest()).decode("ascii")


def _var_name(name):
    return name if name.startswith(("wireguard_", "ansible_")) else "wireguard_" + name


def make_host(groups=(), **variables):
    """One entry of the `hosts` argument: {"groups": [...], "vars": {...}}.

    Short variable names get the wireguard_ prefix: make_host(["wireguard_clients"], endpoint="x")
    gives {"groups": ["wireguard_clients"], "vars": {"wireguard_endpoint": "x"}}.
    """
    if isinstance(groups, str):
        groups = [groups]
    return {"groups": list(groups), "vars": {_var_name(k): v for k, v in variables.items()}}


def _role(role):
    def factory(*extra_groups, **variables):
        return make_host([ROLE_GROUP[role]] + list(extra_groups), **variables)
    factory.__name__ = role
    return factory


def expect_errors(networks, hosts, public_keys=None, leases=None):
    """Run build_fleet, require TopologyErrors and return its list of TopologyError."""
    with pytest.raises(TopologyErrors) as info:
        build_fleet(networks, hosts, public_keys, leases)
    return info.value.errors


@pytest.fixture(scope="session")
def wg_key():
    return fake_key


@pytest.fixture(scope="session")
def host():
    return make_host


@pytest.fixture(scope="session")
def hub():
    return _role("hub")


@pytest.fixture(scope="session")
def gateway():
    return _role("gateway")


@pytest.fixture(scope="session")
def client():
    return _role("client")


@pytest.fixture(scope="session")
def mesh():
    return _role("mesh")


@pytest.fixture(scope="session")
def build():
    return build_fleet


@pytest.fixture(scope="session")
def errors_of():
    return expect_errors

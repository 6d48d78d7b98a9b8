# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Endpoints that move: which interfaces get a re-resolve timer (module_utils/wgquick.py) and what the script on
the host does (roles/wireguard_interface/files/wirefleet-reresolve) with a faked `wg`."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.wirefleet.wireguard.plugins.filter.reresolve_interfaces import reresolve_interfaces
from ansible_collections.wirefleet.wireguard.plugins.module_utils.topology import build_fleet
from ansible_collections.wirefleet.wireguard.plugins.module_utils.wgquick import named_endpoint

from conftest import fake_key, make_host

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "roles", "wireguard_interface", "files",
                      "wirefleet-reresolve")


def load_script():
    loader = importlib.machinery.SourceFileLoader("wirefleet_reresolve", SCRIPT)
    spec = importlib.util.spec_from_loader("wirefleet_reresolve", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


@pytest.mark.parametrize("endpoint, named", [
    ("vpn.example.com:51820", True), ("home.dyndns.test:1", True), ("203.0.113.7:51820", False),
    ("[2001:db8::1]:51820", False), ("", False), ("vpn.example.com", False), ("vpn.example.com:0", False)])
def test_named_endpoint(endpoint, named):
    assert named_endpoint(endpoint) is named


def fleet(reresolve=True, endpoint="vpn.example.com"):
    networks = {"wg0": {"ipv4": "10.8.0.0/24", "port": 51820, "reresolve_dns": reresolve}}
    hosts = {"vps": make_host(["wireguard_hubs"], endpoint=endpoint, address="10.8.0.1"),
             "laptop": make_host(["wireguard_clients"], address="10.8.0.2")}
    return build_fleet(networks, hosts, {name: {"wg0": fake_key(name)} for name in hosts})


def test_the_client_of_a_hub_named_by_dns_gets_a_timer_the_hub_does_not():
    result = fleet()
    assert reresolve_interfaces(result["hosts"]["laptop"]["interfaces"]) == ["wg0"]
    assert reresolve_interfaces(result["hosts"]["vps"]["interfaces"]) == []  # its clients have no endpoint


def test_an_address_endpoint_or_a_network_that_opts_out_gets_none():
    assert reresolve_interfaces(fleet(endpoint="203.0.113.7")["hosts"]["laptop"]["interfaces"]) == []
    assert reresolve_interfaces(fleet(reresolve=False)["hosts"]["laptop"]["interfaces"]) == []


CONFIG = """[Interface]
PrivateKey = %s
Address = 10.8.0.2/24

[Peer]
# vps
PublicKey = %s
Endpoint = vpn.example.com:51820
AllowedIPs = 10.8.0.0/24

[Peer]
PublicKey = %s
Endpoint = 203.0.113.9:51820
AllowedIPs = 10.8.0.9/32
""" % (fake_key("laptop"), fake_key("vps"), fake_key("other"))


def test_the_script_reads_only_peers_named_by_dns():
    assert load_script().named_endpoints(CONFIG) == {fake_key("vps"): "vpn.example.com:51820"}


class FakeWg:
    def __init__(self, handshake, endpoint):
        self.tables = {"latest-handshakes": "%s\t%d\n%s\t%d\n" % (fake_key("vps"), handshake, fake_key("other"), 0),
                       "endpoints": "%s\t%s\n%s\t203.0.113.9:51820\n" % (fake_key("vps"), endpoint, fake_key("other"))}
        self.sets = []

    def __call__(self, *args):
        if args[0] == "set":
            self.sets.append(args)
            return ""
        return self.tables[args[2]]


@pytest.mark.parametrize("age, current, now_resolves, reset", [
    (500, "198.51.100.1:51820", {"198.51.100.2"}, True),    # stale and the name moved: set again
    (30, "198.51.100.1:51820", {"198.51.100.2"}, False),    # a recent handshake: leave a working tunnel alone
    (500, "198.51.100.2:51820", {"198.51.100.2"}, False),   # stale but already where the name points
    (500, "198.51.100.1:51820", set(), False),              # the name does not resolve now: keep the old address
    (500, "(none)", {"198.51.100.2"}, True),                # never had an endpoint address
])
def test_the_script_sets_an_endpoint_again_only_when_stale_and_moved(
        tmp_path, monkeypatch, age, current, now_resolves, reset):
    script = load_script()
    (tmp_path / "wg0.conf").write_text(CONFIG)
    now = 1_000_000
    fake = FakeWg(now - age, current)
    monkeypatch.setattr(script, "_wg", fake)
    monkeypatch.setattr(script, "resolved", lambda endpoint: now_resolves)
    monkeypatch.setattr(script.time, "time", lambda: now)
    assert script.main(["wg0", "--config-dir", str(tmp_path)]) == 0
    expected = [("set", "wg0", "peer", fake_key("vps"), "endpoint", "vpn.example.com:51820")] if reset else []
    assert fake.sets == expected


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=20))
def test_the_script_refuses_anything_but_an_interface_name(name):
    script = load_script()
    if script.INTERFACE.fullmatch(name) and "/" not in name:
        return
    with pytest.raises(SystemExit):
        script.main([name, "--config-dir", "/nonexistent"])

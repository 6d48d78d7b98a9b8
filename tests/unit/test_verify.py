# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""verify.yml's expectations: the peers each host must have a recent handshake with (module_utils/verify.py)."""

from __future__ import annotations

from ansible_collections.wirefleet.wireguard.plugins.filter.stale_handshakes import stale_handshakes
from ansible_collections.wirefleet.wireguard.plugins.filter.verify_peers import verify_peers
from ansible_collections.wirefleet.wireguard.plugins.module_utils.topology import build_fleet

from conftest import fake_key, make_host

NET = {"wg0": {"ipv4": "10.8.0.0/24", "port": 51820}}
HOSTS = {"vps": make_host(["wireguard_hubs"], endpoint="vps.example.com", address="10.8.0.1"),
         "laptop": make_host(["wireguard_clients"], address="10.8.0.2"),
         "phone": make_host(["wireguard_clients"], address="10.8.0.3", managed=False),
         "tablet": make_host(["wireguard_clients"], address="10.8.0.4")}
KEYS = {name: {"wg0": fake_key(name)} for name in ("vps", "laptop", "phone")}  # the tablet was never converged


def test_the_hub_expects_its_spokes_with_known_keys_and_only_managed_ones_are_required():
    fleet = build_fleet(NET, HOSTS, KEYS)
    expected = verify_peers(fleet, "vps")
    found = [(p["name"], p["address"], p["required"]) for p in expected]
    assert found == [("laptop", "10.8.0.2", True), ("phone", "10.8.0.3", False)]
    assert [p["required"] for p in verify_peers(fleet, "vps", include_unmanaged=True)] == [True, True]


def test_a_spoke_expects_its_hub():
    expected = verify_peers(build_fleet(NET, HOSTS, KEYS), "laptop")
    assert expected == [{"interface": "wg0", "name": "vps", "key": fake_key("vps"), "address": "10.8.0.1",
                         "managed": True, "required": True}]


def test_stale_handshakes_are_the_required_peers_without_a_recent_one():
    expected = verify_peers(build_fleet(NET, HOSTS, KEYS), "vps")
    lines = ["%s\t%d" % (fake_key("laptop"), 1000), "%s\t0" % fake_key("phone")]
    assert stale_handshakes(expected, lines, 1100, 180) == []
    assert stale_handshakes(expected, lines, 1181, 180) == ["laptop"]   # 181 s old
    assert stale_handshakes(expected, [], "1100", "180") == ["laptop"]   # never, and numbers as text (stdout)

# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""verify.yml's expectations: the peers each host must have a recent handshake with (module_utils/verify.py)."""

from __future__ import annotations

import re

import pytest
from ansible.errors import AnsibleFilterError
from hypothesis import given, settings, strategies as st

from ansible_collections.wirefleet.wireguard.plugins.filter.stale_handshakes import stale_handshakes
from ansible_collections.wirefleet.wireguard.plugins.filter.verify_lan_probes import verify_lan_probes
from ansible_collections.wirefleet.wireguard.plugins.filter.verify_textfile import verify_textfile
from ansible_collections.wirefleet.wireguard.plugins.filter.verify_peers import verify_peers
from ansible_collections.wirefleet.wireguard.plugins.module_utils.names import ip_address
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


# LAN probes: which hosts must reach an address on a LAN behind a gateway (wireguard_lan_probe).
LAN_HOSTS = {"vps": make_host(["wireguard_hubs"], endpoint="vps.example.com", address="10.8.0.1", nat=True),
             "laptop": make_host(["wireguard_clients"], address="10.8.0.2"),
             "phone": make_host(["wireguard_clients"], address="10.8.0.3", full_tunnel=True),
             "nas": make_host(["wireguard_gateways"], address="10.8.0.4", lans=["192.168.178.0/24"]),
             "tablet": make_host(["wireguard_clients"], address="10.8.0.5", managed=False)}
LAN_KEYS = {name: {"wg0": fake_key(name)} for name in LAN_HOSTS}


_FLEET = {}


def lan_fleet():
    if not _FLEET:
        _FLEET["fleet"] = build_fleet(NET, LAN_HOSTS, LAN_KEYS)
    return _FLEET["fleet"]


def test_every_managed_host_routing_the_lan_probes_it_through_its_peer():
    wanted = verify_lan_probes(lan_fleet(), {"nas": {"wireguard_lan_probe": "192.168.178.20"}})
    assert wanted["laptop"] == [{"address": "192.168.178.20", "gateway": "nas", "interface": "wg0", "via": "vps"}]
    assert wanted["vps"] == [{"address": "192.168.178.20", "gateway": "nas", "interface": "wg0", "via": "nas"}]
    # the full-tunnel phone: its default route goes to the hub, which routes the LAN
    assert [p["via"] for p in wanted["phone"]] == ["vps"]
    assert wanted["nas"] == [] and "tablet" not in wanted   # its own LAN; unmanaged devices run nothing


def test_a_list_of_probes_and_no_probes():
    wanted = verify_lan_probes(lan_fleet(), {"nas": {"wireguard_lan_probe": ["192.168.178.20", "192.168.178.1"]}})
    assert [p["address"] for p in wanted["laptop"]] == ["192.168.178.20", "192.168.178.1"]
    assert all(value == [] for value in verify_lan_probes(lan_fleet(), {"nas": {}}).values())


def test_a_probe_outside_every_routed_lan_is_an_error_naming_the_gateway_and_the_variable():
    with pytest.raises(AnsibleFilterError, match=r"host 'nas': wireguard_lan_probe 192\.168\.179\.20 lies in no LAN"):
        verify_lan_probes(lan_fleet(), {"nas": {"wireguard_lan_probe": "192.168.179.20"}})


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.text(max_size=40), st.integers(), st.none(), st.lists(st.text(max_size=20), max_size=3)))
def test_anything_but_addresses_is_refused_naming_the_host(value):
    addresses = [value] if isinstance(value, str) else value
    if value is None or isinstance(addresses, list) and addresses and all(ip_address(item) for item in addresses):
        return  # None: not set
    with pytest.raises(AnsibleFilterError, match=r"^verify_lan_probes: host 'nas': wireguard_lan_probe"):
        verify_lan_probes(lan_fleet(), {"nas": {"wireguard_lan_probe": value}})


def test_the_textfile_has_every_peer_with_handshake_age_counters_and_ping_result():
    expected = verify_peers(build_fleet(NET, HOSTS, KEYS), "vps")
    handshakes = ["%s\t1000" % fake_key("laptop"), "%s\t0" % fake_key("phone")]
    transfers = ["%s\t300\t400" % fake_key("laptop"), "%s\t0\t0" % fake_key("phone")]
    pings = [{"item": expected[0], "rc": 0}, {"item": expected[1], "rc": 1}]
    lan = [{"item": {"address": "192.168.178.20", "gateway": "nas"}, "rc": 1}]
    text = verify_textfile(expected, handshakes, transfers, pings, lan, 1100)
    laptop = 'interface="wg0",peer="laptop",public_key="%s"' % fake_key("laptop")
    assert "wirefleet_peer_handshake_age_seconds{%s} 100\n" % laptop in text
    assert "wirefleet_peer_receive_bytes_total{%s} 300\n" % laptop in text
    assert "wirefleet_peer_transmit_bytes_total{%s} 400\n" % laptop in text
    assert "wirefleet_peer_ping_ok{%s} 1\n" % laptop in text
    assert 'wirefleet_peer_ping_ok{interface="wg0",peer="phone"' in text and text.count("_ping_ok{") == 2
    phone = 'interface="wg0",peer="phone",public_key="%s"' % fake_key("phone")
    assert "wirefleet_peer_handshake_age_seconds{%s} -1" % phone in text  # never: no age
    assert 'wirefleet_lan_probe_ok{address="192.168.178.20",gateway="nas"} 0\n' in text
    assert "# TYPE wirefleet_peer_receive_bytes_total counter" in text
    assert text.endswith("wirefleet_verify_timestamp_seconds 1100\n")


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=30))
def test_a_textfile_label_never_ends_its_line_or_its_quotes(name):
    expected = [{"interface": "wg0", "name": name, "key": fake_key("x"), "address": "", "managed": True,
                 "required": True}]
    text = verify_textfile(expected, [], [], [], [], 1)
    samples = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert len(samples) == 5  # four peer metrics and the timestamp: one line each, whatever the name holds
    for line in samples[:4]:
        labels = line[line.index("{") + 1:line.rindex("}")]
        assert re.fullmatch(r'interface="wg0",peer="(?:[^"\\]|\\.)*",public_key="[^"]*"', labels, re.S), labels

# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel parameters per topology need (module_utils/sysctl.py, the sysctl_settings filter)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from hypothesis import given, settings as hsettings, strategies as st

from ansible_collections.wirefleet.wireguard.plugins.filter.sysctl_settings import sysctl_settings
from ansible_collections.wirefleet.wireguard.plugins.module_utils.sysctl import settings
from ansible_collections.wirefleet.wireguard.plugins.module_utils.topology import build_fleet

from conftest import make_host

NET = {"wg0": {"ipv4": "10.8.0.0/24", "ipv6": "fd00:8::/64", "port": 51820}}


def test_a_client_needs_nothing():
    assert settings({"forward_ipv4": False, "forwarding": [], "proxy_arp": []}) == {}


def test_extra_settings_only_where_the_host_needs_some():
    assert settings({}, extra={"net.core.rmem_max": 2500000}) == {}
    assert settings({"src_valid_mark": True}, extra={"net.core.rmem_max": 2500000}) == {
        "net.ipv4.conf.all.src_valid_mark": 1, "net.core.rmem_max": 2500000}


def test_hub_forwards_both_families_keeps_router_advertisements_and_sends_no_redirects():
    fleet = build_fleet(NET, {"vps": make_host(["wireguard_hubs"], endpoint="vps.example.com"),
                              "laptop": make_host(["wireguard_clients"])})
    assert settings(fleet["hosts"]["vps"]["system"], ipv6_uplink="eth0") == {
        "net.ipv4.ip_forward": 1, "net.ipv6.conf.all.forwarding": 1, "net.ipv6.conf.eth0.accept_ra": 2,
        "net.ipv4.conf.all.send_redirects": 0, "net.ipv4.conf.default.send_redirects": 0}
    assert "net.ipv6.conf.eth0.accept_ra" not in settings(fleet["hosts"]["vps"]["system"], ipv6_uplink="eth0",
                                                          keep_ipv6_router_advertisements=False)
    assert settings(fleet["hosts"]["laptop"]["system"]) == {}


def test_proxy_arp_on_the_named_or_default_interface():
    system = {"forward_ipv4": True, "proxy_arp": [{"interface": None, "wireguard_interface": "wg0"},
                                                  {"interface": "lan1", "wireguard_interface": "wg1"}]}
    assert settings(system, default_interface="eth0") == {
        "net.ipv4.ip_forward": 1, "net.ipv4.conf.eth0.proxy_arp": 1, "net.ipv4.conf.lan1.proxy_arp": 1}


def test_proxy_arp_without_any_interface_is_a_clear_error():
    with pytest.raises(AnsibleFilterError, match="proxy_arp needs the LAN interface"):
        sysctl_settings({"proxy_arp": [{"interface": None}]}, default_interface="")


@hsettings(max_examples=200, deadline=None)
@given(st.text(max_size=20))
def test_no_interface_value_can_end_a_line_or_name_another_key(text):
    """Whatever the default route's interface is called, a key holds exactly one safe interface name."""
    system = {"forward_ipv6": True, "proxy_arp": [{"interface": None}]}
    try:
        result = settings(system, default_interface=text, ipv6_uplink=text)
    except ValueError:
        return
    step = text.replace(".", "/")
    assert set(result) == {"net.ipv6.conf.all.forwarding", "net.ipv6.conf.%s.accept_ra" % step,
                           "net.ipv4.conf.%s.proxy_arp" % step}
    assert step.count(".") == 0 and all(not char.isspace() and char != "=" for char in step)


def test_vlan_interface_names_use_a_slash_in_the_key():
    assert settings({"proxy_arp": [{"interface": "eth0.100"}]}) == {"net.ipv4.conf.eth0/100.proxy_arp": 1}

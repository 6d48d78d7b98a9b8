# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run_summary filter: the lines site.yml prints at its end and render.yml prints in plan mode."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.wirefleet.wireguard.plugins.filter.run_summary import FilterModule, run_summary

FLEET = {"hosts": {"vps": {"hints": []}, "laptop": {"hints": []}}, "absent": [], "leases": {},
         "warnings": [], "provisional": {}}


def interface(network="wg0", peers=1, action="none", **extra):
    entry = {"network": network, "peers": peers, "skipped_peers": [], "config_changed": False, "action": action,
             "reasons": [], "routes_added": [], "routes_removed": []}
    entry.update(extra)
    return entry


def line(reports, fleet=None, host="vps", check_mode=False):
    """The one summary line of `host`, given the reports set on it (as hostvars)."""
    lines = run_summary(fleet or FLEET, {host: reports}, [host], check_mode=check_mode)
    return lines[0]


def test_unchanged_host():
    reports = {"wireguard_interface_report": {"wg0": interface(peers=3)},
               "wireguard_firewall_report": {"backend": "nftables", "rules": "7", "changed": False},
               "wireguard_sysctl_report": {"settings": {"net.ipv4.ip_forward": 1}, "changed": False}}
    assert line(reports) == "vps: unchanged - wg0 (wg0): 3 peers; firewall nftables 7 rules; sysctl net.ipv4.ip_forward"


def test_one_peer_is_singular_and_peers_without_a_key_are_counted():
    reports = {"wireguard_interface_report": {"wg0": interface(peers=1, skipped_peers=["phone", "tablet"])}}
    assert line(reports) == "vps: unchanged - wg0 (wg0): 1 peer + 2 without a known key yet"


@pytest.mark.parametrize("changes, expected", [
    ({"config_changed": True}, "wg0 (wg0): 1 peer"),
    ({"action": "started"}, "wg0 (wg0): 1 peer, started"),
    ({"action": "syncconf", "reasons": ["peer laptop added", "peer phone removed"]},
     "wg0 (wg0): 1 peer, syncconf (peer laptop added; peer phone removed)"),
    ({"action": "restart", "reasons": ["DNS"]}, "wg0 (wg0): 1 peer, restart (DNS)"),
    ({"action": "reconciled", "routes_added": ["10.1.0.0/24", "10.2.0.0/24"]},
     "wg0 (wg0): 1 peer, reconciled, routes added 10.1.0.0/24 10.2.0.0/24"),
    ({"action": "reconciled", "routes_removed": ["10.9.0.0/24"]},
     "wg0 (wg0): 1 peer, reconciled, stale routes removed 10.9.0.0/24"),
    ({"action": "down"}, "wg0 (wg0): 1 peer, down"),
])
def test_changed_interface(changes, expected):
    assert line({"wireguard_interface_report": {"wg0": interface(**changes)}}) == "vps: changed - " + expected


@pytest.mark.parametrize("report", [
    {"wireguard_firewall_report": {"backend": "iptables", "rules": 4, "changed": True}},
    {"wireguard_firewall_report": {"backend": "iptables", "rules": 4, "changed": "True"}},  # set_fact gave a string
    {"wireguard_sysctl_report": {"settings": {"net.ipv4.ip_forward": 1}, "changed": True}},
])
def test_changed_firewall_or_sysctl(report):
    assert line(report).startswith("vps: changed - ")
    assert line(report).endswith(" (changed)")
    assert line(report, check_mode=True).endswith(" (would change)")


def test_removed_interface_and_absent_host():
    fleet = dict(FLEET, absent=["vps"])
    reports = {"wireguard_interface_report": {"wg1": {"action": "removed"}},
               "wireguard_firewall_report": {"backend": "none", "rules": 0, "changed": True},
               "wireguard_sysctl_report": {"settings": {}, "changed": True}}
    assert line(reports, fleet) == "vps: changed (absent) - wg1 removed"


def test_interfaces_in_name_order():
    reports = {"wireguard_interface_report": {"wg1": interface("lab", 2), "home0": interface("home", 1)}}
    assert line(reports) == "vps: unchanged - home0 (home): 1 peer; wg1 (lab): 2 peers"


def test_host_without_reports_has_nothing_to_do():
    """A host that left the play before the roles (end_host) has no reports in hostvars."""
    assert run_summary(FLEET, {"laptop": {}}, ["laptop"]) == ["laptop: unchanged - nothing to do"]
    assert run_summary(FLEET, {}, ["laptop"]) == ["laptop: unchanged - nothing to do"]


def test_hosts_in_name_order_then_devices():
    devices = [{"host": "phone", "interface": "wg0", "config": "/s/devices/phone/wg0.conf",
                "qr_png": "/s/devices/phone/wg0.png"},
               {"host": "router", "interface": "wg0", "config": "/s/devices/router/wg0.conf"}]
    assert run_summary(FLEET, {"vps": {}, "laptop": {}}, ["vps", "laptop"], devices) == [
        "laptop: unchanged - nothing to do",
        "vps: unchanged - nothing to do",
        "phone: unmanaged device, wg0 config at /s/devices/phone/wg0.conf, QR code /s/devices/phone/wg0.png",
        "router: unmanaged device, wg0 config at /s/devices/router/wg0.conf",
    ]


def test_warnings_block_then_hints():
    fleet = dict(FLEET, warnings=["host 'laptop': sets wirefleet variables but joins no network",
                                  "network 'lab' has no members: no host is in a role group"],
                 hosts={"vps": {"hints": ["forward UDP 51820 to it"]}, "laptop": {"hints": []}})
    assert run_summary(fleet) == [
        "Warnings:",
        "host 'laptop': sets wirefleet variables but joins no network",
        "network 'lab' has no members: no host is in a role group",
        "Hints (Ansible cannot do these for you):",
        "vps: forward UDP 51820 to it",
    ]


def test_provisional_addresses_are_named_in_check_mode_only():
    fleet = dict(FLEET, provisional={"laptop": ["wg0"], "nas": ["home", "wg0"]})
    expected = "Provisional addresses (no lease yet; the first real converge fixes them): laptop (wg0), nas (home, wg0)"
    assert run_summary(fleet, check_mode=True) == [expected]
    # a real converge leased them before the summary: nothing provisional is left to report
    assert run_summary(fleet, check_mode=False) == []


def test_check_mode_says_what_would_happen():
    reports = {"wireguard_interface_report": {
        "wg0": interface(action="syncconf", reasons=["peer laptop added"], routes_added=["10.1.0.0/24"]),
        "wg1": {"action": "removed"}}}
    assert line(reports, check_mode=True) == (
        "vps: would change - wg0 (wg0): 1 peer, would syncconf (peer laptop added), routes to add 10.1.0.0/24; "
        "wg1 would be removed")


def test_check_mode_before_the_first_run_names_what_would_be_installed_and_started():
    """Units not installed yet are not started in --check: the roles report would_start instead of failing."""
    reports = {"wireguard_interface_report": {"wg0": interface(peers=2, action="down", would_start=True)},
               "wireguard_firewall_report": {"backend": "nftables", "rules": 5, "changed": False, "would_start": True}}
    assert line(reports, check_mode=True) == (
        "vps: would change - wg0 (wg0): 2 peers, would install and start wg-quick@wg0; "
        "firewall nftables 5 rules, would install and start wirefleet-nftables.service")


def test_a_unit_to_install_is_a_change_even_with_the_interface_already_up():
    """wg0 made by hand (wg_live finds nothing to do), but wg-quick is not installed yet."""
    reports = {"wireguard_interface_report": {"wg0": interface(action="none", would_start=True)}}
    assert line(reports, check_mode=True) == "vps: would change - wg0 (wg0): 1 peer, would install and start wg-quick@wg0"


def test_empty_fleet():
    assert run_summary({"hosts": {}, "absent": [], "leases": {}}) == []
    assert run_summary({"hosts": {}, "absent": [], "leases": {}, "warnings": [], "provisional": {}},
                       check_mode=True) == []


def test_plan_mode_without_reports_gives_the_fleet_wide_lines():
    fleet = dict(FLEET, warnings=["host 'x': in no network"], provisional={"laptop": ["wg0"]})
    assert run_summary(fleet, check_mode="true") == [
        "Warnings:", "host 'x': in no network",
        "Provisional addresses (no lease yet; the first real converge fixes them): laptop (wg0)"]


@pytest.mark.parametrize("bad", [None, [], {"hosts": {"a": None}}, {"hosts": {"a": {"hints": None}}, "warnings": 3}])
def test_not_a_fleet(bad):
    with pytest.raises(AnsibleFilterError, match="run_summary: input is not a fleet"):
        run_summary(bad)


def test_real_fleet(build, hub, client):
    """The engine's own result goes through: new hosts are provisional until leased."""
    fleet = build({"wg0": {"ipv4": "10.8.0.0/24", "port": 51820}},
                  {"vps": hub(endpoint="vps.example.com"), "laptop": client()})
    lines = run_summary(fleet, {"vps": {}}, ["vps"], check_mode=True)
    assert lines[0] == "vps: unchanged - nothing to do"
    assert "laptop (wg0)" in lines[-1] and "vps (wg0)" in lines[-1], lines


def test_registered():
    assert FilterModule().filters() == {"run_summary": run_summary}


def test_placed_accepts_are_named_after_the_host_lines():
    from ansible_collections.wirefleet.wireguard.plugins.filter.run_summary import summary_lines
    reports = {"gw": {"firewall": {"backend": "nftables", "rules": 3, "placed": ["ip filter FORWARD drops (...)"]}}}
    lines = summary_lines({"hosts": {}, "absent": []}, reports, ["gw"])
    assert lines == ["gw: unchanged - firewall nftables 3 rules", "gw: ip filter FORWARD drops (...)"]

# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""interface_report: the interface role's registered loops made into one entry per interface."""

from __future__ import annotations

from ansible_collections.wirefleet.wireguard.plugins.plugin_utils.reports import interface_report


def configs(*entries):
    return {"results": [{"item": {"key": name, "value": {"network": net, "peers": [{}, {}]}}, "changed": changed,
                         "peers": 2, "skipped_peers": []} for name, net, changed in entries]}


def test_one_entry_per_interface_index_by_index():
    live = {"results": [{"action": "syncconf", "reasons": ["peer x added"], "routes_added": ["10.1.0.0/24"]},
                        {"action": "none"}]}
    services = {"results": [{"changed": False}, {"changed": True}]}
    report = interface_report(configs(("wg0", "home", True), ("wg1", "lab", False)), live, services, {}, ["old0"])
    assert report["wg0"] == {"network": "home", "peers": 2, "skipped_peers": [], "config_changed": True,
                             "action": "syncconf", "reasons": ["peer x added"], "routes_added": ["10.1.0.0/24"],
                             "routes_removed": [], "would_start": False}
    assert report["wg1"]["action"] == "started"
    assert report["old0"] == {"action": "removed"}


def test_check_mode_before_the_first_run_would_start():
    """In --check before wireguard-tools is installed: no unit (rc 4), no live result (skipped), no service result."""
    units = {"results": [{"rc": 4}]}
    live = {"results": [{"skipped": True}]}
    report = interface_report(configs(("wg0", "home", True)), live, {"results": [{"skipped": True}]}, units)
    assert report["wg0"]["would_start"] and report["wg0"]["action"] == "none"


def test_nothing_registered_is_an_empty_report():
    assert interface_report({}, None, None, None) == {}
    assert interface_report({"results": []}, stale=["x"]) == {"x": {"action": "removed"}}

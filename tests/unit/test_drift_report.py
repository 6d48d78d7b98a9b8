# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drift_report filter: what playbooks/drift.yml says per host after site.yml ran in check mode."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.wirefleet.wireguard.plugins.filter.drift_report import FilterModule, drift_report

FLEET = {"hosts": {"vps": {"managed": True, "hints": []}, "laptop": {"managed": True, "hints": []},
                   "phone": {"managed": False, "hints": []}},
         "absent": ["old"], "leases": {}, "warnings": [], "provisional": {}}
ALL = ["laptop", "old", "phone", "vps", "printer"]   # printer: in the inventory, in no network


def interface(action="none", **extra):
    entry = {"network": "wg0", "peers": 2, "skipped_peers": [], "config_changed": False, "action": action,
             "reasons": [], "routes_added": [], "routes_removed": []}
    entry.update(extra)
    return entry


def quiet():
    return {"wireguard_interface_report": {"wg0": interface()},
            "wireguard_firewall_report": {"backend": "nftables", "rules": 5, "changed": False},
            "wireguard_sysctl_report": {"settings": {}, "changed": False}}


def hostvars(**overrides):
    found = {host: quiet() for host in ("vps", "laptop", "old")}
    for host, reports in overrides.items():
        found[host].update(reports)
    return found


def test_no_drift_names_every_fleet_host_as_ok_and_nothing_else():
    report = drift_report(FLEET, hostvars(), ALL, ALL)
    assert report["drift"] is False
    assert sorted(report["hosts"]) == ["laptop", "old", "vps"]       # not the phone, not the printer
    assert report["lines"][-1] == "no drift - drift: 0 host(s), ok: 3, not checked: 0"
    assert report["result"] == "no drift"
    assert all(line.startswith("ok ") for line in report["lines"][:-1])


def test_a_peer_removed_by_hand_is_drift_named_with_what_a_converge_would_do():
    live = {"wireguard_interface_report": {"wg0": interface("syncconf", reasons=["peer laptop added"])}}
    report = drift_report(FLEET, hostvars(vps=live), ALL, ALL)
    assert report["drift"] is True
    assert report["hosts"]["vps"]["status"] == "drift"
    assert "DRIFT vps: would change - wg0 (wg0): 2 peers, would syncconf (peer laptop added)" in report["lines"][2]
    assert report["counts"] == {"drift": 1, "ok": 2, "unchecked": 0}
    assert report["result"] == "drift"


@pytest.mark.parametrize("reports", [
    {"wireguard_firewall_report": {"backend": "ufw", "rules": 5, "changed": True}},
    {"wireguard_sysctl_report": {"settings": {"net.ipv4.ip_forward": 1}, "changed": "True"}},
    {"wireguard_interface_report": {"wg0": interface(config_changed=True)}},
])
def test_firewall_sysctl_and_config_differences_are_drift(reports):
    assert drift_report(FLEET, hostvars(laptop=reports), ALL, ALL)["hosts"]["laptop"]["status"] == "drift"


def test_a_host_the_run_lost_is_unchecked_and_counts():
    report = drift_report(FLEET, hostvars(), ALL, ["vps", "old"])
    assert report["hosts"]["laptop"] == {"status": "unchecked",
                                         "line": "laptop: not checked (failed or unreachable in this run)"}
    assert report["drift"] is True and report["counts"]["unchecked"] == 1 and report["result"] == "failed"


def test_hosts_left_behind_by_a_partial_run_are_drift():
    report = drift_report(FLEET, hostvars(), ALL, ALL, ["laptop"])
    assert report["drift"] is True and report["left_behind"] == ["laptop"]
    assert report["lines"][-2].startswith("DRIFT left behind by an earlier partial run")
    assert report["lines"][-1].endswith(", left behind: 1")


@pytest.mark.parametrize("bad", [None, [], "fleet", {"hosts": "x"}])
def test_not_a_fleet(bad):
    with pytest.raises(AnsibleFilterError, match="drift_report: input is not a fleet"):
        drift_report(bad, {}, ALL, ALL)


def test_registered():
    assert FilterModule().filters()["drift_report"] is drift_report


def test_after_a_real_run_drift_was_repaired_and_a_lost_host_failed():
    live = {"wireguard_interface_report": {"wg0": interface("syncconf", reasons=["peer laptop added"])}}
    report = drift_report(FLEET, hostvars(vps=live), ALL, ALL, check_mode=False)
    assert report["result"] == "drift repaired" and report["check_mode"] is False
    assert "REPAIRED vps: changed - wg0 (wg0): 2 peers, syncconf (peer laptop added); firewall nftables 5 rules" in report["lines"]
    assert report["lines"][-1] == "drift repaired - drift: 1 host(s) (repaired), ok: 2, failed: 0"
    lost = drift_report(FLEET, hostvars(), ALL, ["vps", "old"], check_mode="False")
    assert lost["result"] == "failed" and "FAILED laptop: not converged (failed or unreachable in this run)" in lost["lines"]
    assert drift_report(FLEET, hostvars(), ALL, ALL, check_mode=False)["result"] == "no drift"

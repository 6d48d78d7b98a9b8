# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Partial runs name the hosts they left behind (module_utils/converged.py, converge_record, run_summary)."""

from __future__ import annotations

from ansible_collections.wirefleet.wireguard.plugins.filter.converge_record import converge_record
from ansible_collections.wirefleet.wireguard.plugins.filter.run_summary import left_behind_lines
from ansible_collections.wirefleet.wireguard.plugins.module_utils.converged import host_digest
from ansible_collections.wirefleet.wireguard.plugins.module_utils.topology import build_fleet

from conftest import fake_key, make_host

NET = {"wg0": {"ipv4": "10.8.0.0/24", "port": 51820}}
STAR = {"vps": make_host(["wireguard_hubs"], endpoint="vps.example.com"), "laptop": make_host(["wireguard_clients"]),
        "phone": make_host(["wireguard_clients"], managed=False)}


def _fleet(hosts, keys=()):
    return build_fleet(NET, hosts, {name: {"wg0": fake_key(name)} for name in keys})


def test_a_full_run_leaves_nobody_behind_and_records_every_managed_host():
    fleet = _fleet(STAR, ["vps", "laptop", "phone"])
    result = converge_record(fleet, ["vps", "laptop"], {})
    assert result["left_behind"] == []
    assert sorted(result["record"]) == ["laptop", "vps"]  # the phone is unmanaged: never converged by Ansible
    assert converge_record(fleet, ["vps", "laptop"], result["record"]) == result  # a second run: the same


def test_limit_to_a_new_host_leaves_its_hub_behind():
    before = _fleet(STAR, ["vps", "laptop", "phone"])
    record = converge_record(before, ["vps", "laptop"], {})["record"]
    grown = _fleet({**STAR, "tablet": make_host(["wireguard_clients"])}, ["vps", "laptop", "phone", "tablet"])
    result = converge_record(grown, ["tablet"], record)
    assert result["left_behind"] == ["vps"]  # the laptop's peer list (the hub) did not change
    assert result["record"]["vps"] == record["vps"]  # still what it runs: the next full run converges it
    assert result["record"]["tablet"] == host_digest(grown["hosts"]["tablet"])
    assert converge_record(grown, ["vps"], result["record"])["left_behind"] == []


def test_a_host_that_was_never_converged_is_left_behind():
    fleet = _fleet(STAR, ["vps", "laptop"])
    assert converge_record(fleet, ["vps"], {"vps": "x"})["left_behind"] == ["laptop"]


def test_a_host_to_remove_is_left_behind_until_a_run_removes_it():
    fleet = _fleet(STAR, ["vps", "laptop"])
    record = converge_record(fleet, ["vps", "laptop"], {})["record"]
    gone = _fleet({**STAR, "laptop": make_host(["wireguard_clients"], state="absent")}, ["vps"])
    partial = converge_record(gone, ["vps"], record)
    assert partial["left_behind"] == ["laptop"] and "laptop" in partial["record"]
    removed = converge_record(gone, ["vps", "laptop"], partial["record"])
    assert removed["left_behind"] == [] and "laptop" not in removed["record"]


def test_a_new_key_changes_the_digest():
    assert (host_digest(_fleet(STAR, ["vps", "laptop"])["hosts"]["vps"])
            != host_digest(_fleet(STAR, ["vps"])["hosts"]["vps"]))


def test_without_a_record_nobody_is_named_and_junk_counts_as_no_record():
    fleet = _fleet(STAR, ["vps", "laptop"])
    assert converge_record(fleet, ["vps"], {})["left_behind"] == []
    junk = converge_record(fleet, ["vps"], ["not", "a", "mapping"])
    assert junk["left_behind"] == [] and sorted(junk["record"]) == ["vps"]


def test_the_summary_line_names_the_hosts_and_the_command():
    assert left_behind_lines([]) == []
    line, = left_behind_lines(["vps", "gw"], ["/srv/inv"])
    assert line.startswith("Left behind after this run (") and ": vps, gw. " in line
    assert line.endswith("Run: ansible-playbook -i /srv/inv playbooks/site.yml --limit vps,gw")


class _AnsibleLikeDict(dict):
    """Stands for the container types Ansible hands facts over in: same content, another type and repr."""

    def __repr__(self):
        return "<lazy dict at %x>" % id(self)


def test_the_digest_depends_on_content_only_not_on_container_types():
    entry = _fleet(STAR, ["vps", "laptop"])["hosts"]["vps"]
    wrapped = _AnsibleLikeDict(interfaces=_AnsibleLikeDict(entry["interfaces"]), system=tuple(entry["system"].items()))
    assert host_digest(dict(wrapped, system=dict(wrapped["system"]))) == host_digest(entry)

# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: adopt_proposal
author: wirefleet contributors (@wirefleet)
version_added: 0.2.0
short_description: The inventory that takes over the hand-made WireGuard networks found on the hosts
description:
  - Reads what M(wirefleet.wireguard.wg_existing) found on each play host (registered as
    C(__wireguard_adopt_found)) and proposes the networks, role groups and host variables that make a converge
    keep every key, address, port, peer and route (C(plugins/plugin_utils/adopt.py)).
  - Computes the proposal with the engine, as a converge would, and lists per interface what converging it
    changes; topology problems the engine finds are returned as problems, nothing is raised.
  - Returns the files to write for review (C(hosts.yml), C(group_vars/all/wireguard.yml), C(host_vars/<host>.yml),
    C(REPORT.txt)), the leases merged with the store's and the public keys to record.
options:
  _input:
    description: The C(hostvars) magic variable.
    type: raw
    required: true
  play_hosts:
    description: The hosts that were read (C(ansible_play_hosts)).
    type: list
    elements: str
    required: true
  all_hosts:
    description: Every inventory host (C(groups['all'])), so device names never collide with one.
    type: list
    elements: str
    required: true
  store:
    description: The controller store (M(wirefleet.wireguard.store) lookup), for the leases it has already.
    type: dict
    default: {}
  unread:
    description: Play hosts that failed or were unreachable, named in the report.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Propose the inventory
  ansible.builtin.set_fact:
    proposal: "{{ hostvars | wirefleet.wireguard.adopt_proposal(ansible_play_hosts, groups['all'], store) }}"
  run_once: true
"""

RETURN = r"""
_value:
  description: "C(files) {path: text}, C(leases), C(public_key_files) {host: {<network>.pub: key}}, C(lines) (what to print),
    C(problems) (what keeps the proposal from converging)."
  type: dict
"""

import json

import yaml

from ansible_collections.wirefleet.wireguard.plugins.plugin_utils.adopt import converge_changes, engine_hosts, propose
from ansible_collections.wirefleet.wireguard.plugins.module_utils.errors import TopologyErrors
from ansible_collections.wirefleet.wireguard.plugins.module_utils.topology import build_fleet

HEADER = ("# Proposed by wirefleet's playbooks/adopt.yml from the WireGuard configs on the hosts.\n"
          "# Review it (REPORT.txt says what is kept and what is not), then merge it into your inventory.\n")
FOUND_VARIABLE = "__wireguard_adopt_found"


def _yaml(data):
    return HEADER + yaml.safe_dump(data, default_flow_style=False, sort_keys=True, allow_unicode=False)


def _found(hostvars, play_hosts):
    """{host: [interfaces]} as plain Python data (ansible-core hands tagged and lazy values over)."""
    found = {}
    for host in play_hosts:
        registered = hostvars[host].get(FOUND_VARIABLE) or {}
        found[str(host)] = json.loads(json.dumps(list(registered.get("interfaces") or [])))
    return found


def _merged_leases(store, leases):
    merged = {network: dict(by_host) for network, by_host in (store.get("leases") or {}).items()}
    for network, by_host in leases.items():
        merged.setdefault(network, {}).update(by_host)
    return merged


def _hosts_yml(proposal):
    """Role groups, and every other proposed host (one naming its networks in wireguard_roles, a device) in all."""
    grouped = {host for hosts in proposal["groups"].values() for host in hosts}
    inventory = {"children": {group: {"hosts": {host: None for host in hosts}}
                              for group, hosts in proposal["groups"].items()}}
    others = sorted(set(proposal["host_vars"]) - grouped)
    if others:
        inventory["hosts"] = {host: None for host in others}
    return {"all": inventory}


def _files(proposal, lines):
    files = {
        "hosts.yml": _yaml(_hosts_yml(proposal)),
        "group_vars/all/wireguard.yml": _yaml({"wireguard_networks": proposal["networks"]}),
        "REPORT.txt": "\n".join(lines) + "\n",
    }
    for host, variables in proposal["host_vars"].items():
        files["host_vars/%s.yml" % host] = _yaml(variables)
    return files


def adopt_proposal(hostvars, play_hosts, all_hosts, store=None, unread=()):
    store = store or {}
    found = _found(hostvars, play_hosts)
    proposal = propose(found, [str(host) for host in all_hosts])
    problems = list(proposal["problems"])
    changes = {}
    if proposal["networks"] and not problems:
        try:
            fleet = build_fleet(proposal["networks"], engine_hosts(proposal), proposal["public_keys"], proposal["leases"])
            changes = converge_changes(found, fleet["hosts"])
        except TopologyErrors as exc:
            problems += ["the proposal does not converge as it is: %s" % error for error in exc.errors]
    lines = ["adopt: read %d host(s); networks proposed: %s" % (len(play_hosts), ", ".join(sorted(proposal["networks"])) or "none")]
    lines += ["not read (failed or unreachable): %s" % host for host in unread]
    for (host, interface), changed in sorted(changes.items()):
        lines.append("%s %s: %s" % (host, interface, "converging changes " + "; ".join(changed) if changed
                                    else "converging keeps its key, addresses, port, peers and routes"))
    lines += proposal["report"]
    lines += ["PROBLEM: %s" % problem for problem in problems]
    return {
        "files": _files(proposal, lines) if not problems else {},
        "leases": _merged_leases(store, proposal["leases"]),
        "public_key_files": {host: {network + ".pub": key for network, key in keys.items()}
                             for host, keys in proposal["public_keys"].items()},
        "lines": lines,
        "problems": problems,
    }


class FilterModule:
    def filters(self):
        return {"adopt_proposal": adopt_proposal}

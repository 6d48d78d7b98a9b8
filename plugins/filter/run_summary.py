# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: run_summary
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: The closing summary of a run, one line per host and device, then warnings and hints
description:
  - "Turns the fleet and the reports the roles left on each host (C(wireguard_interface_report),
    C(wireguard_firewall_report), C(wireguard_sysctl_report)) into the lines C(playbooks/site.yml) prints
    at its end, one per host - changed or unchanged, and what
    happened to its interfaces, firewall and sysctl."
  - Then come the unmanaged devices (where their configs are), the topology's warnings, the hosts whose
    tunnel address is provisional (plan and check mode only) and the steps Ansible cannot take
    (M(wirefleet.wireguard.hints)).
  - With O(check_mode) nothing was applied, so the lines say what a real run would do, and services
    whose unit is not installed yet read I(would install and start).
  - Without hostvars and play hosts (C(playbooks/render.yml)) only the fleet-wide lines are returned.
options:
  _input:
    description: The result of M(wirefleet.wireguard.fleet).
    type: dict
    required: true
  hostvars:
    description: The C(hostvars) magic variable, to read each play host's role reports.
    type: raw
    default: {}
  play_hosts:
    description: The hosts to report on (C(ansible_play_hosts)).
    type: list
    elements: str
    default: []
  devices:
    description: C(wireguard_devices_report), the configs written for unmanaged devices.
    type: list
    elements: dict
    default: []
  check_mode:
    description: True for C(--check) and plan mode, where nothing is applied and new addresses are not leased yet.
    type: bool
    default: false
  left_behind:
    description: Hosts the run left with an out-of-date configuration (M(wirefleet.wireguard.converge_record)).
    type: list
    elements: str
    default: []
  inventory_sources:
    description: C(ansible_inventory_sources), for the command that converges the hosts left behind.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Summarise the run
  ansible.builtin.debug:
    msg: "{{ wireguard_fleet | wirefleet.wireguard.run_summary(hostvars, ansible_play_hosts,
             wireguard_devices_report | default([]), check_mode=ansible_check_mode) }}"
  run_once: true

- name: Plan mode - warnings, provisional addresses and hints only
  ansible.builtin.debug:
    msg: "{{ wireguard_fleet | wirefleet.wireguard.run_summary(check_mode=true) }}"
"""

RETURN = r"""
_value:
  description: 'Lines such as "vps: changed - wg0 (wg0): 3 peers, started; firewall nftables 7 rules".'
  type: list
  elements: str
"""

import shlex

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.wirefleet.wireguard.plugins.filter.hints import hints

# The role reports the summary reads, by the name each has in hostvars.
REPORT_VARIABLES = {
    "interface": "wireguard_interface_report",
    "firewall": "wireguard_firewall_report",
    "sysctl": "wireguard_sysctl_report",
}

# In check mode nothing happened: the interface actions are what a real run would do.
CHECK_MODE_ACTIONS = {
    "started": "would start",
    "syncconf": "would syncconf",
    "restart": "would restart",
    "reconciled": "would reconcile",
}

WORDS = {
    False: {"changed": "changed", "removed": "removed", "routes_added": "routes added",
            "routes_removed": "stale routes removed"},
    True: {"changed": "would change", "removed": "would be removed", "routes_added": "routes to add",
           "routes_removed": "stale routes to remove"},
}


def _flag(value):
    """Reports come through set_fact, which may hand booleans over as strings."""
    return boolean(value, strict=False) if value is not None else False


def _plural(count, noun):
    return "%s %s%s" % (count, noun, "" if str(count) == "1" else "s")


def interface_changed(item):
    """Whether an interface counts as changed: removed, config rewritten, or any action taken or to take."""
    return (item.get("action") == "removed" or _flag(item.get("config_changed"))
            or item.get("action", "none") != "none" or _flag(item.get("would_start")))


def _interface_action(name, item, check_mode):
    if _flag(item.get("would_start")):
        # check mode before the first real run: wireguard-tools (and with it the unit) is not installed yet
        return "would install and start wg-quick@%s" % name
    action = item.get("action", "none")
    if action == "none":
        return ""
    verb = CHECK_MODE_ACTIONS.get(action, action) if check_mode else action
    reasons = item.get("reasons") or []
    return verb + (" (%s)" % "; ".join(reasons) if reasons else "")


def interface_part(name, item, check_mode=False):
    """'wg0 (wg0): 3 peers + 1 without a known key yet, syncconf (peer x added), routes added 10.1.0.0/24'."""
    words = WORDS[bool(check_mode)]
    if item.get("action") == "removed":
        return "%s %s" % (name, words["removed"])
    text = "%s (%s): %s" % (name, item.get("network"), _plural(item.get("peers", 0), "peer"))
    skipped = item.get("skipped_peers") or []
    if skipped:
        text += " + %d without a known key yet" % len(skipped)
    action = _interface_action(name, item, check_mode)
    if action:
        text += ", " + action
    for key in ("routes_added", "routes_removed"):
        if item.get(key):
            text += ", %s %s" % (words[key], " ".join(item[key]))
    return text


def firewall_part(firewall, check_mode=False):
    backend = firewall.get("backend", "none")
    if backend == "none":
        return ""
    text = "firewall %s %s rules" % (backend, firewall.get("rules", 0))
    if _flag(firewall.get("would_start")):
        text += ", would install and start wirefleet-%s.service" % backend
    elif _flag(firewall.get("changed")):
        text += " (%s)" % WORDS[bool(check_mode)]["changed"]
    return text


def sysctl_part(sysctl, check_mode=False):
    settings = sysctl.get("settings") or {}
    if not settings:
        return ""
    return "sysctl " + " ".join(settings) + (" (%s)" % WORDS[bool(check_mode)]["changed"]
                                             if _flag(sysctl.get("changed")) else "")


def host_changed(reports):
    """Whether the roles changed (or, in check mode, would change) anything on the host."""
    interfaces = reports.get("interface") or {}
    firewall = reports.get("firewall") or {}
    sysctl = reports.get("sysctl") or {}
    return (_flag(firewall.get("changed")) or _flag(firewall.get("would_start")) or _flag(sysctl.get("changed"))
            or any(interface_changed(item) for item in interfaces.values()))


def host_line(host, reports, absent=(), check_mode=False):
    """'<host>: changed|unchanged[ (absent)] - <parts>' from the reports the roles left on the host."""
    interfaces = reports.get("interface") or {}
    firewall = reports.get("firewall") or {}
    sysctl = reports.get("sysctl") or {}
    changed = host_changed(reports)
    parts = [interface_part(name, interfaces[name], check_mode) for name in sorted(interfaces)]
    parts += [part for part in (firewall_part(firewall, check_mode), sysctl_part(sysctl, check_mode)) if part]
    status = WORDS[bool(check_mode)]["changed"] if changed else "unchanged"
    return "%s: %s%s - %s" % (host, status, " (absent)" if host in absent else "", "; ".join(parts) or "nothing to do")


def placement_lines(host, reports):
    """What the firewall role placed in front of another firewall's drops (Docker's FORWARD policy, ...)."""
    notes = (reports.get("firewall") or {}).get("placed") or []
    return ["%s: %s" % (host, note) for note in notes]


def device_line(device):
    line = "%s: unmanaged device, %s config at %s" % (device["host"], device["interface"], device["config"])
    if device.get("qr_png"):
        line += ", QR code %s" % device["qr_png"]
    return line


def warning_lines(fleet):
    warnings = list(fleet.get("warnings") or [])
    return ["Warnings:"] + warnings if warnings else []


def provisional_lines(fleet, check_mode=False):
    """Addresses allocated in this computation are fixed (leased) only by a real converge."""
    provisional = fleet.get("provisional") or {}
    if not check_mode or not provisional:
        return []
    hosts = ["%s (%s)" % (host, ", ".join(provisional[host])) for host in sorted(provisional)]
    return ["Provisional addresses (no lease yet; the first real converge fixes them): " + ", ".join(hosts)]


def left_behind_lines(left_behind, inventory_sources=(), check_mode=False):
    """The hosts a partial run (--limit, an unreachable host) left with an out-of-date configuration."""
    if not left_behind:
        return []
    inventory = " ".join("-i %s" % shlex.quote(str(source)) for source in inventory_sources or ())
    when = "after this run" if not check_mode else "even after a real run with these hosts"
    return ["Left behind %s (their configuration changed, was never converged or is still to be removed, but they "
            "were not converged): %s. Run: ansible-playbook %s playbooks/site.yml --limit %s"
            % (when, ", ".join(left_behind), inventory, shlex.quote(",".join(left_behind)))]


def hint_lines(fleet):
    lines = hints(fleet)
    return ["Hints (Ansible cannot do these for you):"] + lines if lines else []


def summary_lines(fleet, reports, play_hosts=(), devices=(), check_mode=False, left_behind=(), inventory_sources=()):
    """Every line of the summary; `reports` is {host: {"interface": ..., "firewall": ..., "sysctl": ...}}."""
    absent = fleet.get("absent") or []
    lines = [host_line(host, reports.get(host) or {}, absent, check_mode) for host in sorted(play_hosts)]
    lines += [line for host in sorted(play_hosts) for line in placement_lines(host, reports.get(host) or {})]
    lines += [device_line(device) for device in devices or []]
    return (lines + warning_lines(fleet) + left_behind_lines(left_behind, inventory_sources, check_mode)
            + provisional_lines(fleet, check_mode) + hint_lines(fleet))


def host_reports(hostvars, play_hosts):
    """{host: {"interface": ..., ...}} out of hostvars; hosts that left the play early have none."""
    reports = {}
    for host in play_hosts:
        variables = hostvars[host] if host in hostvars else {}
        reports[host] = {kind: variables.get(name) or {} for kind, name in REPORT_VARIABLES.items()}
    return reports


def run_summary(fleet, hostvars=None, play_hosts=None, devices=None, check_mode=False, left_behind=None,
                inventory_sources=None):
    play_hosts = list(play_hosts or [])
    try:
        return summary_lines(fleet, host_reports(hostvars or {}, play_hosts), play_hosts, devices or [],
                             _flag(check_mode), list(left_behind or []), list(inventory_sources or []))
    except (AnsibleFilterError, AttributeError, KeyError, TypeError) as exc:
        raise AnsibleFilterError("run_summary: input is not a fleet and role reports of wirefleet.wireguard: %s"
                                 % exc) from exc


class FilterModule:
    def filters(self):
        return {"run_summary": run_summary}

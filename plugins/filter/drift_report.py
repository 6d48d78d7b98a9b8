# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter: the drift report of playbooks/drift.yml."""

from __future__ import annotations

DOCUMENTATION = r"""
name: drift_report
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: What differs between the plan and each host, after a converge in check mode
description:
  - Reads the reports the roles left on each host after C(playbooks/site.yml) ran in check mode
    (C(wireguard_interface_report), C(wireguard_firewall_report), C(wireguard_sysctl_report)) and says, per
    managed host, whether a real converge would change something (peers added, removed or changed on the live
    interface, addresses, routes, a restart, firewall rules, kernel parameters) and what.
  - Hosts of the fleet that could not be checked (failed or unreachable during the run) count as drift, and so
    do the hosts a partial run left behind (M(wirefleet.wireguard.converge_record)).
options:
  _input:
    description: The result of M(wirefleet.wireguard.fleet).
    type: dict
    required: true
  hostvars:
    description: The C(hostvars) magic variable.
    type: raw
    required: true
  all_hosts:
    description: Every host of the play (C(ansible_play_hosts_all)).
    type: list
    elements: str
    required: true
  checked_hosts:
    description: The hosts still in the play at its end (C(ansible_play_hosts)); the others failed or were unreachable.
    type: list
    elements: str
    required: true
  left_behind:
    description: Hosts left with an out-of-date configuration by an earlier partial run.
    type: list
    elements: str
    default: []
  check_mode:
    description: "True after a check-mode run (C(drift.yml)): differences are drift still there. False after a real
      converge (the scheduled run): what changed was drift, now repaired."
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Report the drift
  ansible.builtin.debug:
    msg: "{{ (wireguard_fleet | wirefleet.wireguard.drift_report(hostvars, ansible_play_hosts_all,
              ansible_play_hosts)).lines }}"
  run_once: true
"""

RETURN = r"""
_value:
  description: "C(result) (C(no drift), C(drift), C(drift repaired) or C(failed)), C(check_mode), C(drift) (bool:
    anything at all), C(hosts) ({host: {status: drift, ok or unchecked, line}}), C(left_behind), C(counts)
    ({drift, ok, unchecked}) and C(lines): one line per host, 'DRIFT vps: would change - wg0 (wg0): 3 peers, would
    syncconf (...)' (REPAIRED after a real run) or 'ok laptop: unchanged - ...', then the result and counts."
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.wirefleet.wireguard.plugins.filter.run_summary import host_changed, host_line, host_reports

# Line prefixes: after a check-mode run the differences are still there; after a real run they were repaired.
STATUS_WORDS = {True: {"drift": "DRIFT", "ok": "ok", "unchecked": "UNCHECKED"},
                False: {"drift": "REPAIRED", "ok": "ok", "unchecked": "FAILED"}}


def _fleet_hosts(fleet, all_hosts):
    """The hosts of the play that a converge configures: managed members and hosts to remove."""
    members = fleet.get("hosts") or {}
    absent = set(fleet.get("absent") or ())
    return sorted(host for host in all_hosts
                  if host in absent or (members.get(host) or {}).get("managed"))


def host_status(host, reports, checked, absent=(), check_mode=True):
    """(status, line) of one host: drift, ok, or unchecked when the run lost it."""
    if host not in checked:
        what = "not checked" if check_mode else "not converged"
        return "unchecked", "%s: %s (failed or unreachable in this run)" % (host, what)
    line = host_line(host, reports, absent, check_mode=check_mode)
    return ("drift" if host_changed(reports) else "ok"), line


def _result(counts, left, check_mode):
    """One word for the whole run, for monitoring and for the exit status of the scheduled converge."""
    # after a real run, hosts left behind still need a converge: the run did not finish the job
    if counts["unchecked"] or (left and not check_mode):
        return "failed"
    if counts["drift"] or left:
        return "drift" if check_mode else "drift repaired"
    return "no drift"


def drift_report(fleet, hostvars, all_hosts, checked_hosts, left_behind=None, check_mode=True):
    try:
        hosts = _fleet_hosts(fleet, list(all_hosts or ()))
        checked = set(checked_hosts or ())
        reports = host_reports(hostvars or {}, [host for host in hosts if host in checked])
        absent = fleet.get("absent") or []
        check_mode = boolean(check_mode, strict=False)
        statuses = {host: host_status(host, reports.get(host) or {}, checked, absent, check_mode) for host in hosts}
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError("drift_report: input is not a fleet and role reports of wirefleet.wireguard: %s"
                                 % exc) from exc
    left = sorted(left_behind or ())
    words = STATUS_WORDS[check_mode]
    counts = {status: sum(1 for found, _line in statuses.values() if found == status) for status in words}
    lines = ["%s %s" % (words[status], line) for status, line in (statuses[host] for host in hosts)]
    if left:
        lines.append("DRIFT left behind by an earlier partial run (not converged since their configuration "
                     "changed): %s" % ", ".join(left))
    result = _result(counts, left, check_mode)
    lines.append("%s - drift: %d host(s)%s, ok: %d, %s: %d%s"
                 % (result, counts["drift"], "" if check_mode else " (repaired)", counts["ok"],
                    "not checked" if check_mode else "failed", counts["unchecked"],
                    ", left behind: %d" % len(left) if left else ""))
    return {
        "result": result,
        "check_mode": check_mode,
        "drift": bool(counts["drift"] or counts["unchecked"] or left),
        "hosts": {host: {"status": status, "line": line} for host, (status, line) in statuses.items()},
        "left_behind": left,
        "counts": counts,
        "lines": lines,
    }


class FilterModule:
    def filters(self):
        return {"drift_report": drift_report}

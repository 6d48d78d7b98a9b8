# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: converge_record
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: Which hosts a run left behind, and the record of what each host was converged to
description:
  - Compares the fleet with the controller store's C(converged.json) (a digest of every host's configuration
    at its last successful converge) and returns the hosts this run did not converge although their
    configuration changed, was never converged or is still to be removed (a C(--limit) run, an unreachable
    host), and the new record to write.
options:
  _input:
    description: The result of M(wirefleet.wireguard.fleet).
    type: dict
    required: true
  converged_hosts:
    description: The hosts this run converged successfully (C(ansible_play_hosts) at the end of the run).
    type: list
    elements: str
    required: true
  previous:
    description: The store's current C(converged) record (M(wirefleet.wireguard.store) lookup).
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Work out who was left behind
  ansible.builtin.set_fact:
    converged: "{{ wireguard_fleet | wirefleet.wireguard.converge_record(ansible_play_hosts, store.converged) }}"
"""

RETURN = r"""
_value:
  description: "{record: {host: digest}, left_behind: [host]}"
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wirefleet.wireguard.plugins.module_utils.converged import left_behind, record


def converge_record(fleet, converged_hosts, previous=None):
    try:
        hosts = list(converged_hosts or [])
        return {"record": record(fleet, hosts, previous), "left_behind": left_behind(fleet, hosts, previous)}
    except (AttributeError, KeyError, TypeError) as exc:
        raise AnsibleFilterError("converge_record: input is not a fleet computed by wirefleet.wireguard.fleet: %s"
                                 % exc) from exc


class FilterModule:
    def filters(self):
        return {"converge_record": converge_record}

# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: rotation_outcome
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: Which key rotations a run finished, which wait for peers, and what unmanaged devices need
description:
  - After C(playbooks/rotate.yml) updated the hosts, names the rotations whose host and every managed peer
    were updated (the store may forget their previous key), those still waiting for a peer (a C(--limit) run,
    an unreachable host), and one line per unmanaged device that needs its new config.
options:
  _input:
    description: The result of M(wirefleet.wireguard.fleet), after the rotation.
    type: dict
    required: true
  rotation:
    description: The M(wirefleet.wireguard.rotation_plan) result.
    type: dict
    required: true
  updated_hosts:
    description: The hosts updated in this run (C(ansible_play_hosts) at its end).
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Work out what the rotation finished
  ansible.builtin.set_fact:
    outcome: "{{ wireguard_fleet | wirefleet.wireguard.rotation_outcome(rotation, ansible_play_hosts) }}"
"""

RETURN = r"""
_value:
  description: The outcome.
  type: dict
  contains:
    finished:
      description: Rotations (C(<host>/<network>)) whose host and managed peers all have the new key.
      type: list
      elements: str
    waiting:
      description: "{<host>/<network>: [host not updated yet]}"
      type: dict
    lines:
      description: Lines for the user (devices that need their new config, peers still to update).
      type: list
      elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wirefleet.wireguard.plugins.module_utils.rotation import outcome


def rotation_outcome(fleet, rotation, updated_hosts):
    try:
        return outcome(fleet, rotation, list(updated_hosts or []))
    except (AttributeError, KeyError, TypeError) as exc:
        raise AnsibleFilterError("rotation_outcome: input is not a fleet and rotation plan: %s" % exc) from exc


class FilterModule:
    def filters(self):
        return {"rotation_outcome": rotation_outcome}

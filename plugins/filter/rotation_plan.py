# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: rotation_plan
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: What a key rotation (playbooks/rotate.yml) makes, switches and records
description:
  - From a M(wirefleet.wireguard.fleet) result, the hosts to rotate and the controller store, works out which
    managed hosts make a next key, which switch to it, which rotations begin now and which an earlier,
    interrupted run began (the store still holds their previous public key, so they are completed, not rotated
    again), the unmanaged devices whose new key the controller makes, and the preshared keys of every pair
    with a host rotated now.
options:
  _input:
    description: The result of M(wirefleet.wireguard.fleet).
    type: dict
    required: true
  requested:
    description: C(wireguard_rotate_hosts), V(all), a comma-separated string or a list of host names.
    type: raw
    required: true
  store:
    description: What the M(wirefleet.wireguard.store) lookup returned (previous keys, converged record).
    type: dict
    required: true
  required:
    description: Refuse a request of no hosts when no earlier rotation is unfinished (V(false) in C(site.yml)).
    type: bool
    default: true
  reached:
    description:
      - The hosts still in the play after making their next key (C(ansible_play_hosts)); a managed host not among them
        begins no rotation and keeps the preshared keys of its pairs. Omitted, every requested host counts.
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Plan the rotation
  ansible.builtin.set_fact:
    rotation: >-
      {{ wireguard_fleet | wirefleet.wireguard.rotation_plan(wireguard_rotate_hosts,
         lookup('wirefleet.wireguard.store', wireguard_store_dir)) }}
"""

RETURN = r"""
_value:
  description: The plan.
  type: dict
  contains:
    prepare:
      description: "{host: [{interface, network}]}: managed hosts that make (or reuse) their next key."
      type: dict
    switch:
      description: "{host: [{interface, network}]}: managed hosts whose next key replaces the current one (new and unfinished rotations)."
      type: dict
    begin:
      description: Rotations that begin in this run, as C(<host>/<network>).
      type: list
      elements: str
    devices:
      description: Unmanaged devices (C(<host>/<network>)) whose new key the controller makes.
      type: list
      elements: str
    pending:
      description: Rotations an earlier run began and did not finish (C(<host>/<network>)).
      type: list
      elements: str
    preshared_keys:
      description: Preshared key ids of the pairs with a host rotated now.
      type: list
      elements: str
    rotated:
      description: Every host whose key changes (or changed) in this rotation.
      type: list
      elements: str
    in_sync:
      description: Managed hosts converged to the fleet as it is before the rotation.
      type: list
      elements: str
    notes:
      description: Lines for the user (rotations completed rather than begun).
      type: list
      elements: str
    not_reached:
      description: Lines naming the requested managed hosts not in O(reached).
      type: list
      elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wirefleet.wireguard.plugins.module_utils.rotation import RotationError, plan


def rotation_plan(fleet, requested, store, required=True, reached=None):
    try:
        return plan(fleet, requested, store, required=required, reached=None if reached is None else list(reached))
    except RotationError as exc:
        raise AnsibleFilterError(str(exc)) from exc
    except (AttributeError, KeyError, TypeError) as exc:
        raise AnsibleFilterError("rotation_plan: input is not a fleet computed by wirefleet.wireguard.fleet: %s"
                                 % exc) from exc


class FilterModule:
    def filters(self):
        return {"rotation_plan": rotation_plan}

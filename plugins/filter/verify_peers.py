# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: verify_peers
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: The peers one host must have a recent handshake with
description:
  - From a M(wirefleet.wireguard.fleet) result, every peer of O(host) whose public key is known, with its
    interface, key and tunnel address, and whether a recent handshake is required (unmanaged devices only with
    O(include_unmanaged)).
options:
  _input:
    description: The result of M(wirefleet.wireguard.fleet).
    type: dict
    required: true
  host:
    description: The host whose peers are expected.
    type: str
    required: true
  include_unmanaged:
    description: Require handshakes with unmanaged devices too.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: List the expected peers of this host
  ansible.builtin.set_fact:
    expected: "{{ wireguard_fleet | wirefleet.wireguard.verify_peers(inventory_hostname) }}"
"""

RETURN = r"""
_value:
  description: "[{interface, name, key, address, managed, required}]"
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wirefleet.wireguard.plugins.module_utils.verify import expected_peers


def verify_peers(fleet, host, include_unmanaged=False):
    try:
        return expected_peers(fleet, host, include_unmanaged)
    except (KeyError, TypeError, AttributeError) as exc:
        raise AnsibleFilterError("verify_peers: input is not a fleet computed by wirefleet.wireguard.fleet: %s" % exc) from exc


class FilterModule:
    def filters(self):
        return {"verify_peers": verify_peers}

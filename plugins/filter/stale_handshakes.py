# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: stale_handshakes
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: The expected peers without a recent handshake
description:
  - Compares what M(wirefleet.wireguard.verify_peers) expects with the lines of C(wg show <interface>
    latest-handshakes) and returns the names of required peers whose latest handshake is older than O(max_age).
options:
  _input:
    description: The result of M(wirefleet.wireguard.verify_peers).
    type: list
    elements: dict
    required: true
  handshakes:
    description: Lines of C(wg show <interface> latest-handshakes) (public key, epoch seconds), of all interfaces.
    type: list
    elements: str
    required: true
  now:
    description: The host's clock, epoch seconds.
    type: int
    required: true
  max_age:
    description: Oldest handshake that still counts, in seconds.
    type: int
    required: true
"""

EXAMPLES = r"""
- name: Check the handshakes
  ansible.builtin.assert:
    that: expected | wirefleet.wireguard.stale_handshakes(lines, now, 180) | length == 0
"""

RETURN = r"""
_value:
  description: Names of the peers without a recent handshake.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wirefleet.wireguard.plugins.module_utils.verify import stale_peers


def stale_handshakes(expected, handshakes, now, max_age):
    try:
        return stale_peers(expected, handshakes, int(now), int(max_age))
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError("stale_handshakes: %s" % exc) from exc


class FilterModule:
    def filters(self):
        return {"stale_handshakes": stale_handshakes}

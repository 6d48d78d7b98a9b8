# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: hints
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: The steps Ansible cannot take for you, one line per host and hint
description:
  - Collects the hints of a M(wirefleet.wireguard.fleet) result, such as the static route a home router
    needs towards a LAN gateway or the UDP port forward in front of an internal endpoint.
options:
  _input:
    description: The result of M(wirefleet.wireguard.fleet).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Tell the user
  ansible.builtin.debug:
    msg: "{{ wireguard_fleet | wirefleet.wireguard.hints }}"
"""

RETURN = r"""
_value:
  description: 'Lines of the form "<host>: <hint>".'
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError


def hints(fleet):
    try:
        return ["%s: %s" % (host, hint) for host, data in sorted(fleet["hosts"].items()) for hint in data["hints"]]
    except (KeyError, TypeError) as exc:
        raise AnsibleFilterError("hints: input is not a fleet computed by wirefleet.wireguard.fleet: %s" % exc) from exc


class FilterModule:
    def filters(self):
        return {"hints": hints}

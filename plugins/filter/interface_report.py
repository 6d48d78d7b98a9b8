# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: interface_report
author: wirefleet contributors (@wirefleet)
version_added: 0.2.0
short_description: What the interface role did on a host, for the run's summary and drift report
description:
  - Combines the interface role's registered loops (configs written, live apply, services started, the check-mode
    unit probe), index by index, into one entry per interface, plus C(removed) for the stale interfaces.
options:
  _input:
    description: The registered result of the wg_config loop.
    type: dict
    required: true
  live:
    description: The registered result of the wg_live loop.
    type: dict
    default: {}
  services:
    description: The registered result of the wg-quick service loop.
    type: dict
    default: {}
  units:
    description: The registered result of the check-mode C(systemctl status) loop.
    type: dict
    default: {}
  stale:
    description: Interfaces removed because the host no longer has them.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Report what the interface role did
  ansible.builtin.set_fact:
    wireguard_interface_report: "{{ configs | wirefleet.wireguard.interface_report(live, services, units, stale) }}"
"""

RETURN = r"""
_value:
  description: "{interface: {network, peers, skipped_peers, config_changed, action, reasons, routes_added,
    routes_removed, would_start}}"
  type: dict
"""

from ansible_collections.wirefleet.wireguard.plugins.plugin_utils.reports import interface_report


class FilterModule:
    def filters(self):
        return {"interface_report": interface_report}

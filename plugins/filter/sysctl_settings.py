# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: sysctl_settings
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: The kernel parameters one host's place in the topology needs
description:
  - Turns the C(system) entry of one host of a M(wirefleet.wireguard.fleet) result into sysctl settings
    (forwarding, proxy_arp, accept_ra on the IPv6 uplink, no ICMP redirects on hubs, src_valid_mark for
    full-tunnel clients). Empty when the host needs none.
options:
  _input:
    description: The host's C(system) entry.
    type: dict
    required: true
  default_interface:
    description: Interface for proxy_arp entries that name none.
    type: str
  ipv6_uplink:
    description: Interface whose router advertisements must stay accepted when IPv6 forwards.
    type: str
  keep_ipv6_router_advertisements:
    description: Set C(accept_ra=2) on O(ipv6_uplink).
    type: bool
    default: true
  extra:
    description: More settings, added only when the host needs some of its own.
    type: dict
"""

EXAMPLES = r"""
- name: Work out the settings
  ansible.builtin.set_fact:
    settings: "{{ wireguard_fleet.hosts[inventory_hostname].system | wirefleet.wireguard.sysctl_settings(default_interface='eth0') }}"
"""

RETURN = r"""
_value:
  description: Map of sysctl key to value.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wirefleet.wireguard.plugins.module_utils.sysctl import settings


def sysctl_settings(system, default_interface=None, ipv6_uplink=None, keep_ipv6_router_advertisements=True, extra=None):
    try:
        return settings(system, default_interface or None, ipv6_uplink or None, keep_ipv6_router_advertisements, extra)
    except (ValueError, AttributeError, TypeError) as exc:
        raise AnsibleFilterError("sysctl_settings: %s" % exc) from exc


class FilterModule:
    def filters(self):
        return {"sysctl_settings": sysctl_settings}

# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: reresolve_interfaces
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: The WireGuard interfaces of a host whose peer endpoints are DNS names to resolve again
description:
  - From the C(interfaces) of a host's M(wirefleet.wireguard.fleet) entry, the names of the interfaces whose
    network has C(reresolve_dns) (the default) and that have at least one peer whose endpoint is a DNS name
    rather than an address. Each gets a C(wirefleet-reresolve@<interface>.timer).
options:
  _input:
    description: The C(interfaces) mapping of a host's fleet entry.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Find the interfaces to re-resolve
  ansible.builtin.set_fact:
    reresolved: "{{ wireguard_fleet.hosts[inventory_hostname].interfaces | wirefleet.wireguard.reresolve_interfaces }}"
"""

RETURN = r"""
_value:
  description: Interface names, sorted.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wirefleet.wireguard.plugins.module_utils.wgquick import reresolved_interfaces


def reresolve_interfaces(interfaces):
    if not isinstance(interfaces, dict):
        raise AnsibleFilterError("reresolve_interfaces: expects the interfaces of a host's fleet entry")
    try:
        return reresolved_interfaces(interfaces)
    except (AttributeError, TypeError) as exc:
        raise AnsibleFilterError("reresolve_interfaces: not the interfaces of a fleet entry: %s" % exc) from exc


class FilterModule:
    def filters(self):
        return {"reresolve_interfaces": reresolve_interfaces}

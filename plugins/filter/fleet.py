# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: fleet
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: Validate the WireGuard topology and compute every host's configuration
description:
  - Reads C(wireguard_networks), the role groups (C(wireguard_hubs), C(wireguard_gateways),
    C(wireguard_clients), C(wireguard_mesh)) and each host's C(wireguard_*) variables, validates
    the whole topology and returns every host's interfaces, peers, routes and system needs.
  - Call it once per run (on the controller) and hand each host its part; it costs time linear
    in the number of peer entries, not per host.
  - Every problem is reported at once, each naming the host (or network) and the variable.
options:
  _input:
    description: The C(wireguard_networks) mapping.
    type: dict
    required: true
  hostvars:
    description: The C(hostvars) magic variable.
    type: raw
    required: true
  groups:
    description: The C(groups) magic variable.
    type: dict
    required: true
  store:
    description: What the M(wirefleet.wireguard.store) lookup returned (public keys and leases).
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Compute the fleet once, on the controller
  ansible.builtin.set_fact:
    wireguard_fleet: "{{ wireguard_networks | wirefleet.wireguard.fleet(hostvars, groups, store) }}"
  vars:
    store: "{{ lookup('wirefleet.wireguard.store', wireguard_store_dir) }}"
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
_value:
  description: The computed fleet.
  type: dict
  contains:
    hosts:
      description: "{host: {managed, interfaces: {name: {network, role, addresses, listen_port, mtu, dns, peers, routes}},
        system: {forward_ipv4, forward_ipv6, src_valid_mark, proxy_arp, nat, forwarding, protect_ipv6, listen}, hints}}"
      type: dict
    absent:
      description: Hosts marked C(wireguard_state=absent), whose interfaces are to be removed.
      type: list
    leases:
      description: Tunnel addresses to record in the store, so no host is ever renumbered.
      type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wirefleet.wireguard.plugins.module_utils.errors import TopologyErrors
from ansible_collections.wirefleet.wireguard.plugins.module_utils.inputs import HAS_NETADDR, HOST_VARIABLES, ROLE_GROUPS
from ansible_collections.wirefleet.wireguard.plugins.module_utils.topology import build_fleet


def inventory_model(networks, hostvars, groups):
    """Copy out of the inventory just what the engine reads: O(hosts x model variables)."""
    relevant = set(ROLE_GROUPS)
    relevant.update(spec.get("group") for spec in (networks or {}).values() if isinstance(spec, dict) and spec.get("group"))
    host_groups = {}
    for group in relevant:
        for name in groups.get(group, ()):
            host_groups.setdefault(name, []).append(group)
    hosts = {}
    for name in groups.get("all", ()):
        variables = hostvars[name]
        if name not in host_groups and "wireguard_roles" not in variables:
            continue
        hosts[name] = {
            "groups": host_groups.get(name, []),
            "vars": {key: variables[key] for key in HOST_VARIABLES if key in variables},
        }
    return hosts


def fleet(networks, hostvars, groups, store=None):
    if not HAS_NETADDR:
        raise AnsibleFilterError("fleet: the Python library netaddr is required on the controller (pip install netaddr)")
    store = store or {}
    try:
        return build_fleet(networks, inventory_model(networks, hostvars, groups),
                           store.get("public_keys"), store.get("leases"))
    except TopologyErrors as exc:
        raise AnsibleFilterError("fleet: %s" % exc) from exc


class FilterModule:
    def filters(self):
        return {"fleet": fleet}

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
  - C(wireguard_networks) is read from the member hosts (all must see the same value), so plan mode on
    localhost and a converge of the fleet compute from the same networks; O(_input) is used when no member
    host sees one.
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
    warnings:
      description: Things that are valid but probably not meant (a network without members, a host that sets
        wirefleet variables but joins nothing), each naming the host or network.
      type: list
      elements: str
    provisional:
      description: "{host: [network]}: addresses handed out by this computation, without a lease from an earlier
        run or an address in the inventory; a converge records them as leases."
      type: dict
"""

from ansible.errors import AnsibleError, AnsibleFilterError

from ansible_collections.wirefleet.wireguard.plugins.module_utils.errors import (
    TopologyError,
    TopologyErrors,
    host as host_where,
)
from ansible_collections.wirefleet.wireguard.plugins.module_utils.inputs import HAS_NETADDR, HOST_VARIABLES, ROLE_GROUPS
from ansible_collections.wirefleet.wireguard.plugins.module_utils.topology import build_fleet
from ansible_collections.wirefleet.wireguard.plugins.module_utils.vocabulary import is_wirefleet_name, sets_host_variables

# Groups Ansible makes itself: never a role and never a misspelt one.
_IMPLICIT_GROUPS = ("all", "ungrouped")


def _plain(value):
    """A deep copy in plain dicts and lists, so every template inside is rendered here, where errors name the variable."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _wirefleet_variables(name, variables, problems):
    """Every wireguard_* variable of one host, rendered; an undefined or broken template is a problem naming both.

    Names that only look like ours (wireguad_port: a typo of the prefix) come along unrendered, so the
    vocabulary check can name them.
    """
    found = {}
    for key in variables:
        if not isinstance(key, str) or key.startswith("__"):
            continue
        if key not in _MODEL_VARIABLES:
            # Only the name matters (the vocabulary check); rendering e.g. the wireguard_fleet fact on every
            # host would copy the whole fleet once per host.
            if is_wirefleet_name(key):
                found[key] = None
            continue
        try:
            found[key] = _plain(variables[key])
        except AnsibleError as exc:
            problems.append(TopologyError(host_where(name), key, "cannot be rendered: %s" % str(exc).splitlines()[0]))
    return found


_MODEL_VARIABLES = frozenset(HOST_VARIABLES + ("wireguard_networks",))


def _groups_by_host(groups):
    by_host = {}
    for group, members in groups.items():
        if group in _IMPLICIT_GROUPS:
            continue
        for name in members or ():
            by_host.setdefault(name, []).append(group)
    return by_host


def inventory_model(networks, hostvars, groups):
    """Copy out of the inventory what the engine reads: every host's groups and wireguard_* variables.

    Returns (networks, hosts). wireguard_networks is read from the member hosts themselves, so a play on
    localhost (render.yml) and a play on the fleet (site.yml) compute from the same value.
    """
    problems = []
    host_groups = _groups_by_host(groups)
    hosts = {}
    for name in groups.get("all", ()):
        variables = _wirefleet_variables(name, hostvars[name], problems)
        in_role = any(group in ROLE_GROUPS for group in host_groups.get(name, ()))
        if not in_role and "wireguard_roles" not in variables and not sets_host_variables(variables):
            continue
        hosts[name] = {"groups": sorted(host_groups.get(name, [])), "vars": variables}
    if problems:
        raise TopologyErrors(problems)
    return _shared_networks(networks, hosts), hosts


def _shared_networks(networks, hosts):
    """The one wireguard_networks every member sees; members that see another value (or none) are errors."""
    members = {name: info["vars"].get("wireguard_networks") for name, info in sorted(hosts.items())
               if any(group in ROLE_GROUPS for group in info["groups"]) or "wireguard_roles" in info["vars"]}
    seen = [(name, value) for name, value in members.items() if value is not None]
    if not seen:
        return networks
    first_host, value = seen[0]
    problems = []
    for name, other in members.items():
        if other is None:
            problems.append(TopologyError(host_where(name), "wireguard_networks",
                                          "is not defined for this host but is for '%s': define it once for all hosts "
                                          "(group_vars/all), so every host and the controller see the same networks"
                                          % first_host))
        elif other != value:
            problems.append(TopologyError(host_where(name), "wireguard_networks",
                                          "differs from the value host '%s' sees: define it once for all hosts "
                                          "(group_vars/all)" % first_host))
    if problems:
        raise TopologyErrors(problems)
    return value


def fleet(networks, hostvars, groups, store=None):
    if not HAS_NETADDR:
        raise AnsibleFilterError("fleet: the Python library netaddr is required on the controller (pip install netaddr)")
    store = store or {}
    try:
        shared, hosts = inventory_model(networks, hostvars, groups)
        return build_fleet(shared, hosts, store.get("public_keys"), store.get("leases"))
    except TopologyErrors as exc:
        raise AnsibleFilterError("fleet: %s" % exc) from exc


class FilterModule:
    def filters(self):
        return {"fleet": fleet}

# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tunnel address allocation that never renumbers a host.

Order of precedence for a member without an explicit address:
1. its lease from an earlier run (the controller store keeps them), if still inside the pool and free;
2. hubs: the lowest free address of the pool (so a lone hub is .1, as people expect);
3. everyone else: a slot derived from a hash of the host name, probing upwards when taken.
Leases make the result independent of inventory order and of which hosts come and go;
the hash keeps most addresses stable even when the store was lost.
IPv6 follows IPv4 where the network has both: the host part of the IPv4 address, placed in
the IPv6 prefix (10.8.0.7 -> fd00:8::7), so the two stay easy to correlate; should an explicit
IPv6 address sit there already, the next /96 above is used (fd00:8::1:0:7).
"""

from __future__ import annotations

import hashlib

try:
    from netaddr import IPAddress
except ImportError:  # the filters report it: see HAS_NETADDR in inputs.py
    IPAddress = None

from ansible_collections.wirefleet.wireguard.plugins.module_utils.errors import host as host_where


def _slot(name, size):
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % size


def _lease(leases, member, family):
    entry = (leases.get(member.network.name) or {}).get(member.host)
    value = entry.get(family) if isinstance(entry, dict) else None
    try:
        return int(IPAddress(value)) if value else None
    except (ValueError, TypeError):
        return None


def _allocate_family(collector, members, leases, family, pool, explicit_attr, version):
    """Assign int addresses for one family; returns {host: int}."""
    first, last = pool
    variable = "wireguard_" + explicit_attr
    taken = {}
    result = {}
    for member in members:
        addr = getattr(member, explicit_attr)
        if addr is None:
            continue
        value = int(addr)
        if value in taken:
            collector.add(host_where(member.host), variable, "%s is already the address of host '%s' in network '%s'"
                          % (addr, taken[value], member.network.name))
            continue
        taken[value] = member.host
        result[member.host] = value
    waiting = []
    for member in members:
        if getattr(member, explicit_attr) is not None:
            continue
        leased = _lease(leases, member, family)
        if leased is not None and leased in taken:
            # A new explicit address must not silently renumber a host that already has it.
            collector.add(host_where(taken[leased]), variable,
                          "%s is leased to host '%s' in network '%s' since an earlier run; choose another address"
                          % (IPAddress(leased, version), member.host, member.network.name))
            continue
        if leased is not None and first <= leased <= last:
            taken[leased] = member.host
            result[member.host] = leased
        else:
            waiting.append(member)
    size = last - first + 1
    free = size - sum(1 for value in taken if first <= value <= last)
    cursor = first
    for member in sorted(waiting, key=lambda m: (m.role != "hub", m.host)):
        if free <= 0:
            collector.add(host_where(member.host), variable,
                          "no free IPv%d address left in the pool of network '%s'" % (version, member.network.name))
            continue
        if member.role == "hub":
            while cursor in taken:
                cursor += 1
            candidate = cursor
        else:
            candidate = first + _slot(member.host, size)
            while candidate in taken:
                candidate = first if candidate >= last else candidate + 1
        taken[candidate] = member.host
        result[member.host] = candidate
        free -= 1
    return result


def _derive_ipv6(collector, network, members):
    """Dual stack: IPv6 host part = IPv4 host part, stepping past explicit IPv6 addresses."""
    owners = {}
    for member in members:
        if member.address6 is None:
            continue
        other = owners.setdefault(int(member.address6), member.host)
        if other != member.host:
            collector.add(host_where(member.host), "wireguard_address6", "%s is already the address of host '%s' in network '%s'"
                          % (member.address6, other, network.name))
    taken = set(owners)
    base = int(network.ipv6.first)
    for member in sorted(members, key=lambda m: m.host):
        if member.address6 is not None or member.address is None:
            continue
        candidate = base + int(member.address) - int(network.ipv4.first)
        while candidate in taken and candidate < int(network.ipv6.last):
            candidate += 2 ** 32
        taken.add(candidate)
        member.address6 = IPAddress(candidate, 6)


def allocate(collector, network, members, leases):
    """Fill member.address / member.address6 for every member of one network.

    Returns the hosts whose address is provisional: handed out now, with neither a lease from an earlier run
    nor an address in the inventory. Recording the leases (a real converge) makes them fixed.
    """
    provisional = set()
    if network.ipv4 is not None and network.pool is not None:
        explicit = {m.host for m in members if m.address is not None}
        assigned = _allocate_family(collector, members, leases, "ipv4", network.pool, "address", 4)
        for member in members:
            if member.host in assigned:
                member.address = IPAddress(assigned[member.host], 4)
                if member.host not in explicit and _lease(leases, member, "ipv4") != assigned[member.host]:
                    provisional.add(member.host)
    if network.ipv6 is None:
        return sorted(provisional)
    if network.ipv4 is not None:
        _derive_ipv6(collector, network, members)
        return sorted(provisional)
    explicit = {m.host for m in members if m.address6 is not None}
    pool = (int(network.ipv6.first) + 1, min(int(network.ipv6.last), int(network.ipv6.first) + 2 ** 32))
    assigned = _allocate_family(collector, members, leases, "ipv6", pool, "address6", 6)
    for member in members:
        if member.host in assigned:
            member.address6 = IPAddress(assigned[member.host], 6)
            if member.host not in explicit and _lease(leases, member, "ipv6") != assigned[member.host]:
                provisional.add(member.host)
    return sorted(provisional)

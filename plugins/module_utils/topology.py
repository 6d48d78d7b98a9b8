# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The topology engine: inventory model in, every host's WireGuard configuration out.

Pure Python + netaddr. The whole fleet is validated and computed in one call; callers
(filter plugins, benchmarks, tests) never compute per host. Cost is linear in the total
number of peer entries.

Roles of a host in a network:
- hub: reachable (has an endpoint), serves spokes and routes between them;
- mesh: reachable backbone member that peers every other backbone member;
- gateway: has LANs behind it; a spoke of a hub when the network has hubs, else backbone;
- client: a spoke of a hub (laptops, phones, road warriors).
"""

from __future__ import annotations

import re


try:
    from netaddr import IPAddress, IPNetwork
except ImportError:  # the filters report it: see HAS_NETADDR in inputs.py
    IPAddress = IPNetwork = None

from ansible_collections.wirefleet.wireguard.plugins.module_utils import addressing
from ansible_collections.wirefleet.wireguard.plugins.module_utils.errors import (
    TopologyError,
    TopologyErrors,
    host as host_where,
    network as network_where,
)
from ansible_collections.wirefleet.wireguard.plugins.module_utils.vocabulary import (
    check_host_variables,
    check_role_groups,
    sets_host_variables,
)
from ansible_collections.wirefleet.wireguard.plugins.module_utils.inputs import (
    HOST_VARIABLES,
    ROLE_GROUPS,
    Collector,
    describe,
    memberships,
    per_network_overrides,
    read_member,
    read_networks,
)

DEFAULT_ROUTES = ("0.0.0.0/0", "::/0")


class _Route:
    """A CIDR with precomputed integer bounds, so overlap checks are plain comparisons."""

    __slots__ = ("text", "version", "first", "last")

    def __init__(self, net):
        self.text = str(net)
        self.version = net.version
        self.first = net.first
        self.last = net.last


def _routes(nets):
    return [_Route(net) for net in nets]


def _overlaps(routes):
    """Pairs of overlapping routes, by sorting on (version, first): O(n log n)."""
    ordered = sorted(routes, key=lambda r: (r[0].version, r[0].first, -r[0].last))
    found = []
    reach = None
    for route, owner in ordered:
        if reach is not None and reach[0].version == route.version and route.first <= reach[0].last:
            found.append((reach, (route, owner)))
            continue
        if reach is None or reach[0].version != route.version or route.last > reach[0].last:
            reach = (route, owner)
    return found


class _NetworkPlan:
    """Members of one network with who attaches to whom."""

    def __init__(self, network, members):
        self.network = network
        self.members = members
        self.by_host = {m.host: m for m in members}
        self.hubs = [m for m in members if m.role == "hub"]
        if self.hubs:
            self.backbone = [m for m in members if m.role in ("hub", "mesh")]
            self.spokes = [m for m in members if m.role in ("client", "gateway")]
        else:
            self.backbone = [m for m in members if m.role in ("mesh", "gateway")]
            self.spokes = [m for m in members if m.role == "client"]
        self.hub_of = {}
        self.spokes_of = {m.host: [] for m in self.hubs}


def build_fleet(raw_networks, hosts, public_keys=None, leases=None):
    """Validate the inventory model and compute every host's WireGuard configuration.

    raw_networks: the wireguard_networks mapping.
    hosts: {hostname: {"groups": [group, ...], "vars": {wireguard_* variables}}}.
    public_keys: {hostname: {network: public key}} from the controller-side store.
    leases: {network: {hostname: {"ipv4": addr, "ipv6": addr}}} from earlier runs.
    Raises TopologyErrors listing every problem; returns a plain dict (see docs/engine.md).
    """
    collector = Collector()
    public_keys = _checked_public_keys(collector, public_keys)
    leases = _checked_leases(collector, leases)
    networks = read_networks(collector, raw_networks)
    by_network = {name: [] for name in networks}
    by_host = {}
    absent = []
    warnings = []
    if not isinstance(hosts, dict):
        collector.add("the inventory", "hosts", "must map host name to its groups and variables, not %s" % describe(hosts))
        hosts = {}
    for hostname in sorted(hosts, key=str):
        info = hosts[hostname] if isinstance(hosts[hostname], dict) else {}
        hostvars = info.get("vars") if isinstance(info.get("vars"), dict) else {}
        raw_groups = info.get("groups")
        groups = [group for group in raw_groups if isinstance(group, str)] if isinstance(raw_groups, (list, tuple)) else []
        joined = memberships(collector, hostname, groups, hostvars, networks)
        check_host_variables(collector, hostname, hostvars, networks)
        has_role = "wireguard_roles" in hostvars or any(group in ROLE_GROUPS for group in groups)
        check_role_groups(collector, hostname, groups, sets_host_variables(hostvars), has_role)
        state = hostvars.get("wireguard_state", "present")
        if not isinstance(state, str) or state not in ("present", "absent"):
            collector.add(host_where(hostname), "wireguard_state", "%s is not present or absent" % describe(state))
            continue
        if not joined:
            warnings.extend(_joins_nothing(hostname, groups, hostvars, networks))
            continue
        if collector.name(host_where(hostname), "inventory_hostname", hostname, "host") is None:
            continue
        if state == "absent":
            absent.append(hostname)
            continue
        overrides = per_network_overrides(collector, hostname, hostvars, networks)
        for net_name, role in joined:
            member = read_member(collector, hostname, hostvars, networks[net_name], role, overrides.get(net_name))
            by_network[net_name].append(member)
            by_host.setdefault(hostname, []).append(member)
    _raise_if(collector)
    warnings.extend("network '%s' has no members: no host is in a role group%s" % (
        name, " and in its group '%s'" % networks[name].group if networks[name].group else "")
        for name, members in sorted(by_network.items()) if not members)

    provisional = {}
    for name, members in by_network.items():
        for hostname in addressing.allocate(collector, networks[name], members, leases):
            provisional.setdefault(hostname, []).append(name)
    _check_addresses(collector, by_network)
    _check_networks_disjoint(collector, networks)
    _check_hosts(collector, by_host)
    _check_lans_against_networks(collector, by_host, networks)
    plans = {name: _NetworkPlan(networks[name], members) for name, members in by_network.items()}
    for plan in plans.values():
        _check_roles(collector, plan)
        _check_lans(collector, plan)
    _raise_if(collector)

    keys = {}
    for hostname, members in by_host.items():
        for member in members:
            key = member.public_key
            if key is None:
                stored = (public_keys.get(hostname) or {}).get(member.network.name)
                if stored:
                    key = collector.key(host_where(hostname), "public key in the controller store (public/%s/%s.pub)"
                                        % (hostname, member.network.name), stored)
            keys[(hostname, member.network.name)] = key
    result_hosts = {}
    for plan in plans.values():
        _attach_spokes(collector, plan)
    _raise_if(collector)
    carried_by_host = {hostname: [] for hostname, members in by_host.items() if len(members) > 1}
    for plan in plans.values():
        _build_network(collector, plan, keys, result_hosts, carried_by_host)
    _check_routes_across_interfaces(collector, carried_by_host)
    _raise_if(collector)
    new_leases = {
        name: {m.host: _lease_entry(m) for m in members}
        for name, members in by_network.items() if members
    }
    return {"hosts": result_hosts, "absent": absent, "leases": new_leases, "warnings": _folded_warnings(warnings),
            "provisional": {host: sorted(names) for host, names in sorted(provisional.items())}}


STORE = "the controller store"


def _checked_public_keys(collector, public_keys):
    """{host: {network: key}} from the store; a hand-edited entry of the wrong shape is an error, not a crash."""
    if public_keys is None:
        return {}
    if not isinstance(public_keys, dict):
        collector.add(STORE, "public keys", "must map host to {network: key}, not %s" % describe(public_keys))
        return {}
    checked = {}
    for hostname, per_network in public_keys.items():
        if not isinstance(per_network, dict) or not all(isinstance(k, str) for k in per_network.values()):
            collector.add(STORE, "public/%s" % hostname, "must hold one <network>.pub file per network, found %s"
                          % describe(per_network))
            continue
        checked[hostname] = per_network
    return checked


def _checked_leases(collector, leases):
    """{network: {host: {ipv4: addr, ipv6: addr}}} from leases.json, checked for shape."""
    if leases is None:
        return {}
    variable = "leases.json"
    if not isinstance(leases, dict):
        collector.add(STORE, variable, "must map network to {host: {ipv4, ipv6}}, not %s" % describe(leases))
        return {}
    for net_name, by_host in leases.items():
        if not isinstance(by_host, dict):
            collector.add(STORE, "%s: network %r" % (variable, net_name), "must map host to {ipv4, ipv6}, not %s"
                          % describe(by_host))
            continue
        for hostname, entry in by_host.items():
            where = "%s: network %r, host %r" % (variable, net_name, hostname)
            if not isinstance(entry, dict) or set(entry) - {"ipv4", "ipv6"}:
                collector.add(STORE, where, "must be {ipv4: address, ipv6: address}, not %s" % describe(entry))
                continue
            for family, version in (("ipv4", 4), ("ipv6", 6)):
                if family in entry:
                    collector.address(STORE, "%s %s" % (where, family), entry[family], version)
    return leases


def _joins_nothing(hostname, groups, hostvars, networks):
    """Warnings for a host that looks meant to join but joins no network."""
    sets_model = sorted(name for name in hostvars if name in HOST_VARIABLES)
    roles = sorted(group for group in groups if group in ROLE_GROUPS)
    if roles:
        outside = ["network '%s' takes only members of group '%s'" % (name, net.group)
                   for name, net in sorted(networks.items()) if net.group is not None and net.group not in groups]
        if outside:
            return ["host '%s' is in %s but joins no network: %s" % (hostname, ", ".join(roles), "; ".join(outside))]
        return []
    if sets_model:
        return ["host '%s' sets wirefleet variables (%s) but joins no network: add it to a role group (%s) or set "
                "wireguard_roles" % (hostname, ", ".join(sets_model), ", ".join(sorted(ROLE_GROUPS)))]
    return []


def _raise_if(collector):
    if collector.errors:
        raise TopologyErrors(_folded(collector.errors))


def _folded_warnings(warnings):
    """One line for the same warning on many hosts (a model variable in group_vars/all on non-members)."""
    by_rest = {}
    for text in warnings:
        match = _HOST_WARNING.fullmatch(text)
        key = match.group(2) if match else text
        by_rest.setdefault(key, []).append(match.group(1) if match else None)
    folded = []
    for rest, hosts in by_rest.items():
        if len(hosts) < 3 or None in hosts:
            folded.extend("host '%s' %s" % (host, rest) if host else rest for host in hosts)
            continue
        named = ", ".join("'%s'" % host for host in hosts[:3])
        more = " and %d more" % (len(hosts) - 3) if len(hosts) > 3 else ""
        verb, _sep, tail = rest.partition(" ")
        folded.append("hosts %s%s %s %s" % (named, more, _PLURAL.get(verb, verb), tail))
    return folded


_PLURAL = {"sets": "set", "is": "are"}
_HOST_WARNING = re.compile(r"host '([^']*)' (.*)", re.DOTALL)


def _folded(errors):
    """One error for the same problem on many hosts (a typo in group_vars/all), naming a few of them."""
    by_problem = {}
    for error in errors:
        by_problem.setdefault((error.variable, error.message), []).append(error)
    folded = []
    for (variable, message), same in by_problem.items():
        hosts = [e.where for e in same if e.where.startswith("host '")]
        if len(hosts) < 3:
            folded.extend(same)
            continue
        names = ", ".join(where[len("host "):] for where in hosts[:3])
        where = "hosts %s%s" % (names, " and %d more" % (len(hosts) - 3) if len(hosts) > 3 else "")
        folded.append(TopologyError(where, variable, message))
        folded.extend(e for e in same if not e.where.startswith("host '"))
    return folded


def _lease_entry(member):
    entry = {}
    if member.address is not None:
        entry["ipv4"] = str(member.address)
    if member.address6 is not None:
        entry["ipv6"] = str(member.address6)
    return entry


def _check_addresses(collector, by_network):
    for members in by_network.values():
        for member in members:
            net = member.network
            if member.address is not None and net.ipv4 is not None and member.address not in net.ipv4:
                collector.add(host_where(member.host), "wireguard_address",
                              "%s is outside network '%s' (%s)" % (member.address, net.name, net.ipv4))
            elif (member.address is not None and net.ipv4 is not None and net.ipv4.prefixlen < 31
                  and member.address in (net.ipv4.network, net.ipv4.broadcast)):
                collector.add(host_where(member.host), "wireguard_address",
                              "%s is the network or broadcast address of %s" % (member.address, net.ipv4))
            if member.address is not None and net.ipv4 is None:
                collector.add(host_where(member.host), "wireguard_address",
                              "network '%s' has no IPv4 (set wireguard_networks.%s.ipv4)" % (net.name, net.name))
            if member.address6 is not None and member.address6 not in net.ipv6:
                collector.add(host_where(member.host), "wireguard_address6",
                              "%s is outside network '%s' (%s)" % (member.address6, net.name, net.ipv6))


def _check_networks_disjoint(collector, networks):
    routes = [(route, name) for name, net in networks.items() for route in _routes(net.cidrs)]
    for (first, first_net), (second, second_net) in _overlaps(routes):
        if first_net != second_net:
            collector.add(network_where(second_net), "wireguard_networks.%s" % second_net,
                          "%s overlaps %s of network '%s'" % (second.text, first.text, first_net))


def _check_hosts(collector, by_host):
    """Several interfaces on one host: distinct names, distinct listen ports, one full tunnel."""
    for hostname, members in by_host.items():
        seen_iface, seen_port = {}, {}
        for member in members:
            other = seen_iface.setdefault(member.interface, member.network.name)
            if other != member.network.name:
                collector.add(host_where(hostname), "wireguard_interface",
                              "networks '%s' and '%s' both use interface %s" % (other, member.network.name, member.interface))
            if member.port is not None:
                other = seen_port.setdefault(member.port, member.network.name)
                if other != member.network.name:
                    collector.add(host_where(hostname), "wireguard_port",
                                  "networks '%s' and '%s' both listen on port %d" % (other, member.network.name, member.port))
        if sum(1 for m in members if m.full_tunnel) > 1:
            collector.add(host_where(hostname), "wireguard_full_tunnel", "only one network of a host can carry the default route")


def _check_roles(collector, plan):
    net = plan.network
    for member in plan.members:
        where = host_where(member.host)
        if member.role == "gateway" and not member.lans and net.type != "proxy_arp":
            collector.add(where, "wireguard_lans", "a gateway needs the LANs behind it (wireguard_lans)")
        if member.role == "client" and member.lans:
            collector.add(where, "wireguard_lans", "a client has no LANs behind it; put the host in wireguard_gateways")
        if member.nat and net.type == "site_to_site":
            collector.add(where, "wireguard_nat", "site-to-site traffic is routed, never NATed")
        if member.full_tunnel and member not in plan.spokes:
            collector.add(where, "wireguard_full_tunnel", "only clients and gateways behind a hub send all their traffic to it")
        for name in sorted(member.peers or ()):
            if name not in plan.by_host:
                collector.add(where, "wireguard_peers", "unknown host %r (not a member of network '%s')" % (name, net.name))
    if net.type == "site_to_site":
        gateways = [m for m in plan.members if m.role == "gateway"]
        if len(plan.members) != 2 or len(gateways) != 2:
            collector.add(network_where(net.name), "wireguard_networks.%s.type" % net.name,
                          "a site_to_site network joins exactly two gateways, found: %s"
                          % (", ".join("%s (%s)" % (m.host, m.role) for m in plan.members) or "none"))
    if net.type == "proxy_arp" and len(plan.hubs) != 1:
        collector.add(network_where(net.name), "wireguard_networks.%s.type" % net.name,
                      "a proxy_arp network has exactly one hub: the LAN host that answers ARP for the clients")


def _check_lans_against_networks(collector, by_host, networks):
    """A LAN must be a LAN: not everything (that is a full tunnel) and not another network's VPN."""
    routes = [(route, name) for name, net in networks.items() for route in _routes(net.cidrs)]
    for hostname, members in by_host.items():
        for member in members:
            for lan in member.lans:
                if lan.prefixlen == 0:
                    collector.add(host_where(hostname), "wireguard_lans",
                                  "LAN %s is everything: that is a full tunnel, not a LAN. Make this host an exit "
                                  "gateway (wireguard_nat: true on a hub) and set wireguard_full_tunnel on the spokes "
                                  "that send all their traffic to it" % lan)
                    continue
                lan_route = _Route(lan)
                for (route, net_name) in routes:
                    if net_name != member.network.name and route.version == lan_route.version and (
                            route.first <= lan_route.last and lan_route.first <= route.last):
                        collector.add(host_where(hostname), "wireguard_lans",
                                      "LAN %s (network '%s') overlaps the VPN %s of network '%s'"
                                      % (lan, member.network.name, route.text, net_name))


def _check_routes_across_interfaces(collector, carried_by_host):
    """One destination, one interface: two networks must not route the same prefix into one host.

    Default routes are left out: a full tunnel beside split tunnels is what wg-quick's policy routing is for.
    """
    for hostname, carried in sorted(carried_by_host.items()):
        if len({interface for _route, (interface, _peer) in carried}) < 2:
            continue
        flat = [(route, owner) for route, owner in carried if not _is_default(route)]
        reported = set()
        for (first, (first_iface, first_peer)), (second, (second_iface, second_peer)) in _overlaps(flat):
            # The host's own LANs may be offered in several networks; only routes into it must not clash.
            if first_iface == second_iface or (first_peer is None and second_peer is None):
                continue
            if (first.text, second.text) in reported:
                continue
            reported.add((first.text, second.text))
            collector.add(host_where(hostname), "wireguard_lans",
                          "%s via %s on %s and %s via %s on %s overlap: two networks would route the same addresses "
                          "into this host" % (first.text, _via(first_peer), first_iface,
                                              second.text, _via(second_peer), second_iface))


def _via(peer):
    return "its own LAN" if peer is None else "peer '%s'" % peer


def _is_default(route):
    return route.text in DEFAULT_ROUTES


def _check_lans(collector, plan):
    net = plan.network
    routes = [(route, ("network", net.name)) for route in _routes(net.cidrs)]
    for member in plan.members:
        routes.extend((route, ("host", member.host)) for route in _routes(member.lans))
    for (first, first_owner), (second, second_owner) in _overlaps(routes):
        if second_owner[0] == "network":
            first_owner, second_owner, first, second = second_owner, first_owner, second, first
        if first_owner[0] == "network":
            collector.add(host_where(second_owner[1]), "wireguard_lans",
                          "LAN %s overlaps the VPN %s of network '%s'" % (second.text, first.text, net.name))
        else:
            collector.add(host_where(second_owner[1]), "wireguard_lans",
                          "LAN %s overlaps LAN %s of host '%s' in network '%s'"
                          % (second.text, first.text, first_owner[1], net.name))


def _attach_spokes(collector, plan):
    net = plan.network
    hub_names = sorted(m.host for m in plan.hubs)
    for spoke in plan.spokes:
        where = host_where(spoke.host)
        if spoke.hub is not None:
            hub = plan.by_host.get(spoke.hub)
            if hub is not None and hub.role != "hub":
                collector.add(where, "wireguard_hub", "'%s' is a %s of network '%s', not a hub (hubs: %s)"
                              % (spoke.hub, hub.role, net.name, ", ".join(hub_names) or "none"))
                continue
            if hub is None:
                collector.add(where, "wireguard_hub", "unknown hub %r in network '%s' (hubs: %s)"
                              % (spoke.hub, net.name, ", ".join(hub_names) or "none"))
                continue
        elif len(plan.hubs) == 1:
            hub = plan.hubs[0]
        elif not plan.hubs:
            collector.add(where, "wireguard_hub", "network '%s' has no hub for this %s; add one to wireguard_hubs"
                          % (net.name, spoke.role))
            continue
        else:
            collector.add(where, "wireguard_hub", "network '%s' has several hubs (%s); choose one"
                          % (net.name, ", ".join(hub_names)))
            continue
        if spoke.full_tunnel and not hub.nat:
            collector.add(where, "wireguard_full_tunnel",
                          "full tunnel needs an exit gateway, but hub '%s' of network '%s' does not set wireguard_nat"
                          % (hub.host, net.name))
        plan.hub_of[spoke.host] = hub
        plan.spokes_of[hub.host].append(spoke)


def _own_routes(member):
    nets = []
    if member.address is not None:
        nets.append(IPNetwork("%s/32" % member.address))
    if member.address6 is not None:
        nets.append(IPNetwork("%s/128" % member.address6))
    return _routes(nets + member.lans)


def _endpoint(collector, member):
    if not member.has_endpoint:
        return None
    port = member.endpoint_port or member.port
    if port is None:
        collector.add(host_where(member.host), "wireguard_endpoint",
                      "endpoint %s has no port: add :PORT, wireguard_port or the network's port" % member.endpoint_host)
        return None
    host = "[%s]" % member.endpoint_host if ":" in member.endpoint_host else member.endpoint_host
    return "%s:%d" % (host, port)


def _linked(first, second):
    return ((first.peers is None or second.host in first.peers)
            and (second.peers is None or first.host in second.peers))


def _missing_endpoint(collector, net, self, other):
    """Neither end of a pair has an endpoint: blame the end that is meant to be reachable."""
    backbone = [m for m in (self, other) if m.role in ("hub", "mesh")]
    if len(backbone) == 1:
        reachable, peer = backbone[0], (other if backbone[0] is self else self)
        if any(error.where == host_where(reachable.host) and error.variable == "wireguard_endpoint"
               and "of network '%s' has no endpoint" % net.name in error.message for error in collector.errors):
            return  # once per hub, not once per spoke
        collector.add(host_where(reachable.host), "wireguard_endpoint",
                      "%s '%s' of network '%s' has no endpoint, so its peer '%s' cannot reach it; set "
                      "wireguard_endpoint" % (reachable.role, reachable.host, net.name, peer.host))
        return
    first, second = sorted((self, other), key=lambda m: m.host)
    collector.add(host_where(first.host), "wireguard_endpoint",
                  "neither '%s' nor its peer '%s' in network '%s' has an endpoint, so no side can start the tunnel; "
                  "set wireguard_endpoint on one of them" % (first.host, second.host, net.name))


def _build_network(collector, plan, keys, result_hosts, carried_by_host):
    """Peers of every member. Routes are _Route objects throughout: texts are made once per CIDR."""
    net = plan.network
    endpoints = {m.host: _endpoint(collector, m) for m in plan.members}
    own = {m.host: _own_routes(m) for m in plan.members}
    behind = {}
    for member in plan.members:
        routes = list(own[member.host])
        for spoke in plan.spokes_of.get(member.host, ()):
            routes.extend(own[spoke.host])
        behind[member.host] = routes
    network_routes = _routes(net.cidrs)
    default_routes = _routes([IPNetwork(DEFAULT_ROUTES[0])] + ([IPNetwork(DEFAULT_ROUTES[1])] if net.ipv6 else []))
    lan_routes = {m.host: _routes(m.lans) for m in plan.members}
    lan_owners = [(m.host, route) for m in plan.members for route in lan_routes[m.host]]

    def peer(self, other, routes):
        if not self.has_endpoint and not other.has_endpoint and self.host < other.host:
            _missing_endpoint(collector, net, self, other)
        keepalive = None
        if self.keepalive is not None:
            keepalive = self.keepalive or None
        elif not self.has_endpoint and other.has_endpoint:
            keepalive = net.keepalive or None
        return {
            "name": other.host,
            "role": other.role,
            "public_key": keys.get((other.host, net.name)),
            "endpoint": endpoints[other.host],
            "allowed_ips": [route.text for route in routes],
            "keepalive": keepalive,
            "preshared_key_id": ("%s/%s" % (net.name, "--".join(sorted((self.host, other.host))))
                                 if net.preshared_keys else None),
        }

    for member in plan.members:
        peers = []
        carried = []  # (peer name, routes) for the overlap check and the route list
        if member.host in plan.hub_of:
            hub = plan.hub_of[member.host]
            if member.full_tunnel:
                routes = default_routes
            else:
                routes = network_routes + [route for owner, route in lan_owners if owner != member.host]
            carried.append((hub.host, routes))
        else:
            for other in plan.backbone:
                if other is not member and _linked(member, other):
                    routes = lan_routes[other.host] + network_routes if net.type == "site_to_site" else behind[other.host]
                    carried.append((other.host, routes))
            carried.extend((spoke.host, own[spoke.host]) for spoke in plan.spokes_of.get(member.host, ()))
        for name, routes in carried:
            peers.append(peer(member, plan.by_host[name], routes))
        flat = [(route, name) for name, routes in carried for route in routes]
        if member.host in carried_by_host:  # only hosts with several interfaces: the rest need no cross-check
            host_routes = carried_by_host[member.host]
            host_routes.extend((route, (member.interface, name)) for route, name in flat)
            host_routes.extend((route, (member.interface, None)) for route in lan_routes[member.host])
        for (first, first_peer), (second, second_peer) in _overlaps(flat):
            if first_peer != second_peer:
                collector.add(host_where(member.host), "wireguard_lans",
                              "peers '%s' and '%s' on %s would both carry %s / %s"
                              % (first_peer, second_peer, member.interface, first.text, second.text))
        _emit(member, plan, peers, flat, keys, result_hosts)


def _interface_prefixes(member):
    """The prefixes wg-quick puts on the interface: (address text, connected _Route)."""
    net = member.network
    point_to_point = net.type == "proxy_arp" and member.role == "hub"
    prefixes = []
    if member.address is not None:
        length = 32 if point_to_point else net.ipv4.prefixlen
        prefixes.append(("%s/%d" % (member.address, length), _Route(IPNetwork("%s/%d" % (member.address, length)).cidr)))
    if member.address6 is not None:
        length = 128 if point_to_point else net.ipv6.prefixlen
        prefixes.append(("%s/%d" % (member.address6, length), _Route(IPNetwork("%s/%d" % (member.address6, length)).cidr)))
    return prefixes


def _emit(member, plan, peers, flat, keys, result_hosts):
    net = plan.network
    prefixes = _interface_prefixes(member)
    connected = [route for _text, route in prefixes]
    route_list = []
    seen = set(DEFAULT_ROUTES)
    for route, _name in flat:
        if route.text in seen or any(c.version == route.version and c.first <= route.first and route.last <= c.last
                                     for c in connected):
            continue
        seen.add(route.text)
        route_list.append(route.text)
    entry = result_hosts.setdefault(member.host, {
        "managed": member.managed,
        "interfaces": {},
        "system": {
            "forward_ipv4": False, "forward_ipv6": False, "src_valid_mark": False,
            "proxy_arp": [], "nat": [], "forwarding": [], "protect_ipv6": [], "listen": [],
        },
        "hints": [],
    })
    entry["interfaces"][member.interface] = {
        "network": net.name,
        "role": member.role,
        "type": net.type,
        "addresses": [text for text, _route in prefixes],
        "listen_port": member.port,
        "mtu": member.mtu,
        # Only clients take the VPN's resolvers; a gateway keeps serving its LAN with its own.
        "dns": list(member.dns) if member.role == "client" else [],
        "full_tunnel": member.full_tunnel,
        "reresolve_dns": net.reresolve_dns,
        "public_key": keys.get((member.host, net.name)),
        "peers": peers,
        "routes": route_list,
    }
    _system_needs(member, plan, peers, entry)


def _system_needs(member, plan, peers, entry):
    """What the sysctl and firewall roles must do for this host, derived from its place in the topology."""
    net = plan.network
    system = entry["system"]
    hints = entry["hints"]
    iface = member.interface
    between_peers = member.role == "hub"
    proxy_arp = net.type == "proxy_arp" and member.role == "hub"
    routes_lans = bool(member.lans)
    if between_peers or routes_lans or member.nat or proxy_arp:
        system["forward_ipv4"] = system["forward_ipv4"] or net.ipv4 is not None or any(lan.version == 4 for lan in member.lans)
        system["forward_ipv6"] = system["forward_ipv6"] or net.ipv6 is not None or any(lan.version == 6 for lan in member.lans)
        system["forwarding"].append({
            "interface": iface,
            "between_peers": between_peers,
            "lans": [str(lan) for lan in member.lans] + ([str(net.ipv4)] if proxy_arp else []),
            "to_uplink": member.nat,
        })
    if member.full_tunnel:
        system["src_valid_mark"] = True
    if proxy_arp:
        system["proxy_arp"].append({"interface": member.lan_interface, "wireguard_interface": iface})
        hints.append("On the LAN router, forward UDP port %s to %s and keep %s out of the DHCP range."
                     % (member.port, member.address, _pool_text(net)))
    if member.nat:
        sources = [net.ipv4] if net.ipv4 is not None else []
        if net.ipv6 is not None and not net.protect_ipv6:
            sources.append(net.ipv6)
        for source in sources:
            system["nat"].append({"interface": iface, "source": str(source), "out_interface": member.uplink_interface})
    if member.role == "hub" and net.protect_ipv6:
        system["protect_ipv6"].append({"interface": iface, "prefix": str(net.ipv6), "uplink": member.uplink_interface})
        hints.append("Clients of %s get public IPv6 from %s: the provider must route it to this host "
                     "(or enable proxy_ndp on the uplink when the prefix is on-link)." % (iface, net.ipv6))
    if member.port is not None:
        sources = None
        if net.restrict_port:
            roaming = sorted(p["name"] for p in peers if p["endpoint"] is None)
            if roaming:
                hints.append("Port %d of %s stays open to all: peers %s have no known endpoint."
                             % (member.port, iface, ", ".join(roaming)))
            else:
                sources = sorted({p["endpoint"].rsplit(":", 1)[0].strip("[]") for p in peers})
        system["listen"].append({"interface": iface, "port": member.port, "sources": sources})
    if member.lans and not member.lan_default_gateway:
        reach = [str(c) for c in net.cidrs] + [str(lan) for m in plan.members if m is not member for lan in m.lans]
        for lan in member.lans:
            hints.append("On the router of LAN %s add a static route: %s via %s's address on that LAN."
                         % (lan, ", ".join(reach), member.host))
    if not member.managed:
        hints.append("not managed by Ansible: load its rendered %s config (file or QR code) on the device." % iface)


def _pool_text(net):
    first, last = net.pool
    return "%s-%s" % (IPAddress(first, 4), IPAddress(last, 4))

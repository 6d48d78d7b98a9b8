# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Adopting a hand-made WireGuard network: from the configs found on the hosts to the inventory that makes
wirefleet converge to the same network (docs/operations.md#adopting-an-existing-network).

Input: what wg_existing returned per host. Output: a proposal (networks, role groups, host variables,
leases, public keys) plus a report of what is kept, what changes when it is converged and what a hand-made
config did that wirefleet does not carry (PostUp scripts, Table=, FwMark=). Every value read from a host is
untrusted: it reaches the proposal only after the same checks the inventory model applies (names, CIDRs,
endpoints, keys); the engine checks the proposal again when it is converged. Controller only.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter

from ansible_collections.wirefleet.wireguard.plugins.module_utils.inputs import (
    DEFAULT_KEEPALIVE,
    PER_NETWORK_KEYS,
    Collector,
    parse_endpoint,
)
from ansible_collections.wirefleet.wireguard.plugins.module_utils.keys import is_key
from ansible_collections.wirefleet.wireguard.plugins.module_utils.names import (
    control_characters,
    ip_address,
    is_hostname,
    is_interface,
    is_name,
)
from ansible_collections.wirefleet.wireguard.plugins.module_utils.wgconf import CANONICAL, split_list

ROLE_GROUPS = {"hub": "wireguard_hubs", "gateway": "wireguard_gateways", "client": "wireguard_clients",
               "mesh": "wireguard_mesh"}
# [Interface] settings wirefleet writes itself, from the proposal; everything else is reported, never carried.
_CARRIED = {"address", "listenport", "mtu", "dns"}
_MASQUERADE = re.compile(r"masquerade", re.IGNORECASE)
_OUT_INTERFACE = re.compile(r"(?:^|\s)(?:-o|--out-interface|oifname)\s+\"?([A-Za-z0-9_=+.-]{1,15})\"?")


def shown(value):
    """A value from a host, safe to print on one line of the report."""
    text = str(value)
    return repr(text)[1:-1] if control_characters(text) else text


class _Node:
    """One WireGuard identity: an interface on an inventory host, or a device known only by its public key."""

    def __init__(self, key, host=None, interface=None, found=None):
        self.key, self.host, self.interface, self.found = key, host, interface, found or {}
        self.peers = {}  # public key -> {"allowed": [ip_network], "endpoint": str|None, "keepalive": int|None, ...}
        self.addresses = []  # ip_interface
        self.name = None  # inventory name (devices: from the comments of the peers' configs)
        self.names_seen = []

    @property
    def managed(self):
        return self.host is not None

    def setting(self, key):
        return (self.found.get("interface") or {}).get(key, [])


def _first(values):
    return values[0] if values else None


def _most_common(values):
    counted = Counter(value for value in values if value is not None)
    return counted.most_common(1)[0][0] if counted else None


def _networks(values, where, report):
    nets = []
    for text in split_list(values):
        try:
            nets.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            report.append("%s: AllowedIPs %r is not a CIDR: left out" % (where, shown(text)))
    return nets


def _endpoint_parts(text):
    """(host, port) of an Endpoint as written, or None unless it is one the inventory accepts with a port."""
    collector = Collector()
    host, port = parse_endpoint(collector, "adopt", "Endpoint", text)
    return (host, port) if host is not None and port is not None and not collector.errors else None


def _dns(node, report):
    """A client's DNS entries that are addresses or search domains; anything else is reported and left out."""
    entries = []
    for entry in split_list(node.setting("dns")):
        if ip_address(entry) is not None or is_hostname(entry):
            entries.append(entry)
        else:
            report.append("host %r, %s.conf: DNS entry %r is neither an address nor a domain: left out"
                          % (node.host, node.interface, shown(entry)))
    return entries


def _integer(values, low, high):
    value = _first(values)
    if value is not None and value.isascii() and value.isdigit() and low <= int(value) <= high:
        return int(value)
    return None


def _read_nodes(found_by_host, problems, report):
    """Every node by public key, with its peers; problems for what makes a config unusable."""
    nodes = {}
    for host in sorted(found_by_host):
        for found in found_by_host[host] or []:
            interface = found.get("name")
            where = "host %r, %s" % (host, shown(interface))
            if not is_interface(interface):
                problems.append("host %r: interface name %r is not one wirefleet accepts" % (host, shown(interface)))
                continue
            if found.get("wirefleet"):
                report.append("%s: written by wirefleet already, nothing to adopt" % where)
                continue
            key = found.get("public_key")
            if not is_key(key):
                problems.append("%s.conf: no valid PrivateKey, so there is no key to keep" % where)
                continue
            if key in nodes:
                problems.append("%s.conf: the same private key as host %r, %s" % (where, nodes[key].host, nodes[key].interface))
                continue
            node = nodes[key] = _Node(key, host, interface, found)
            for text in split_list(node.setting("address")):
                try:
                    node.addresses.append(ipaddress.ip_interface(text))
                except ValueError:
                    problems.append("%s.conf: Address %r is not an address" % (where, shown(text)))
    for node in list(nodes.values()):
        for number, peer in enumerate(node.found.get("peers") or [], 1):
            settings = peer.get("settings") or {}
            key = _first(settings.get("publickey"))
            where = "host %r, %s [Peer] %d" % (node.host, node.interface, number)
            if not is_key(key):
                problems.append("%s: no valid PublicKey" % where)
                continue
            endpoint = _first(settings.get("endpoint"))
            if endpoint is not None and _endpoint_parts(endpoint) is None:
                report.append("%s: Endpoint %r is not host:port: left out" % (where, shown(endpoint)))
                endpoint = None
            node.peers[key] = {
                "allowed": _networks(settings.get("allowedips"), where, report),
                "endpoint": endpoint,
                "keepalive": _integer(settings.get("persistentkeepalive"), 0, 65535),
                "preshared": bool(settings.get("presharedkey")),
                "other": sorted(set(settings) - {"publickey", "allowedips", "endpoint", "persistentkeepalive",
                                                 "presharedkey"}),
            }
            if key not in nodes:
                nodes[key] = _Node(key)
            if peer.get("name"):
                nodes[key].names_seen.append(peer["name"])
    return nodes


def _components(nodes):
    """Groups of nodes linked by peer entries: each is one network."""
    parent = {key: key for key in nodes}

    def root(key):
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for node in nodes.values():
        for other in node.peers:
            parent[root(other)] = root(node.key)
    groups = {}
    for key in sorted(nodes):
        groups.setdefault(root(key), []).append(nodes[key])
    return [group for group in groups.values() if any(node.managed for node in group)]


def _neighbours(group):
    linked = {node.key: set() for node in group}
    for node in group:
        for other in node.peers:
            linked[node.key].add(other)
            linked[other].add(node.key)
    return linked


def _views(group, node):
    """What every managed peer of node says about it: [(viewer, entry)]."""
    return [(viewer, viewer.peers[node.key]) for viewer in group if viewer.managed and node.key in viewer.peers]


def _endpoint_port(group, node):
    parts = [_endpoint_parts(entry["endpoint"]) for _viewer, entry in _views(group, node) if entry["endpoint"]]
    return _most_common(parts)


def _shape(group, linked):
    """('star', hub) or ('mesh', None) or (None, why)."""
    size = len(group)
    centres = [node for node in group if len(linked[node.key]) == size - 1]
    if size == 2:
        reachable = [node for node in group if _endpoint_port(group, node) or _integer(node.setting("listenport"), 1, 65535)]
        if len(reachable) == 2 and all(node.managed for node in group):
            return "mesh", None
        if reachable and reachable[0].managed:
            return "star", reachable[0]
        return None, "neither end of the pair is an inventory host with an endpoint"
    if len(centres) == size:
        if all(node.managed for node in group):
            return "mesh", None
        return None, "a full mesh with devices Ansible cannot reach"
    if len(centres) == 1 and all(linked[node.key] == {centres[0].key} for node in group if node is not centres[0]):
        if not centres[0].managed:
            return None, "its hub is not an inventory host"
        return "star", centres[0]
    return None, "neither a star (one hub, spokes peering only with it) nor a full mesh"


def _vpn(group, hub, version):
    """The VPN CIDR of one address family: the hub's Address prefix, else the smallest one holding every address."""
    addresses = [address for node in group for address in node.addresses if address.version == version]
    if not addresses:
        return None
    candidates = [address.network for address in (hub.addresses if hub else addresses)
                  if address.version == version and address.network.prefixlen < address.max_prefixlen - 1]
    net = _most_common(candidates)
    if net is None or not all(address.ip in net for address in addresses):
        prefix = addresses[0].max_prefixlen - 2
        while prefix > 8:
            net = ipaddress.ip_network("%s/%d" % (addresses[0].ip, prefix), strict=False)
            if all(address.ip in net and address.ip not in (net.network_address, net.broadcast_address)
                   for address in addresses):
                break
            prefix -= 1
    return net


def _device_addresses(group, node, vpns):
    for _viewer, entry in _views(group, node):
        for net in entry["allowed"]:
            vpn = vpns.get(net.version)
            if vpn is not None and net.prefixlen == net.max_prefixlen and net.network_address in vpn:
                node.addresses.append(ipaddress.ip_interface("%s/%d" % (net.network_address, vpn.prefixlen)))


def _in_vpn(net, vpns):
    vpn = vpns.get(net.version)
    return vpn is not None and (net.subnet_of(vpn) or vpn.subnet_of(net))


def _lans(group, node, vpns):
    """The LANs behind node: what its peers route to it that it does not route on to a peer of its own."""
    forwarded = {net for entry in node.peers.values() for net in entry["allowed"]}
    lans = []
    for _viewer, entry in _views(group, node):
        for net in entry["allowed"]:
            if net.prefixlen == 0 or _in_vpn(net, vpns) or net in forwarded or net in lans:
                continue
            lans.append(net)
    return lans


def _full_tunnel(node):
    return any(net.prefixlen == 0 for entry in node.peers.values() for net in entry["allowed"])


def _nat(node):
    """(masquerades, uplink interface) from a hand-made config's PostUp/PreUp lines."""
    for command in node.setting("postup") + node.setting("preup"):
        if _MASQUERADE.search(command):
            match = _OUT_INTERFACE.search(command)
            uplink = match.group(1) if match and is_interface(match.group(1)) else None
            return True, uplink
    return False, None


def _unique_name(wanted, taken, fallback):
    for candidate in [wanted] if wanted else []:
        if is_name(candidate) and candidate not in taken:
            return candidate
    number = 1
    while "%s%d" % (fallback, number) in taken:
        number += 1
    return "%s%d" % (fallback, number)


def _reported_settings(node, report):
    where = "host %r, %s.conf" % (node.host, node.interface)
    for key, values in sorted((node.found.get("interface") or {}).items()):
        if key in _CARRIED:
            continue
        for value in values:
            report.append("%s: %s = %s is not carried over (%s)" % (where, CANONICAL.get(key, key), shown(value), _WHY_NOT.get(
                key, "wirefleet does not write this setting")))
    for number, entry in enumerate(node.peers.values(), 1):
        for key in entry["other"]:
            report.append("%s: [Peer] %d setting %s is not carried over" % (where, number, key))
    shared = sum(1 for entry in node.peers.values() if entry["preshared"])
    if shared:
        report.append("%s: %d peer(s) use a PresharedKey, which is not adopted: with preshared_keys: true on the "
                      "network wirefleet makes new ones (each pair handshakes again once), else it drops them"
                      % (where, shared))
    if not node.found.get("active"):
        report.append("%s: wg-quick@%s is not active; site.yml starts it. If the interface was brought up by hand "
                      "(`wg-quick up`), run `wg-quick down %s && systemctl enable --now wg-quick@%s` first"
                      % (where, node.interface, node.interface, node.interface))


_WHY_NOT = {
    "postup": "hooks run as root; wirefleet's firewall and sysctl roles do NAT and forwarding from the inventory, "
              "and replacing the file runs the config's PreDown/PostDown once",
    "preup": "hooks run as root; wirefleet never writes them",
    "postdown": "run once when wirefleet replaces the file, so what PostUp added goes with it",
    "predown": "run once when wirefleet replaces the file",
    "table": "wirefleet installs the routes of AllowedIPs in the main table (custom tables: issue #10 notes)",
    "fwmark": "wg-quick sets it itself for a full tunnel",
    "saveconfig": "the inventory is the source of truth, not the running interface",
}


class _Proposal:
    def __init__(self, inventory_hosts):
        self.networks, self.host_vars, self.groups = {}, {}, {}
        self.leases, self.public_keys = {}, {}
        self.report, self.problems = [], []
        self.taken = set(inventory_hosts)
        self.members = {}  # host -> {network: (role, variables)}

    def add_member(self, host, network, role, variables):
        self.members.setdefault(host, {})[network] = (role, variables)

    def finish(self):
        for host, by_network in sorted(self.members.items()):
            roles = {role for role, _variables in by_network.values()}
            variables = {}
            if len(by_network) == 1:
                (role, own), = by_network.values()
                variables.update(own)
            else:
                variables.update(_per_network(by_network))
            # Without a group, a host in a role group joins every network: with several networks each host names
            # exactly the ones it joins (wireguard_roles).
            if len(roles) == 1 and len(self.networks) == 1:
                self.groups.setdefault(ROLE_GROUPS[roles.pop()], []).append(host)
            else:
                variables["wireguard_roles"] = {network: role for network, (role, _own) in sorted(by_network.items())}
            self.host_vars[host] = variables


def _per_network(by_network):
    """Variables of a host in several networks: equal ones (and host-wide ones) once, the rest per network."""
    owns = [own for _role, own in by_network.values()]
    variables = {}
    for key in sorted({key for own in owns for key in own}):
        values = [own.get(key) for own in owns if key in own]
        per_network = key[len("wireguard_"):] in PER_NETWORK_KEYS
        if not per_network or (len(values) == len(owns) and all(value == values[0] for value in values)):
            variables[key] = values[0]  # host-wide (uplink, managed): the first network's; equal: once
    overrides = {}
    for network, (_role, own) in sorted(by_network.items()):
        wanted = {key[len("wireguard_"):]: value for key, value in own.items() if key not in variables}
        if wanted:
            overrides[network] = wanted
    if overrides:
        variables["wireguard_per_network"] = overrides
    return variables


def _network_name(group, hub, used):
    managed = [node for node in group if node.managed]
    wanted = hub.interface if hub else _most_common([node.interface for node in managed])
    return _unique_name(wanted if wanted not in used else None, used, "wg")


def _propose_network(proposal, group, used_networks):
    linked = _neighbours(group)
    shape, hub = _shape(group, linked)
    managed = [node for node in group if node.managed]
    listed = ", ".join("%s (%s)" % (node.host, node.interface) for node in managed)
    if shape is None:
        proposal.problems.append("the network of %s is %s: adopt it by hand" % (listed, hub))
        return
    name = _network_name(group, hub, used_networks)
    used_networks.add(name)
    vpns = {version: _vpn(group, hub, version) for version in (4, 6)}
    vpns = {version: net for version, net in vpns.items() if net is not None}
    if 4 not in vpns and 6 not in vpns:
        proposal.problems.append("the network of %s has no tunnel addresses: adopt it by hand" % listed)
        return
    for node in group:
        if not node.managed:
            _device_addresses(group, node, vpns)
            node.name = _unique_name(_most_common(node.names_seen), proposal.taken, name + "-device")
            proposal.taken.add(node.name)
        else:
            node.name = node.host
    spec = {("ipv%d" % version): str(net) for version, net in sorted(vpns.items())}
    ports = {node.key: _integer(node.setting("listenport"), 1, 65535) for node in managed}
    port = ports.get(hub.key) if hub else _most_common(ports.values())
    if port:
        spec["port"] = port
    spokes = [node for node in group if node is not hub and shape == "star"]
    keepalives = [entry["keepalive"] for node in managed for entry in node.peers.values() if entry["keepalive"]]
    keepalive = _most_common(keepalives)
    if keepalive and keepalive != DEFAULT_KEEPALIVE:
        spec["keepalive"] = keepalive
    dns = {node.key: _dns(node, proposal.report) for node in spokes if node.managed}
    network_dns = _most_common([tuple(value) for value in dns.values() if value])
    if network_dns:
        spec["dns"] = list(network_dns)
    mtus = {node.key: _integer(node.setting("mtu"), 1280, 9000) for node in managed}
    mtu = _most_common(mtus.values())
    if mtu:
        spec["mtu"] = mtu
    proposal.networks[name] = spec
    proposal.leases[name] = {}
    for node in group:
        _propose_member(proposal, group, node, name, shape, hub, vpns, spec, dns.get(node.key), mtus.get(node.key))


def _propose_member(proposal, group, node, network, shape, hub, vpns, spec, dns, mtu):
    variables = {}
    lease = {}
    for address in node.addresses:
        vpn = vpns.get(address.version)
        if vpn is not None and address.ip in vpn:
            key = "wireguard_address" if address.version == 4 else "wireguard_address6"
            variables.setdefault(key, str(address.ip))
            lease.setdefault("ipv%d" % address.version, str(address.ip))
    proposal.leases[network][node.name] = lease
    lans = _lans(group, node, vpns)
    if lans:
        variables["wireguard_lans"] = [str(net) for net in lans]
    endpoint = _endpoint_port(group, node)
    own_port = _integer(node.setting("listenport"), 1, 65535)
    if endpoint:
        host, port = endpoint[0], endpoint[1]
        host = "[%s]" % host if ":" in host else host
        variables["wireguard_endpoint"] = host if port == (own_port or spec.get("port")) else "%s:%d" % (host, port)
    if own_port and own_port != spec.get("port") and (endpoint or shape == "mesh" or node is hub):
        variables["wireguard_port"] = own_port
    if node.managed and node.interface != network:
        variables["wireguard_interface"] = node.interface
    if node.managed:
        proposal.public_keys.setdefault(node.host, {})[network] = node.key
        nat, uplink = _nat(node)
        if nat or (node is hub and any(_full_tunnel(spoke) for spoke in group if spoke.managed)):
            variables["wireguard_nat"] = True
        if uplink:
            variables["wireguard_uplink_interface"] = uplink
        if node is not hub and shape == "star" and _full_tunnel(node):
            variables["wireguard_full_tunnel"] = True
        if dns is not None and dns and dns != spec.get("dns"):
            variables["wireguard_dns"] = dns
        if mtu and mtu != spec.get("mtu"):
            variables["wireguard_mtu"] = mtu
        keepalive = _most_common([entry["keepalive"] for entry in node.peers.values() if entry["keepalive"]])
        if keepalive and keepalive != spec.get("keepalive", DEFAULT_KEEPALIVE) and not endpoint:
            variables["wireguard_keepalive"] = keepalive
        _reported_settings(node, proposal.report)
    else:
        variables["wireguard_managed"] = False
        variables["wireguard_public_key"] = node.key
    if shape == "mesh":
        role = "mesh"
    elif node is hub:
        role = "hub"
    else:
        role = "gateway" if lans else "client"
    proposal.add_member(node.name, network, role, variables)


def propose(found_by_host, inventory_hosts=()):
    """The inventory proposal for the hand-made networks found on the hosts (see the module docstring).

    found_by_host: {host: [wg_existing interface entries]}. Returns {"networks", "groups", "host_vars",
    "leases", "public_keys", "report", "problems"}: problems make a network unadoptable as it is; report
    lists what is kept, what is not carried over and why.
    """
    proposal = _Proposal(inventory_hosts)
    nodes = _read_nodes(found_by_host, proposal.problems, proposal.report)
    used_networks = set()
    for group in _components(nodes):
        _propose_network(proposal, group, used_networks)
    proposal.finish()
    return {
        "networks": proposal.networks,
        "groups": {group: sorted(hosts) for group, hosts in sorted(proposal.groups.items())},
        "host_vars": proposal.host_vars,
        "leases": proposal.leases,
        "public_keys": proposal.public_keys,
        "report": proposal.report,
        "problems": proposal.problems,
    }


def engine_hosts(proposal):
    """The proposal as the engine's hosts argument ({host: {"groups", "vars"}}), to compute what it converges to."""
    groups = {}
    for group, hosts in proposal["groups"].items():
        for host in hosts:
            groups.setdefault(host, []).append(group)
    return {host: {"groups": sorted(groups.get(host, [])), "vars": dict(variables)}
            for host, variables in proposal["host_vars"].items()}


def _normal_endpoint(text):
    parts = _endpoint_parts(text) if text else None
    return "%s:%d" % parts if parts else None


def _interface_changes(node, new):
    changes = []
    old_addresses = sorted(str(address) for address in node.addresses)
    if old_addresses != sorted(new["addresses"]):
        changes.append("Address %s -> %s (set live)" % (", ".join(old_addresses), ", ".join(new["addresses"])))
    old_port = _integer(node.setting("listenport"), 1, 65535)
    if old_port != new["listen_port"]:
        changes.append("ListenPort %s -> %s" % (old_port or "random", new["listen_port"] or "random"))
    old_dns = _dns(node, [])
    if old_dns != list(new["dns"]):
        changes.append("DNS %s -> %s (wg-quick restarts the interface)"
                       % (", ".join(old_dns) or "none", ", ".join(new["dns"]) or "none"))
    names = {peer["public_key"]: peer["name"] for peer in new["peers"] if peer.get("public_key")}
    new_peers = {peer["public_key"]: peer for peer in new["peers"] if peer.get("public_key")}
    for key in sorted(set(node.peers) - set(new_peers)):
        changes.append("peer %s removed" % key)
    for key in sorted(set(new_peers) - set(node.peers)):
        changes.append("peer %s added" % names[key])
    for key in sorted(set(new_peers) & set(node.peers)):
        old, peer = node.peers[key], new_peers[key]
        old_allowed = sorted(str(net) for net in old["allowed"])
        new_allowed = sorted(str(ipaddress.ip_network(net, strict=False)) for net in peer["allowed_ips"])
        if old_allowed != new_allowed:
            changes.append("peer %s AllowedIPs %s -> %s" % (names[key], ", ".join(old_allowed), ", ".join(new_allowed)))
        if _normal_endpoint(old["endpoint"]) != _normal_endpoint(peer["endpoint"]):
            changes.append("peer %s Endpoint %s -> %s" % (names[key], old["endpoint"], peer["endpoint"]))
        if (old["keepalive"] or 0) != (peer["keepalive"] or 0):
            changes.append("peer %s PersistentKeepalive %s -> %s"
                           % (names[key], old["keepalive"] or "off", peer["keepalive"] or "off"))
    return changes


def converge_changes(found_by_host, fleet_hosts):
    """{(host, interface): [change]}: what converging the proposal changes against the configs found.

    fleet_hosts is the engine's result for the proposal ("hosts"). An empty list: every peer, AllowedIPs,
    endpoint, keepalive, address and port stays as it is.
    """
    result = {}
    for node in _read_nodes(found_by_host, [], []).values():
        if not node.managed:
            continue
        new = ((fleet_hosts.get(node.host) or {}).get("interfaces") or {}).get(node.interface)
        result[(node.host, node.interface)] = (_interface_changes(node, new) if new is not None
                                               else ["not in the proposal: left as it is"])
    return result

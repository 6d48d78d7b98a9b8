# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads the inventory model (networks + per-host variables) into typed, checked records.

Only syntax and single-value checks live here; whole-topology checks live in topology.py.
Problems are appended to an error list instead of raised, so one run reports all of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

try:
    from netaddr import AddrFormatError, IPAddress, IPNetwork

    HAS_NETADDR = True
except ImportError:  # the filters turn this into a clear error
    AddrFormatError = IPAddress = IPNetwork = None
    HAS_NETADDR = False

from ansible_collections.wirefleet.wireguard.plugins.module_utils.errors import (
    TopologyError,
    host as host_where,
    network as network_where,
)
from ansible_collections.wirefleet.wireguard.plugins.module_utils.keys import is_key

ROLE_GROUPS = {
    "wireguard_hubs": "hub",
    "wireguard_gateways": "gateway",
    "wireguard_clients": "client",
    "wireguard_mesh": "mesh",
}
ROLES = frozenset(ROLE_GROUPS.values())
NETWORK_TYPES = ("routed", "proxy_arp", "site_to_site")
DEFAULT_KEEPALIVE = 25
# Linux IFNAMSIZ is 16 including the NUL byte; wg-quick also limits the character set.
INTERFACE_RE = re.compile(r"^[a-zA-Z0-9_=+.-]{1,15}$")
# Settings a host may give for all its networks (wireguard_<key>) or per network
# (wireguard_per_network: {<network>: {<key>: value}}).
PER_NETWORK_KEYS = (
    "address", "address6", "endpoint", "port", "interface", "keepalive", "lans", "hub",
    "full_tunnel", "nat", "dns", "peers", "public_key", "mtu",
)

# Every host variable the model reads; callers copy exactly these out of the inventory.
HOST_VARIABLES = tuple("wireguard_" + key for key in PER_NETWORK_KEYS) + (
    "wireguard_roles", "wireguard_state", "wireguard_managed", "wireguard_per_network",
    "wireguard_uplink_interface", "wireguard_lan_interface", "wireguard_lan_default_gateway",
)


@dataclass
class Network:
    name: str
    interface: str
    type: str = "routed"
    ipv4: IPNetwork | None = None
    ipv6: IPNetwork | None = None
    pool: tuple | None = None  # (first, last) IPv4 ints the allocator may hand out
    port: int | None = None
    mtu: int | None = None
    dns: list = field(default_factory=list)
    keepalive: int = DEFAULT_KEEPALIVE
    preshared_keys: bool = False
    group: str | None = None
    restrict_port: bool = False
    protect_ipv6: bool = False

    @property
    def cidrs(self):
        return [net for net in (self.ipv4, self.ipv6) if net is not None]


@dataclass
class Member:
    """One host's participation in one network."""

    host: str
    network: Network
    role: str
    managed: bool = True
    address: IPAddress | None = None
    address6: IPAddress | None = None
    endpoint_host: str | None = None
    endpoint_port: int | None = None
    port: int | None = None
    interface: str = ""
    keepalive: int | None = None
    lans: list = field(default_factory=list)
    hub: str | None = None
    full_tunnel: bool = False
    nat: bool = False
    dns: list = field(default_factory=list)
    peers: frozenset | None = None
    public_key: str | None = None
    mtu: int | None = None
    uplink_interface: str | None = None
    lan_interface: str | None = None
    lan_default_gateway: bool = True

    @property
    def has_endpoint(self):
        return self.endpoint_host is not None


class Collector:
    """Accumulates TopologyErrors and offers checked converters that record instead of raise."""

    def __init__(self):
        self.errors = []

    def add(self, where, variable, message):
        self.errors.append(TopologyError(where, variable, message))

    def cidr(self, where, variable, value, version=None):
        try:
            net = IPNetwork(str(value))
        except (AddrFormatError, ValueError, TypeError):
            self.add(where, variable, "%r is not a valid CIDR" % (value,))
            return None
        if version and net.version != version:
            self.add(where, variable, "%s is not an IPv%d CIDR" % (value, version))
            return None
        if net.ip != net.network:
            self.add(where, variable, "%s has host bits set; did you mean %s?" % (value, net.cidr))
            return None
        return net

    def address(self, where, variable, value, version):
        text = str(value)
        if "/" in text:
            self.add(where, variable, "%r must be a bare address; the prefix comes from the network" % (value,))
            return None
        try:
            addr = IPAddress(text)
        except (AddrFormatError, ValueError, TypeError):
            self.add(where, variable, "%r is not a valid IP address" % (value,))
            return None
        if addr.version != version:
            self.add(where, variable, "%s is not an IPv%d address" % (value, version))
            return None
        return addr

    def integer(self, where, variable, value, low, high):
        if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
            self.add(where, variable, "%r is not a whole number" % (value,))
            return None
        number = int(value)
        if not low <= number <= high:
            self.add(where, variable, "%d is out of range (%d-%d)" % (number, low, high))
            return None
        return number

    def boolean(self, where, variable, value):
        if isinstance(value, bool):
            return value
        self.add(where, variable, "%r is not true or false" % (value,))
        return False

    def interface(self, where, variable, value):
        if not isinstance(value, str) or not INTERFACE_RE.match(value):
            self.add(where, variable, "%r is not a valid interface name (1-15 of a-z A-Z 0-9 _ = + . -)" % (value,))
            return None
        return value

    def key(self, where, variable, value):
        if not is_key(str(value)):
            self.add(where, variable, "%r is not a WireGuard key (44 characters of base64)" % (value,))
            return None
        return str(value)

    def string_list(self, where, variable, value):
        if isinstance(value, str):
            return [value]
        if not isinstance(value, (list, tuple)):
            self.add(where, variable, "%r is not a list" % (value,))
            return []
        return [str(item) for item in value]

    def dns(self, where, variable, value):
        servers = []
        for item in self.string_list(where, variable, value):
            try:
                IPAddress(item)
            except (AddrFormatError, ValueError):
                # wg-quick passes non-address entries on as search domains.
                if not re.match(r"^[A-Za-z0-9.-]+$", item):
                    self.add(where, variable, "%r is neither an IP address nor a search domain" % (item,))
                    continue
            servers.append(item)
        return servers


def parse_endpoint(collector, where, variable, value):
    """Split 'host', 'host:port', '[v6]:port' or a bare IPv6 literal into (host, port)."""
    text = str(value).strip()
    match = re.match(r"^\[([0-9A-Fa-f:.]+)\](?::(\d+))?$", text)
    if match:
        host_part, port_part = match.group(1), match.group(2)
    elif text.count(":") > 1:
        host_part, port_part = text, None
    elif ":" in text:
        host_part, port_part = text.rsplit(":", 1)
    else:
        host_part, port_part = text, None
    if not host_part or not re.match(r"^[A-Za-z0-9.:_-]+$", host_part):
        collector.add(where, variable, "%r is not a valid endpoint (host, host:port or [ipv6]:port)" % (value,))
        return None, None
    port = None
    if port_part is not None:
        port = collector.integer(where, variable, port_part, 1, 65535)
    return host_part, port


def read_networks(collector, raw_networks):
    """wireguard_networks -> {name: Network}."""
    networks = {}
    if not isinstance(raw_networks, dict) or not raw_networks:
        collector.add("the inventory", "wireguard_networks", "must be a non-empty mapping of network name to settings")
        return networks
    for name, spec in sorted(raw_networks.items()):
        where = network_where(name)
        spec = spec or {}
        var = "wireguard_networks.%s." % name
        unknown = set(spec) - {
            "interface", "type", "ipv4", "ipv6", "pool", "port", "mtu", "dns", "keepalive",
            "preshared_keys", "group", "restrict_port", "protect_ipv6",
        }
        for key in sorted(unknown):
            collector.add(where, var + key, "unknown setting")
        net = Network(name=name, interface=collector.interface(where, var + "interface", spec.get("interface", name)) or name)
        net.type = spec.get("type", "routed")
        if net.type not in NETWORK_TYPES:
            collector.add(where, var + "type", "%r is not one of %s" % (net.type, ", ".join(NETWORK_TYPES)))
        if "ipv4" in spec:
            net.ipv4 = collector.cidr(where, var + "ipv4", spec["ipv4"], 4)
        if "ipv6" in spec:
            net.ipv6 = collector.cidr(where, var + "ipv6", spec["ipv6"], 6)
        if "ipv4" not in spec and "ipv6" not in spec:
            collector.add(where, var + "ipv4", "a network needs ipv4 and/or ipv6")
        if net.type == "site_to_site" and net.ipv4 is not None and net.ipv4.prefixlen not in (30, 31):
            collector.add(where, var + "ipv4", "a site_to_site transfer net must be a /31 or /30, not /%d" % net.ipv4.prefixlen)
        if net.type != "routed" and net.ipv4 is None and "ipv4" not in spec:
            collector.add(where, var + "ipv4", "a %s network needs an IPv4 CIDR" % net.type)
        net.pool = _read_pool(collector, where, var + "pool", spec.get("pool"), net.ipv4)
        if "port" in spec:
            net.port = collector.integer(where, var + "port", spec["port"], 1, 65535)
        if "mtu" in spec:
            net.mtu = collector.integer(where, var + "mtu", spec["mtu"], 1280, 9000)
        net.dns = collector.dns(where, var + "dns", spec.get("dns", []))
        if "keepalive" in spec:
            net.keepalive = collector.integer(where, var + "keepalive", spec["keepalive"], 0, 65535) or 0
        net.preshared_keys = collector.boolean(where, var + "preshared_keys", spec.get("preshared_keys", False))
        net.restrict_port = collector.boolean(where, var + "restrict_port", spec.get("restrict_port", False))
        net.group = spec.get("group")
        # Global IPv6 on clients is reachable from the internet unless the hub filters it.
        default_protect = net.ipv6 is not None and net.ipv6 not in IPNetwork("fc00::/7")
        net.protect_ipv6 = collector.boolean(where, var + "protect_ipv6", spec.get("protect_ipv6", default_protect))
        networks[name] = net
    return networks


def _read_pool(collector, where, variable, value, ipv4):
    if ipv4 is None:
        return None
    if value is None:
        if ipv4.prefixlen >= 31:
            return (int(ipv4.first), int(ipv4.last))
        return (int(ipv4.first) + 1, int(ipv4.last) - 1)
    parts = str(value).split("-")
    if len(parts) != 2:
        collector.add(where, variable, "%r must be a range 'first-last' of IPv4 addresses" % (value,))
        return None
    first = collector.address(where, variable, parts[0].strip(), 4)
    last = collector.address(where, variable, parts[1].strip(), 4)
    if first is None or last is None:
        return None
    if first not in ipv4 or last not in ipv4 or first > last:
        collector.add(where, variable, "%s must be an ascending range inside %s" % (value, ipv4))
        return None
    return (int(first), int(last))


def memberships(collector, hostname, groups, hostvars, networks):
    """Which networks a host joins and with which role: [(network_name, role)]."""
    where = host_where(hostname)
    explicit = hostvars.get("wireguard_roles")
    if explicit is not None:
        if not isinstance(explicit, dict):
            collector.add(where, "wireguard_roles", "must map network name to role")
            return []
        result = []
        for net_name, role in sorted(explicit.items()):
            if net_name not in networks:
                collector.add(where, "wireguard_roles", "unknown network %r" % (net_name,))
            elif role not in ROLES:
                collector.add(where, "wireguard_roles", "%r is not a role (%s)" % (role, ", ".join(sorted(ROLES))))
            else:
                result.append((net_name, role))
        return result
    roles = sorted({ROLE_GROUPS[g] for g in groups if g in ROLE_GROUPS})
    if not roles:
        return []
    if len(roles) > 1:
        collector.add(where, "groups", "host is in several role groups (%s); use wireguard_roles to give a role per network"
                      % ", ".join(roles))
        return []
    return [(name, roles[0]) for name, net in sorted(networks.items()) if net.group is None or net.group in groups]


def read_member(collector, hostname, hostvars, network, role):
    """Build the Member record of one host in one network from its variables."""
    where = host_where(hostname)
    per_network = hostvars.get("wireguard_per_network") or {}
    overrides = per_network.get(network.name) or {}

    def setting(key, default=None):
        if key in overrides:
            return "wireguard_per_network.%s.%s" % (network.name, key), overrides[key]
        name = "wireguard_" + key
        return name, hostvars.get(name, default)

    member = Member(host=hostname, network=network, role=role)
    member.managed = collector.boolean(where, "wireguard_managed", hostvars.get("wireguard_managed", True))
    var, value = setting("address")
    if value is not None:
        member.address = collector.address(where, var, value, 4)
    var, value = setting("address6")
    if value is not None:
        if network.ipv6 is None:
            collector.add(where, var, "network '%s' has no IPv6 (set wireguard_networks.%s.ipv6)" % (network.name, network.name))
        else:
            member.address6 = collector.address(where, var, value, 6)
    var, value = setting("endpoint")
    if value:
        member.endpoint_host, member.endpoint_port = parse_endpoint(collector, where, var, value)
    var, value = setting("port")
    if value is not None:
        member.port = collector.integer(where, var, value, 1, 65535)
    elif member.has_endpoint or role in ("hub", "mesh") or (role == "gateway" and network.type == "site_to_site"):
        member.port = network.port
    var, value = setting("interface", network.interface)
    member.interface = collector.interface(where, var, value) or network.interface
    var, value = setting("keepalive")
    if value is not None:
        member.keepalive = collector.integer(where, var, value, 0, 65535)
    var, value = setting("lans", [])
    member.lans = [net for net in (collector.cidr(where, var, item) for item in collector.string_list(where, var, value)) if net]
    var, value = setting("hub")
    member.hub = str(value) if value else None
    var, value = setting("full_tunnel", False)
    member.full_tunnel = collector.boolean(where, var, value)
    var, value = setting("nat", False)
    member.nat = collector.boolean(where, var, value)
    var, value = setting("dns")
    member.dns = network.dns if value is None else collector.dns(where, var, value)
    var, value = setting("peers")
    if value is not None:
        member.peers = frozenset(collector.string_list(where, var, value))
    var, value = setting("public_key")
    if value:
        member.public_key = collector.key(where, var, value)
    var, value = setting("mtu")
    member.mtu = network.mtu if value is None else collector.integer(where, var, value, 1280, 9000)
    for key in ("uplink_interface", "lan_interface"):
        value = hostvars.get("wireguard_" + key)
        if value is not None:
            setattr(member, key, collector.interface(where, "wireguard_" + key, value))
    member.lan_default_gateway = collector.boolean(
        where, "wireguard_lan_default_gateway", hostvars.get("wireguard_lan_default_gateway", True))
    return member

# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads the inventory model (networks + per-host variables) into typed, checked records.

Only syntax and single-value checks live here; whole-topology checks live in topology.py.
Problems are appended to an error list instead of raised, so one run reports all of them.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from dataclasses import dataclass, field

try:
    from netaddr import IPAddress, IPNetwork

    HAS_NETADDR = True
except ImportError:  # the filters turn this into a clear error
    IPAddress = IPNetwork = None
    HAS_NETADDR = False

from ansible_collections.wirefleet.wireguard.plugins.module_utils.errors import (
    TopologyError,
    host as host_where,
    network as network_where,
)
from ansible_collections.wirefleet.wireguard.plugins.module_utils.keys import is_key
from ansible_collections.wirefleet.wireguard.plugins.module_utils.names import (
    HOSTNAME_RULE,
    INTERFACE_RULE,
    NAME_RULE,
    control_characters,
    ip_address,
    is_hostname,
    is_interface,
    is_name,
)

ROLE_GROUPS = {
    "wireguard_hubs": "hub",
    "wireguard_gateways": "gateway",
    "wireguard_clients": "client",
    "wireguard_mesh": "mesh",
}
ROLES = frozenset(ROLE_GROUPS.values())
NETWORK_TYPES = ("routed", "proxy_arp", "site_to_site")
DEFAULT_KEEPALIVE = 25
NETWORK_SETTINGS = (
    "interface", "type", "ipv4", "ipv6", "pool", "port", "mtu", "dns", "keepalive",
    "preshared_keys", "group", "restrict_port", "protect_ipv6", "reresolve_dns",
)
_DIGITS = re.compile(r"[0-9]{1,10}")
_INI_BOOLEANS = ("true", "false", "yes", "no", "on", "off", "1", "0")
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
    # Peers' endpoints given by DNS name are resolved again on the host when their handshake is stale.
    reresolve_dns: bool = True

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

    def text(self, where, variable, value):
        """A string without control characters (they could end a line of a file), else None."""
        if not isinstance(value, str):
            self.add(where, variable, "%s is not a string" % describe(value))
            return None
        bad = control_characters(value)
        if bad:
            self.add(where, variable, "%r contains control characters (%s)" % (value, ", ".join(bad)))
            return None
        return value

    def cidr(self, where, variable, value, version=None):
        text = self.text(where, variable, value)
        if text is None:
            return None
        try:
            parsed = ipaddress.ip_network(text, strict=False)
        except ValueError:
            self.add(where, variable, "%r is not a valid CIDR" % (value,))
            return None
        if version and parsed.version != version:
            self.add(where, variable, "%s is not an IPv%d CIDR" % (value, version))
            return None
        if parsed.network_address != ipaddress.ip_interface(text).ip:
            self.add(where, variable, "%s has host bits set; did you mean %s?" % (value, parsed))
            return None
        return IPNetwork(str(parsed))

    def address(self, where, variable, value, version):
        text = self.text(where, variable, value)
        if text is None:
            return None
        if "/" in text:
            self.add(where, variable, "%r must be a bare address; the prefix comes from the network" % (value,))
            return None
        parsed = ip_address(text)
        if parsed is None:
            self.add(where, variable, "%r is not a valid IP address" % (value,))
            return None
        if parsed.version != version:
            self.add(where, variable, "%s is not an IPv%d address" % (value, version))
            return None
        return IPAddress(str(parsed))

    def integer(self, where, variable, value, low, high):
        # Digit strings come from INI inventories; bools are ints in Python but never a number here.
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and _DIGITS.fullmatch(value))):
            self.add(where, variable, "%s is not a whole number" % describe(value))
            return None
        number = int(value)
        if not low <= number <= high:
            self.add(where, variable, "%d is out of range (%d-%d)" % (number, low, high))
            return None
        return number

    def boolean(self, where, variable, value):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _INI_BOOLEANS:
            self.add(where, variable, "%r is a string, not true or false: write it without quotes in YAML "
                     "(an INI inventory's :vars sections make every value a string: set it in a group_vars or "
                     "host_vars YAML file, or on the host's line as True/False)" % (value,))
        else:
            self.add(where, variable, "%s is not true or false" % describe(value))
        return False

    def interface(self, where, variable, value):
        if not is_interface(value):
            self.add(where, variable, "%s is not a valid interface name (%s)" % (describe(value), INTERFACE_RULE))
            return None
        return value

    def name(self, where, variable, value, what):
        """A host or network name that becomes part of file names, store ids and config comments."""
        if not is_name(value):
            self.add(where, variable, "%s cannot be used as a %s name: %s" % (describe(value), what, NAME_RULE))
            return None
        return value

    def key(self, where, variable, value):
        if not isinstance(value, str) or not is_key(value):
            self.add(where, variable, "%s is not a WireGuard key (44 characters of canonical base64 of 32 bytes)"
                     % describe(value))
            return None
        return value

    def mapping(self, where, variable, value, example):
        """A mapping (or None for 'not given'); anything else is an error naming what was expected."""
        if value is None or isinstance(value, dict):
            return value or {}
        self.add(where, variable, "must be a mapping (%s), not %s" % (example, describe(value)))
        return None

    def string_list(self, where, variable, value):
        if isinstance(value, str):
            return [value]
        if not isinstance(value, (list, tuple)):
            self.add(where, variable, "%s is not a list" % describe(value))
            return []
        items = []
        for item in value:
            if isinstance(item, str):
                items.append(item)
            else:
                self.add(where, variable, "item %s is not a string" % describe(item))
        return items

    def dns(self, where, variable, value):
        servers = []
        for item in self.string_list(where, variable, value):
            # wg-quick passes non-address entries on as search domains.
            if ip_address(item) is None and not is_hostname(item):
                self.add(where, variable, "%r is neither an IP address nor a search domain (%s)" % (item, HOSTNAME_RULE))
                continue
            servers.append(item)
        return servers


def describe(value):
    """A value as users wrote it, with its type when that is the problem: 'a list [1, 2]'."""
    kinds = ((bool, "a boolean"), (dict, "a mapping"), ((list, tuple), "a list"), ((int, float), "a number"),
             (type(None), "nothing (null)"))
    kind = next((name for types, name in kinds if isinstance(value, types)), None)
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return "%s %s" % (kind, text) if kind else text


def parse_endpoint(collector, where, variable, value):
    """Split 'host', 'host:port' or '[v6]:port' into (host, port); host is an RFC 1123 name or an IP literal."""
    text = collector.text(where, variable, value)
    if text is None:
        return None, None
    usage = "host, host:port or [ipv6]:port"
    bracketed = _BRACKETED.fullmatch(text)
    if bracketed:
        host_part, port_part = bracketed.group(1), bracketed.group(2)
        parsed = ip_address(host_part)
        if parsed is None or parsed.version != 6:
            collector.add(where, variable, "%r: only IPv6 addresses go in brackets (%s)" % (value, usage))
            return None, None
    elif text.startswith("[") or text.count(":") > 1:
        collector.add(where, variable, "%r: an IPv6 endpoint goes in brackets with a port, e.g. [2001:db8::1]:51820"
                      % (value,))
        return None, None
    else:
        host_part, _sep, port_part = text.partition(":")
        if not _sep:
            port_part = None
        parsed = ip_address(host_part)
        if parsed is None and not is_hostname(host_part):
            collector.add(where, variable, "%r is not a valid endpoint (%s; the host is %s or an IPv4 address)"
                          % (value, usage, HOSTNAME_RULE))
            return None, None
    port = None
    if port_part is not None:
        port = collector.integer(where, variable, port_part, 1, 65535)
        if port is None:
            return None, None
    return host_part, port


_BRACKETED = re.compile(r"\[([^\]]*)\]:([^:]*)")


def read_networks(collector, raw_networks):
    """wireguard_networks -> {name: Network}."""
    networks = {}
    if not isinstance(raw_networks, dict) or not raw_networks:
        collector.add("the inventory", "wireguard_networks",
                      "must be a non-empty mapping of network name to settings, not %s" % describe(raw_networks))
        return networks
    for name in sorted(raw_networks, key=str):
        network = _read_network(collector, name, raw_networks[name])
        if network is not None:
            networks[name] = network
    return networks


def _read_network(collector, name, spec):
    where = network_where(name)
    if collector.name(where, "wireguard_networks", name, "network") is None:
        return None
    var = "wireguard_networks.%s." % name
    if isinstance(spec, str):
        collector.add(where, var[:-1], "must be a mapping of settings, not %s; did you mean {ipv4: %s}?" % (describe(spec), spec))
        return None
    spec = collector.mapping(where, var[:-1], spec, "e.g. {ipv4: 10.8.0.0/24, port: 51820}")
    if spec is None:
        return None
    for key in sorted(set(spec) - set(NETWORK_SETTINGS), key=str):
        collector.add(where, var + str(key), "unknown setting%s" % _did_you_mean(key, NETWORK_SETTINGS))
    if "interface" in spec:
        interface = collector.interface(where, var + "interface", spec["interface"])
    elif is_interface(name):
        interface = name
    else:
        interface = None
        collector.add(where, var + "interface", "the network's name %r is no interface name (%s): set interface"
                      % (name, INTERFACE_RULE))
    net = Network(name=name, interface=interface or "wg0")
    net.type = spec.get("type", "routed")
    if not isinstance(net.type, str) or net.type not in NETWORK_TYPES:
        collector.add(where, var + "type", "%s is not one of %s" % (describe(net.type), ", ".join(NETWORK_TYPES)))
        net.type = "routed"
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
    if spec.get("group") is not None:
        net.group = collector.name(where, var + "group", spec["group"], "group")
    # Global IPv6 on clients is reachable from the internet unless the hub filters it.
    default_protect = net.ipv6 is not None and net.ipv6 not in IPNetwork("fc00::/7")
    net.protect_ipv6 = collector.boolean(where, var + "protect_ipv6", spec.get("protect_ipv6", default_protect))
    net.reresolve_dns = collector.boolean(where, var + "reresolve_dns", spec.get("reresolve_dns", True))
    return net


def _did_you_mean(word, known):
    close = difflib.get_close_matches(str(word), list(known), n=1)
    return "; did you mean '%s'?" % close[0] if close else ""


def _read_pool(collector, where, variable, value, ipv4):
    if ipv4 is None:
        return None
    if value is None:
        if ipv4.prefixlen >= 31:
            return (int(ipv4.first), int(ipv4.last))
        return (int(ipv4.first) + 1, int(ipv4.last) - 1)
    text = collector.text(where, variable, value)
    parts = (text or "").split("-")
    if text is None or len(parts) != 2:
        if text is not None:
            collector.add(where, variable, "%r must be a range 'first-last' of IPv4 addresses" % (value,))
        return None
    first = collector.address(where, variable, parts[0].strip(), 4)
    last = collector.address(where, variable, parts[1].strip(), 4)
    if first is None or last is None:
        return None
    if first not in ipv4 or last not in ipv4 or first > last:
        collector.add(where, variable, "%s must be an ascending range inside %s" % (value, ipv4))
        return None
    if ipv4.prefixlen < 31:
        for label, special in (("network", ipv4.network), ("broadcast", ipv4.broadcast)):
            if first <= special <= last:
                collector.add(where, variable, "%s contains the %s address %s of %s; start the pool above it / end it "
                              "below it" % (value, label, special, ipv4))
                return None
    return (int(first), int(last))


def memberships(collector, hostname, groups, hostvars, networks):
    """Which networks a host joins and with which role: [(network_name, role)]."""
    where = host_where(hostname)
    explicit = hostvars.get("wireguard_roles")
    if explicit is not None:
        return _explicit_roles(collector, where, explicit, networks)
    roles = sorted({ROLE_GROUPS[g] for g in groups if g in ROLE_GROUPS})
    if not roles:
        return []
    if roles == ["hub", "mesh"]:
        collector.add(where, "groups", "host is in wireguard_hubs and wireguard_mesh; hubs already mesh with each other "
                      "and with mesh members: keep it in wireguard_hubs only")
        return []
    if len(roles) > 1:
        collector.add(where, "groups", "host is in several role groups (%s); use wireguard_roles to give a role per network"
                      % ", ".join(roles))
        return []
    return [(name, roles[0]) for name, net in sorted(networks.items()) if net.group is None or net.group in groups]


def _explicit_roles(collector, where, explicit, networks):
    explicit = collector.mapping(where, "wireguard_roles", explicit, "network name to role, e.g. {home: client}")
    if explicit is None:
        return []
    result = []
    for net_name, role in sorted(explicit.items(), key=lambda item: str(item[0])):
        if net_name not in networks:
            collector.add(where, "wireguard_roles", "unknown network %r%s" % (net_name, _did_you_mean(net_name, networks)))
        elif not isinstance(role, str) or role not in ROLES:
            collector.add(where, "wireguard_roles.%s" % net_name, "%s is not a role (%s)"
                          % (describe(role), ", ".join(sorted(ROLES))))
        else:
            result.append((net_name, role))
    return result


def per_network_overrides(collector, hostname, hostvars, networks):
    """wireguard_per_network checked for shape: {network: {key: value}} with known networks only."""
    where = host_where(hostname)
    per_network = collector.mapping(where, "wireguard_per_network", hostvars.get("wireguard_per_network"),
                                    "network name to settings, e.g. {home: {port: 51821}}")
    result = {}
    for net_name, overrides in (per_network or {}).items():
        variable = "wireguard_per_network.%s" % net_name
        if net_name not in networks:
            continue  # vocabulary.check_host_variables names it, with a did-you-mean
        checked = collector.mapping(where, variable, overrides, "settings without the wireguard_ prefix, e.g. {port: 51821}")
        if checked is not None:
            result[net_name] = checked
    return result


def read_member(collector, hostname, hostvars, network, role, overrides=None):
    """Build the Member record of one host in one network from its variables."""
    where = host_where(hostname)
    overrides = overrides or {}

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
    if value is not None and value != "":
        member.endpoint_host, member.endpoint_port = parse_endpoint(collector, where, var, value)
    var, value = setting("port")
    if value is not None:
        member.port = collector.integer(where, var, value, 1, 65535)
    elif member.has_endpoint or role in ("hub", "mesh") or (role == "gateway" and network.type == "site_to_site"):
        member.port = network.port
    var, value = setting("interface")
    # Not set: the network's interface, already checked (and reported) on the network.
    member.interface = network.interface if value is None else (collector.interface(where, var, value) or network.interface)
    var, value = setting("keepalive")
    if value is not None:
        member.keepalive = collector.integer(where, var, value, 0, 65535)
    var, value = setting("lans", [])
    member.lans = [net for net in (collector.cidr(where, var, item) for item in collector.string_list(where, var, value)) if net]
    var, value = setting("hub")
    if value is not None and value != "":
        member.hub = collector.name(where, var, value, "host")
    var, value = setting("full_tunnel", False)
    member.full_tunnel = collector.boolean(where, var, value)
    var, value = setting("nat", False)
    member.nat = collector.boolean(where, var, value)
    var, value = setting("dns")
    member.dns = network.dns if value is None else collector.dns(where, var, value)
    var, value = setting("peers")
    if value is not None:
        member.peers = frozenset(name for name in collector.string_list(where, var, value)
                                 if collector.name(where, var, name, "host") is not None)
    var, value = setting("public_key")
    if value is not None and value != "":
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

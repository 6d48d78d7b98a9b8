# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""wirefleet's rules (firewall.plan()'s Rule objects) in firewalld's own terms: a zone and policies.

What is written, and why so:
  - the WireGuard interfaces go into wirefleet's zone `wirefleet` (zones/wirefleet.xml), or into an existing zone
    of the user's (wireguard_firewall_firewalld_zone: then only the interface binding is added, with firewall-cmd);
  - every rule becomes a rich rule in a policy `wirefleet-<n>` (policies/wirefleet-<n>.xml), one policy per pair
    (ingress zone, egress zone) the rules need: input rules ANY -> HOST, forwarded ones between the zones of their
    interfaces (a rule without an interface: ANY), masquerade ANY -> the uplink's zone;
  - policies get negative priorities (firewalld runs them before the zones' own rules, so an accept of ours is
    not undone by a zone's default reject) and their rich rules negative priorities in plan order, so the order of
    plan() holds inside a policy (firewalld otherwise sorts rich rules by action: all drops before all accepts);
  - rules matching `ct state established,related` are left out: firewalld accepts such packets in its input and
    forward chains before any zone or policy. A `ct state new` match is dropped for the same reason.
  - `iifname != wg0` (IPv6 protection without a known uplink) has no policy equivalent: that rule is written for
    ingress ANY, which also rejects new connections between peers to the protected prefix (docs/firewall.md).

Every value in a file comes from a checked Rule (firewall.check_rule) or a checked zone name, and the XML is built
with ElementTree (escaped); render_* still refuses any control character in what it writes.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ansible_collections.wirefleet.wireguard.plugins.module_utils.firewall import HEADER, _interface, check_rule
from ansible_collections.wirefleet.wireguard.plugins.module_utils.names import control_characters, is_safe_text

OWN_ZONE = "wirefleet"
POLICY_PREFIX = "wirefleet-"
ANY, HOST = "ANY", "HOST"
# firewalld's limit for zone and policy names (nftables chain names are built from them).
ZONE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,16}")
OWN_POLICY = re.compile(re.escape(POLICY_PREFIX) + r"[0-9]{1,4}")
# Policies run in ascending priority, all before the zones (negative); rich rules likewise inside a policy.
POLICY_PRIORITY_BASE = -20000
RULE_PRIORITY_BASE = -32000
MAX_RULES = 30000
FAMILIES = {4: "ipv4", 6: "ipv6"}
REJECT_TYPES = {4: "icmp-port-unreachable", 6: "icmp6-port-unreachable"}


def zone_name(what, value):
    """A firewalld zone name as given; ValueError naming what otherwise."""
    if not isinstance(value, str) or not ZONE_NAME.fullmatch(value) or value in (ANY, HOST):
        shown = repr(value)[:80]
        if isinstance(value, str) and control_characters(value):
            raise ValueError("%s %s holds the control character(s) %s" % (what, shown,
                                                                          ", ".join(control_characters(value))))
        raise ValueError("%s %s is not a firewalld zone name (letters, digits, '_', '-'; at most 17 characters; "
                         "not ANY or HOST)" % (what, shown))
    return value


def wireguard_interfaces(system):
    """The WireGuard interfaces the `system` needs name (listen, forwarding, protect_ipv6, nat), sorted."""
    found = set()
    for key in ("listen", "forwarding", "protect_ipv6", "nat"):
        for item in (system or {}).get(key) or ():
            if isinstance(item, dict) and isinstance(item.get("interface"), str):
                found.add(item["interface"])
    return sorted(found)


def _side(interface, wg_interfaces, zone, interface_zones, default_zone, otherwise):
    if not interface:
        return otherwise
    if interface in wg_interfaces:
        return zone
    return zone_name("zone of interface %s" % interface, interface_zones.get(interface, default_zone))


def _pair(rule, wg_interfaces, zone, interface_zones, default_zone):
    """(ingress, egress) zones of the policy that carries rule."""
    if rule.chain == "input":
        return ANY, HOST
    ingress = _side(rule.iif, wg_interfaces, zone, interface_zones, default_zone, ANY)
    egress = _side(rule.oif, wg_interfaces, zone, interface_zones, default_zone, ANY)
    return ingress, egress


def _rich_rule(parent, rule, priority):
    element = ET.SubElement(parent, "rule")
    if rule.family:
        element.set("family", FAMILIES[rule.family])
    element.set("priority", str(priority))
    if rule.saddr:
        ET.SubElement(element, "source", address=rule.saddr)
    if rule.daddr:
        ET.SubElement(element, "destination", address=rule.daddr)
    if rule.proto in ("udp", "tcp"):
        ET.SubElement(element, "port", port=str(rule.dport), protocol=rule.proto)
    elif rule.proto == "icmpv6":
        ET.SubElement(element, "protocol", value="ipv6-icmp")
    if rule.verdict == "reject" and rule.family:
        ET.SubElement(element, "reject", type=REJECT_TYPES[rule.family])
    else:
        ET.SubElement(element, rule.verdict)


def _xml(root):
    ET.indent(root, space="  ")
    text = '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
    # ElementTree escapes markup but writes control characters as they are: refuse them (checked values never
    # hold one; this is the last line of defence before a root-owned file).
    bad = [char for char in control_characters(text) if char != "\\n"]
    if bad:
        raise ValueError("refusing to write firewalld XML holding the control character(s) %s" % ", ".join(bad))
    return text


def _description(comments):
    text = "%s Carries: %s" % (HEADER, "; ".join(dict.fromkeys(comments)))
    if not is_safe_text(text):
        raise ValueError("policy description %r is not one line of text" % text[:80])
    return text


def _one_forwarding_interface(rules, interfaces):
    """ValueError when traffic forwarded from two WireGuard interfaces would share one zone.

    firewalld matches a policy by zone, not by interface: with wg0 and wg1 in one zone, wg0's "not routed" drop
    and exit accept would also apply to wg1, and wg1's accepts to wg0's peers (one network's peers reaching
    the other's LANs). Refused rather than leaked.
    """
    forwarding = sorted({rule.iif for rule in rules if rule.chain == "forward" and rule.iif in interfaces})
    if len(forwarding) > 1:
        raise ValueError("the firewalld backend keeps all WireGuard interfaces in one zone, so it cannot keep the "
                         "forwarding of %s apart: use wireguard_firewall_backend: nftables on this host"
                         % ", ".join(forwarding))


def render(rules, wg_interfaces, zone=None, interface_zones=None, default_zone="public"):
    """The firewalld objects for rules: {zone, own_zone, interfaces, files: {relative path: XML text}}.

    zone: the user's zone for the WireGuard interfaces (None: wirefleet's own zone `wirefleet`, written here).
    interface_zones maps other interfaces (uplinks) to their zone; any other goes to default_zone.
    """
    interface_zones = interface_zones or {}
    if not isinstance(interface_zones, dict):
        raise ValueError("interface_zones must be a mapping")
    own = zone is None or zone == OWN_ZONE
    zone = OWN_ZONE if own else zone_name("wireguard_firewall_firewalld_zone", zone)
    zone_name("default zone", default_zone)
    if not isinstance(wg_interfaces, (list, tuple)):
        raise ValueError("wg_interfaces must be a list")
    interfaces = sorted(set(_interface("WireGuard interface", name) for name in wg_interfaces))
    if len(rules) > MAX_RULES:
        raise ValueError("%d rules are more than firewalld's rich rule priorities can order" % len(rules))
    _one_forwarding_interface(rules, interfaces)
    groups = {}
    for index, rule in enumerate(rules):
        check_rule(rule)
        if rule.ct == "established,related":
            continue
        pair = _pair(rule, interfaces, zone, interface_zones, default_zone)
        groups.setdefault(pair, []).append((index, rule))
    files = {}
    if own:
        root = ET.Element("zone")
        ET.SubElement(root, "short").text = OWN_ZONE
        ET.SubElement(root, "description").text = "%s WireGuard interfaces of wirefleet." % HEADER
        for name in interfaces:
            ET.SubElement(root, "interface", name=name)
        files["zones/%s.xml" % OWN_ZONE] = _xml(root)
    # A packet can match several policies (wg0 -> wg0 matches wirefleet -> wirefleet, wirefleet -> ANY and
    # ANY -> wirefleet): ordered by their last rule, a policy ending in plan()'s closing drop ("not routed by the
    # topology") runs after every policy whose accepts come before that drop in plan().
    ordered = sorted(groups.items(), key=lambda item: item[1][-1][0])
    for number, ((ingress, egress), members) in enumerate(ordered):
        root = ET.Element("policy", priority=str(POLICY_PRIORITY_BASE + number), target="CONTINUE")
        name = "%s%d" % (POLICY_PREFIX, number)
        ET.SubElement(root, "short").text = name
        ET.SubElement(root, "description").text = _description(rule.comment for _index, rule in members)
        ET.SubElement(root, "ingress-zone", name=ingress)
        ET.SubElement(root, "egress-zone", name=egress)
        for index, rule in members:
            _rich_rule(root, rule, RULE_PRIORITY_BASE + index)
        files["policies/%s.xml" % name] = _xml(root)
    return {"zone": zone, "own_zone": own, "interfaces": interfaces, "files": files}


def is_own_file(relative):
    """Whether a path under /etc/firewalld (zones/x.xml, policies/y.xml) is one wirefleet writes."""
    if relative == "zones/%s.xml" % OWN_ZONE:
        return True
    folder, _slash, name = relative.partition("/")
    return folder == "policies" and name.endswith(".xml") and bool(OWN_POLICY.fullmatch(name[:-4]))


def policy_names(files):
    """The names of the policies among files (relative paths), sorted."""
    return sorted(path[len("policies/"):-4] for path in files if path.startswith("policies/"))


def parse_lines(text):
    """firewall-cmd's one-per-line listings (rich rules), blank lines left out."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def parse_words(text):
    """firewall-cmd's space-separated listings (interfaces, zones, policies)."""
    return (text or "").split()


def parse_active_zones(text):
    """{interface: zone} from `firewall-cmd --get-active-zones`."""
    zones, zone = {}, None
    for line in (text or "").splitlines():
        if line and not line[0].isspace():
            zone = line.split()[0]
        elif zone and line.strip().startswith("interfaces:"):
            for name in line.split(":", 1)[1].split():
                zones[name] = zone
    return zones


def parse_firewalld_conf(text):
    """The FirewallBackend setting of firewalld.conf ('nftables' when not set, firewalld's default)."""
    backend = "nftables"
    for line in (text or "").splitlines():
        line = line.strip()
        if line.startswith("FirewallBackend="):
            backend = line.split("=", 1)[1].strip().strip('"').lower() or "nftables"
    return backend


def safe_argv(argv):
    """argv unchanged; ValueError when any argument holds a control character (never on a command line)."""
    for arg in argv:
        if not isinstance(arg, str) or control_characters(arg):
            raise ValueError("refusing to run firewall-cmd with the argument %r" % (arg,))
    return argv

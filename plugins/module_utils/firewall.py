# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Firewall rules from the engine's `system` needs, rendered for nftables or iptables.

The rules only ever live in wirefleet's own table (nftables: `inet wirefleet`) or chains (iptables:
WIREFLEET-INPUT, WIREFLEET-FORWARD, WIREFLEET-POSTROUTING), so docker, ufw and the user's rules stay.

Every value that reaches a rule is checked first, whatever its origin: interface names against
names.is_interface, addresses and CIDRs parsed by ipaddress, ports as numbers, comments as one line
without quotes. A value that could end a line or a quoted token would add a rule of its own (the rules
are loaded as root), so plan and the renderers raise ValueError naming it instead.
"""

from __future__ import annotations

import ipaddress

from ansible_collections.wirefleet.wireguard.plugins.module_utils.names import (
    INTERFACE_RULE,
    control_characters,
    ip_address,
    is_interface,
    is_safe_text,
)

NFT_TABLE = "wirefleet"
IPT_CHAINS = {"filter": ("WIREFLEET-INPUT", "WIREFLEET-FORWARD"), "nat": ("WIREFLEET-POSTROUTING",)}
HEADER = "Managed by wirefleet.wireguard (firewall role); local edits are overwritten."


class Rule:
    """One abstract rule: matches plus a verdict; rendered by both backends."""

    __slots__ = ("chain", "iif", "oif", "not_iif", "family", "saddr", "daddr", "proto", "dport", "ct", "verdict",
                 "comment")

    def __init__(self, chain, verdict, comment, iif=None, oif=None, not_iif=None, family=None, saddr=None,
                 daddr=None, proto=None, dport=None, ct=None):
        self.chain, self.verdict, self.comment = chain, verdict, comment
        self.iif, self.oif, self.not_iif, self.family = iif, oif, not_iif, family
        self.saddr, self.daddr, self.proto, self.dport, self.ct = saddr, daddr, proto, dport, ct


CHAINS = ("input", "forward", "postrouting")
VERDICTS = ("accept", "drop", "reject", "masquerade")
PROTOCOLS = ("udp", "tcp", "icmpv6")
CT_STATES = ("established,related", "new")


def _shown(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _refuse(what, value, rule):
    if isinstance(value, str) and control_characters(value):
        raise ValueError("%s %s holds the control character(s) %s, which would end its rule's line"
                         % (what, _shown(value), ", ".join(control_characters(value))))
    raise ValueError("%s %s is not %s" % (what, _shown(value), rule))


def _interface(what, value):
    # A leading '-' would read as an option in iptables-restore's argument-like lines (-o --comment ...);
    # a '+' is a wildcard to iptables (-o + matches every interface), literal to nftables.
    if not is_interface(value) or value.startswith("-") or "+" in value:
        _refuse(what, value, "an interface name (%s, without '+': iptables reads it as a wildcard)" % INTERFACE_RULE)
    return value


def _optional_interface(what, value):
    return None if value is None or value == "" else _interface(what, value)


def _cidr(what, value):
    """The text of an address or CIDR (kept as given, after ipaddress parsed it); ValueError otherwise."""
    # '%' would be an IPv6 scope id, which ipaddress accepts with any characters in it.
    if not isinstance(value, str) or control_characters(value) or "%" in value:
        _refuse(what, value, "an address or CIDR")
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        _refuse(what, value, "an address or CIDR")
    return value


def _address(what, value):
    parsed = ip_address(value)
    if parsed is None:
        _refuse(what, value, "an IP address")
    return str(parsed)


def _port(what, value):
    """A port as a number; text of ASCII digits is taken (YAML may hand one over as a string)."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        _refuse(what, value, "a port (1-65535)")
    return value


def _by_family(cidrs, what="LAN"):
    if cidrs is not None and not isinstance(cidrs, (list, tuple)):
        _refuse(what + "s", cidrs, "a list")
    groups = {4: [], 6: []}
    for cidr in cidrs or ():
        groups[ipaddress.ip_network(_cidr(what, cidr), strict=False).version].append(cidr)
    return groups


def _items(what, values):
    """The list under a key of `system` (None: none); anything else is an error naming it."""
    if values is None:
        return []
    if not isinstance(values, (list, tuple)) or not all(isinstance(item, dict) for item in values):
        _refuse(what, values, "a list of mappings")
    return values


def _comment(text):
    """The comment of a rule: one line of text, double quotes (which end the quoted token) made single."""
    if not is_safe_text(text):
        _refuse("comment", text, "one line of text")
    return text.replace('"', "'")


def check_rule(rule):
    """ValueError unless every field of rule is what the renderers may write into a line."""
    for what, value, allowed in (("chain", rule.chain, CHAINS), ("verdict", rule.verdict, VERDICTS),
                                 ("family", rule.family, (None, 4, 6)), ("proto", rule.proto, (None,) + PROTOCOLS),
                                 ("ct", rule.ct, (None,) + CT_STATES)):
        if value not in allowed or isinstance(value, bool):
            _refuse("rule " + what, value, "one of %s" % ", ".join(str(item) for item in allowed))
    for what in ("iif", "oif", "not_iif"):
        _optional_interface("rule " + what, getattr(rule, what))
    for what in ("saddr", "daddr"):
        if getattr(rule, what) is not None:
            _cidr("rule " + what, getattr(rule, what))
    if rule.proto in ("udp", "tcp"):
        _port("rule dport", rule.dport)
    _comment(rule.comment)
    return rule


def plan(system, default_interface=None, default_interface6=None, strict=True, resolved=None):
    """Ordered abstract rules for one host. resolved maps endpoint host names to addresses."""
    system = system or {}
    resolved = resolved or {}
    if not isinstance(system, dict) or not isinstance(resolved, dict):
        raise ValueError("system and resolved must be mappings")
    _optional_interface("default_interface", default_interface)
    _optional_interface("default_interface6", default_interface6)
    rules = _listen_rules(system, resolved) + _protect_rules(system) + _forward_rules(system, strict)
    rules += _nat_rules(system, default_interface, default_interface6)
    return [check_rule(rule) for rule in rules]


def _sources(listen, resolved):
    """The addresses of a listen entry's sources: literal addresses, and what names resolved to."""
    sources = listen["sources"]
    if not isinstance(sources, (list, tuple)):
        _refuse("listen sources", sources, "a list")
    addresses = []
    for source in sources:
        if ip_address(source) is not None:
            addresses.append(_address("listen source", source))
            continue
        # A name is only a key into resolved; what it resolved to must be addresses.
        found = resolved.get(source) if isinstance(source, str) else None
        if found is not None and not isinstance(found, (list, tuple)):
            _refuse("resolved addresses of %s" % _shown(source), found, "a list")
        addresses.extend(_address("resolved address of %s" % _shown(source), item) for item in found or ())
    return addresses


def _listen_rules(system, resolved):
    rules = []
    for listen in _items("listen", system.get("listen")):
        iface, port = _interface("listen interface", listen["interface"]), _port("listen port", listen["port"])
        if listen.get("sources") is None:
            rules.append(Rule("input", "accept", "%s: WireGuard port" % iface, proto="udp", dport=port))
            continue
        addresses = _sources(listen, resolved)
        for family, group in sorted(_by_family(sorted(set(addresses)), "listen source").items()):
            for address in group:
                rules.append(Rule("input", "accept", "%s: WireGuard port, known peer" % iface, proto="udp",
                                  dport=port, family=family, saddr=address))
        rules.append(Rule("input", "drop", "%s: WireGuard port, anyone else" % iface, proto="udp", dport=port))
    return rules


def _protect_rules(system):
    rules = []
    for protect in _items("protect_ipv6", system.get("protect_ipv6")):
        iface = _interface("protect_ipv6 interface", protect["interface"])
        prefix = _cidr("protect_ipv6 prefix", protect["prefix"])
        uplink = _optional_interface("protect_ipv6 uplink", protect.get("uplink"))
        if ipaddress.ip_network(prefix, strict=False).version != 6:
            _refuse("protect_ipv6 prefix", prefix, "an IPv6 prefix")
        what = "%s: protect public IPv6 %s" % (iface, prefix)
        rules.append(Rule("forward", "accept", what, oif=iface, family=6, daddr=prefix, ct="established,related"))
        rules.append(Rule("forward", "accept", what, oif=iface, family=6, daddr=prefix, proto="icmpv6"))
        rules.append(Rule("forward", "accept", what, iif=iface, family=6, saddr=prefix))
        if uplink:
            rules.append(Rule("forward", "reject", what, iif=uplink, oif=iface, family=6, daddr=prefix, ct="new"))
        else:
            rules.append(Rule("forward", "reject", what, not_iif=iface, oif=iface, family=6, daddr=prefix, ct="new"))
    return rules


def _forward_rules(system, strict):
    rules = []
    for forward in _items("forwarding", system.get("forwarding")):
        iface = _interface("forwarding interface", forward["interface"])
        if forward.get("between_peers"):
            rules.append(Rule("forward", "accept", "%s: between peers" % iface, iif=iface, oif=iface))
        for family, group in sorted(_by_family(forward.get("lans")).items()):
            for lan in group:
                rules.append(Rule("forward", "accept", "%s: to LAN %s" % (iface, lan), iif=iface, family=family,
                                  daddr=lan))
                rules.append(Rule("forward", "accept", "%s: from LAN %s" % (iface, lan), oif=iface, family=family,
                                  saddr=lan))
        if forward.get("to_uplink"):
            rules.append(Rule("forward", "accept", "%s: exit gateway" % iface, iif=iface))
            rules.append(Rule("forward", "accept", "%s: exit gateway, replies" % iface, oif=iface,
                              ct="established,related"))
        if strict:
            rules.append(Rule("forward", "accept", "%s: replies" % iface, iif=iface, ct="established,related"))
            rules.append(Rule("forward", "drop", "%s: not routed by the topology" % iface, iif=iface))
    return rules


def _nat_rules(system, default_interface, default_interface6):
    rules = []
    for nat in _items("nat", system.get("nat")):
        iface, source = _interface("nat interface", nat["interface"]), _cidr("nat source", nat["source"])
        family = ipaddress.ip_network(source, strict=False).version
        given = _optional_interface("nat out_interface", nat.get("out_interface"))
        out = given or (default_interface6 if family == 6 else None) or default_interface
        if not out:
            raise ValueError("no out_interface for NAT of %s and no default-route interface known" % source)
        rules.append(Rule("postrouting", "masquerade", "%s: NAT %s out of %s" % (iface, source, out),
                          oif=out, family=family, saddr=source))
    return rules


def _q(text):
    return '"%s"' % text


def render_nftables(rules):
    """A file for `nft -f` that replaces table inet wirefleet atomically; '' when there are no rules."""
    if not rules:
        return ""
    chains = {"input": [], "forward": [], "postrouting": []}
    for rule in rules:
        check_rule(rule)
        parts = []
        if rule.iif:
            parts.append("iifname %s" % _q(rule.iif))
        if rule.not_iif:
            parts.append("iifname != %s" % _q(rule.not_iif))
        if rule.oif:
            parts.append("oifname %s" % _q(rule.oif))
        ip = "ip6" if rule.family == 6 else "ip"
        if rule.saddr:
            parts.append("%s saddr %s" % (ip, rule.saddr))
        if rule.daddr:
            parts.append("%s daddr %s" % (ip, rule.daddr))
        if rule.proto == "icmpv6":
            parts.append("meta l4proto ipv6-icmp")
        elif rule.proto:
            parts.append("%s dport %d" % (rule.proto, rule.dport))
        if rule.ct:
            parts.append("ct state %s" % rule.ct)
        parts.append("counter")
        verdict = rule.verdict
        if verdict == "reject" and rule.family == 6:
            verdict = "reject with icmpv6 type port-unreachable"
        parts.append(verdict)
        parts.append("comment %s" % _q(_comment(rule.comment)))
        chains[rule.chain].append(" ".join(parts))
    hooks = {
        "input": "type filter hook input priority filter; policy accept;",
        "forward": "type filter hook forward priority filter; policy accept;",
        "postrouting": "type nat hook postrouting priority srcnat; policy accept;",
    }
    lines = ["#!/usr/sbin/nft -f", "# " + HEADER,
             "# Only this table is replaced; the rest of the ruleset (docker, ufw, your own) is left alone.",
             "table inet %s" % NFT_TABLE, "delete table inet %s" % NFT_TABLE, "", "table inet %s {" % NFT_TABLE]
    for chain in ("input", "forward", "postrouting"):
        if not chains[chain]:
            continue
        lines.append("\tchain %s {" % chain)
        lines.append("\t\t" + hooks[chain])
        lines.extend("\t\t" + rule for rule in chains[chain])
        lines.append("\t}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_iptables(rules, family):
    """iptables-restore --noflush input for one family (4 or 6) filling wirefleet's own chains; '' when none."""
    if not rules:
        return ""
    chain_names = {"input": "WIREFLEET-INPUT", "forward": "WIREFLEET-FORWARD", "postrouting": "WIREFLEET-POSTROUTING"}
    tables = {"filter": [], "nat": []}
    for rule in rules:
        check_rule(rule)
        if rule.family is not None and rule.family != family:
            continue
        parts = ["-A", chain_names[rule.chain]]
        if rule.iif:
            parts += ["-i", rule.iif]
        if rule.not_iif:
            parts += ["!", "-i", rule.not_iif]
        if rule.oif:
            parts += ["-o", rule.oif]
        if rule.saddr:
            parts += ["-s", rule.saddr]
        if rule.daddr:
            parts += ["-d", rule.daddr]
        if rule.proto == "icmpv6":
            parts += ["-p", "ipv6-icmp"]
        elif rule.proto:
            parts += ["-p", rule.proto, "--dport", str(rule.dport)]
        if rule.ct:
            parts += ["-m", "conntrack", "--ctstate", rule.ct.upper()]
        parts += ["-m", "comment", "--comment", _q(_comment(rule.comment))]
        target = {"accept": "ACCEPT", "drop": "DROP", "masquerade": "MASQUERADE"}.get(rule.verdict)
        if rule.verdict == "reject":
            target = "REJECT --reject-with %s" % ("icmp6-port-unreachable" if family == 6 else "icmp-port-unreachable")
        parts += ["-j", target]
        tables["nat" if rule.chain == "postrouting" else "filter"].append(" ".join(parts))
    lines = ["# " + HEADER,
             "# Loaded with %s-restore --noflush: only wirefleet's own chains are (re)filled."
             % ("ip6tables" if family == 6 else "iptables")]
    for table in ("filter", "nat"):
        lines.append("*%s" % table)
        lines.extend(":%s - [0:0]" % chain for chain in IPT_CHAINS[table])
        lines.extend(tables[table])
        lines.append("COMMIT")
    return "\n".join(lines) + "\n"

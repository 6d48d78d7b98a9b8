# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Firewall rules from the engine's `system` needs, rendered for nftables or iptables.

The rules only ever live in wirefleet's own table (nftables: `inet wirefleet`) or chains (iptables:
WIREFLEET-INPUT, WIREFLEET-FORWARD, WIREFLEET-POSTROUTING), so docker, ufw and the user's rules stay.
"""

from __future__ import annotations

import ipaddress

NFT_TABLE = "wirefleet"
IPT_CHAINS = {"filter": ("WIREFLEET-INPUT", "WIREFLEET-FORWARD"), "nat": ("WIREFLEET-POSTROUTING",)}
HEADER = "Managed by wirefleet.wireguard (firewall role); local edits are overwritten."


class Rule:
    """One abstract rule: matches plus a verdict; rendered by both backends."""

    __slots__ = ("chain", "iif", "oif", "not_iif", "family", "saddr", "daddr", "proto", "dport", "ct", "verdict", "comment")

    def __init__(self, chain, verdict, comment, iif=None, oif=None, not_iif=None, family=None, saddr=None,
                 daddr=None, proto=None, dport=None, ct=None):
        self.chain, self.verdict, self.comment = chain, verdict, comment
        self.iif, self.oif, self.not_iif, self.family = iif, oif, not_iif, family
        self.saddr, self.daddr, self.proto, self.dport, self.ct = saddr, daddr, proto, dport, ct


def _family(cidr):
    return ipaddress.ip_network(cidr, strict=False).version


def _by_family(cidrs):
    groups = {4: [], 6: []}
    for cidr in cidrs or ():
        groups[_family(cidr)].append(str(cidr))
    return groups


def plan(system, default_interface=None, default_interface6=None, strict=True, resolved=None):
    """Ordered abstract rules for one host. resolved maps endpoint host names to addresses."""
    system = system or {}
    resolved = resolved or {}
    rules = []
    for listen in system.get("listen") or ():
        iface, port = listen["interface"], int(listen["port"])
        if listen.get("sources") is None:
            rules.append(Rule("input", "accept", "%s: WireGuard port" % iface, proto="udp", dport=port))
            continue
        addresses = []
        for source in listen["sources"]:
            try:
                addresses.append(str(ipaddress.ip_address(source)))
            except ValueError:
                addresses.extend(resolved.get(source) or ())
        for family, group in sorted(_by_family(sorted(set(addresses))).items()):
            for address in group:
                rules.append(Rule("input", "accept", "%s: WireGuard port, known peer" % iface, proto="udp",
                                  dport=port, family=family, saddr=address))
        rules.append(Rule("input", "drop", "%s: WireGuard port, anyone else" % iface, proto="udp", dport=port))

    for protect in system.get("protect_ipv6") or ():
        iface, prefix, uplink = protect["interface"], protect["prefix"], protect.get("uplink")
        what = "%s: protect public IPv6 %s" % (iface, prefix)
        rules.append(Rule("forward", "accept", what, oif=iface, family=6, daddr=prefix, ct="established,related"))
        rules.append(Rule("forward", "accept", what, oif=iface, family=6, daddr=prefix, proto="icmpv6"))
        rules.append(Rule("forward", "accept", what, iif=iface, family=6, saddr=prefix))
        if uplink:
            rules.append(Rule("forward", "reject", what, iif=uplink, oif=iface, family=6, daddr=prefix, ct="new"))
        else:
            rules.append(Rule("forward", "reject", what, not_iif=iface, oif=iface, family=6, daddr=prefix, ct="new"))

    for forward in system.get("forwarding") or ():
        iface = forward["interface"]
        if forward.get("between_peers"):
            rules.append(Rule("forward", "accept", "%s: between peers" % iface, iif=iface, oif=iface))
        for family, group in sorted(_by_family(forward.get("lans")).items()):
            for lan in group:
                rules.append(Rule("forward", "accept", "%s: to LAN %s" % (iface, lan), iif=iface, family=family, daddr=lan))
                rules.append(Rule("forward", "accept", "%s: from LAN %s" % (iface, lan), oif=iface, family=family, saddr=lan))
        if forward.get("to_uplink"):
            rules.append(Rule("forward", "accept", "%s: exit gateway" % iface, iif=iface))
            rules.append(Rule("forward", "accept", "%s: exit gateway, replies" % iface, oif=iface, ct="established,related"))
        if strict:
            rules.append(Rule("forward", "accept", "%s: replies" % iface, iif=iface, ct="established,related"))
            rules.append(Rule("forward", "drop", "%s: not routed by the topology" % iface, iif=iface))

    for nat in system.get("nat") or ():
        family = _family(nat["source"])
        out = nat.get("out_interface") or (default_interface6 if family == 6 else None) or default_interface
        if not out:
            raise ValueError("no out_interface for NAT of %s and no default-route interface known" % nat["source"])
        rules.append(Rule("postrouting", "masquerade", "%s: NAT %s out of %s" % (nat["interface"], nat["source"], out),
                          oif=out, family=family, saddr=nat["source"]))
    return rules


def _q(text):
    return '"%s"' % text


def render_nftables(rules):
    """A file for `nft -f` that replaces table inet wirefleet atomically; '' when there are no rules."""
    if not rules:
        return ""
    chains = {"input": [], "forward": [], "postrouting": []}
    for rule in rules:
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
        parts.append("comment %s" % _q(rule.comment.replace('"', "'")))
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
        parts += ["-m", "comment", "--comment", _q(rule.comment.replace('"', "'"))]
        target = {"accept": "ACCEPT", "drop": "DROP", "masquerade": "MASQUERADE"}.get(rule.verdict)
        if rule.verdict == "reject":
            target = "REJECT --reject-with %s" % ("icmp6-port-unreachable" if family == 6 else "icmp-port-unreachable")
        parts += ["-j", target]
        tables["nat" if rule.chain == "postrouting" else "filter"].append(" ".join(parts))
    lines = ["# " + HEADER,
             "# Loaded with %s-restore --noflush: only wirefleet's own chains are (re)filled." % ("ip6tables" if family == 6 else "iptables")]
    for table in ("filter", "nat"):
        lines.append("*%s" % table)
        lines.extend(":%s - [0:0]" % chain for chain in IPT_CHAINS[table])
        lines.extend(tables[table])
        lines.append("COMMIT")
    return "\n".join(lines) + "\n"

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
import re

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


def _iptables_line(rule, family, chain_name):
    """One `-A` line of rule in chain_name for iptables-restore (family 4 or 6)."""
    check_rule(rule)
    parts = ["-A", chain_name]
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
    return " ".join(parts)


def render_iptables(rules, family):
    """iptables-restore --noflush input for one family (4 or 6) filling wirefleet's own chains; '' when none."""
    if not rules:
        return ""
    chain_names = {"input": "WIREFLEET-INPUT", "forward": "WIREFLEET-FORWARD", "postrouting": "WIREFLEET-POSTROUTING"}
    tables = {"filter": [], "nat": []}
    # Jumped to from the top of FORWARD, the exit accept goes only out of the NAT uplinks (see _towards_uplinks).
    uplinks = sorted({rule.oif for rule in rules if rule.chain == "postrouting" and rule.family == family and rule.oif})
    for rule in rules:
        check_rule(rule)
        if rule.family is not None and rule.family != family:
            continue
        for written in _towards_uplinks(rule, uplinks):
            tables["nat" if rule.chain == "postrouting" else "filter"].append(
                _iptables_line(written, family, chain_names[rule.chain]))
    lines = ["# " + HEADER,
             "# Loaded with %s-restore --noflush: only wirefleet's own chains are (re)filled."
             % ("ip6tables" if family == 6 else "iptables")]
    for table in ("filter", "nat"):
        lines.append("*%s" % table)
        lines.extend(":%s - [0:0]" % chain for chain in IPT_CHAINS[table])
        lines.extend(tables[table])
        lines.append("COMMIT")
    return "\n".join(lines) + "\n"


# Coexistence with the firewalls already on a host (facts from the firewall_facts module).
# An accept in one base chain ends only that chain: a drop in any other base chain at the same hook is final.
# So wherever wirefleet accepts traffic at a hook, every foreign base chain there that drops must either be
# passed (an iptables chain: a jump at its top into a chain of accepts of ours, as the iptables backend does)
# or be vouched for by the user (trusted); anything else fails the host before its tunnel comes up.
BACKENDS = ("auto", "firewalld", "ufw", "nftables", "iptables", "none")
PASS_CHAINS = {"input": "WIREFLEET-PASS-INPUT", "forward": "WIREFLEET-PASS-FORWARD"}
BUILTIN_CHAINS = {"input": "INPUT", "forward": "FORWARD"}
WHAT_IS_DROPPED = {"input": "the WireGuard port", "forward": "forwarded packets"}
FACT_FAMILIES = {"ip": (4,), "ip6": (6,), "inet": (4, 6)}


def choose_backend(requested, facts):
    """(backend, problems): the backend wirefleet uses on this host, or why it cannot use it.

    auto follows what is active: firewalld when it runs, ufw when it is active (each then carries wirefleet's
    rules in its own terms), else nftables when nft is installed or no iptables is, else iptables.
    """
    if requested not in BACKENDS:
        _refuse("wireguard_firewall_backend", requested, "one of %s" % ", ".join(BACKENDS))
    if requested == "firewalld" and not facts.get("firewalld_running"):
        return "firewalld", ["wireguard_firewall_backend is firewalld but firewalld is not running on this host: "
                             "start it (systemctl enable --now firewalld) or choose another backend"]
    if requested in ("firewalld", "auto") and facts.get("firewalld_running") and \
            facts.get("firewalld_backend") not in (None, "nftables"):
        return "firewalld", ["firewalld runs with FirewallBackend=%s (/etc/firewalld/firewalld.conf): wirefleet's "
                             "firewalld backend needs FirewallBackend=nftables (firewalld's default since 0.6; its "
                             "iptables backend is deprecated): set it and restart firewalld, or set "
                             "wireguard_firewall_backend: none and open the WireGuard traffic in firewalld yourself"
                             % _fact(facts, "firewalld_backend")]
    if requested == "ufw" and not facts.get("ufw_installed"):
        return "ufw", ["wireguard_firewall_backend is ufw but ufw is not installed on this host: install it or "
                       "choose another backend"]
    if requested != "auto":
        return requested, []
    if facts.get("nft_unreadable"):
        return "nftables", ["`nft -j list ruleset` failed on this host, so wirefleet cannot tell whether another "
                            "firewall drops its traffic: fix nft (or set wireguard_firewall_backend explicitly)"]
    if facts.get("firewalld_running"):
        return "firewalld", []
    if facts.get("ufw_active"):
        return "ufw", []
    if facts.get("nft") or not facts.get("iptables"):
        return "nftables", []
    return "iptables", []


def _owned_by(backend, chain):
    """Whether chain belongs to the firewall tool that carries wirefleet's rules (its drops are that tool's
    defaults, which wirefleet's rules in that tool pass): ufw's are the iptables built-in chains it fills,
    firewalld's its own nftables table (with FirewallBackend=iptables, the iptables built-ins)."""
    tool = chain.get("tool")
    if backend == "ufw":
        return tool in ("iptables", "ip6tables")
    if backend == "firewalld":
        return (tool == "nftables" and chain.get("table") == "firewalld") or chain.get("owner") == "firewalld"
    return False


def _accepted_families(rules):
    """{hook: set of IP versions} at which the planned rules accept something."""
    hooks = {}
    for rule in rules:
        if rule.verdict == "accept" and rule.chain in PASS_CHAINS:
            hooks.setdefault(rule.chain, set()).update((rule.family,) if rule.family else (4, 6))
    return hooks


def _fact(chain, key):
    """A name from the host's ruleset, for a message: as it is when it is one line of text, else quoted."""
    value = chain.get(key)
    return value if is_safe_text(value) and value.strip() == value and value else _shown(value)


def _chain_id(chain):
    return "%s %s %s" % (_fact(chain, "family"), _fact(chain, "table"), _fact(chain, "chain"))


def _why(chain):
    reasons = ["policy drop"] if chain.get("policy") == "drop" else []
    if isinstance(chain.get("drop_rules"), int) and chain["drop_rules"] > 0:
        reasons.append("%d drop/reject rule(s)" % chain["drop_rules"])
    return ", ".join(reasons)


def _foreign_drops(facts, hooks):
    """(chain, families it drops at a hook where wirefleet accepts) for every dropping foreign filter chain."""
    found = []
    for chain in facts.get("chains") or ():
        if not isinstance(chain, dict) or not chain.get("drops") or chain.get("type", "filter") != "filter":
            continue
        families = hooks.get(chain.get("hook"), set()) & set(FACT_FAMILIES.get(chain.get("family"), ()))
        if families:
            found.append((chain, sorted(families)))
    return found


def _nft_problem(chain):
    return ("table %s %s, chain %s (hook %s, %s) would drop %s that wirefleet accepts: an accept in wirefleet's "
            "rules does not override a drop in another table, and wirefleet does not edit tables of others. Remove "
            "that drop (or make the chain's policy accept); or, once that chain accepts the WireGuard traffic, list "
            "'%s' in wireguard_firewall_trusted_chains; or set wireguard_firewall_backend: none and allow the "
            "WireGuard traffic there yourself" % (_fact(chain, "family"), _fact(chain, "table"), _fact(chain, "chain"),
                                                  chain["hook"], _why(chain), WHAT_IS_DROPPED[chain["hook"]],
                                                  _chain_id(chain)))


TRUSTED_CHAIN = re.compile(r"(ip|ip6|inet) [A-Za-z0-9_.-]{1,64} [A-Za-z0-9_.-]{1,64}")


def _trusted_chains(trusted):
    """The set of "family table chain" texts; ValueError naming wireguard_firewall_trusted_chains otherwise."""
    if trusted is None:
        return set()
    if not isinstance(trusted, (list, tuple)):
        _refuse("wireguard_firewall_trusted_chains", trusted, "a list of 'family table chain'")
    for entry in trusted:
        if not isinstance(entry, str) or not TRUSTED_CHAIN.fullmatch(entry):
            _refuse("wireguard_firewall_trusted_chains entry", entry,
                    "'family table chain' (family ip, ip6 or inet; e.g. 'inet userfw input')")
    return set(trusted)


def placement(rules, facts, backend="auto", trusted=()):
    """Where wirefleet's accepts must go on this host so they take effect, or why they cannot.

    Returns {backend, hooks: [{family, hook, chain, target}], problems: [text], notes: [text], rule_count}: hooks are
    the iptables built-in chains into which a jump to WIREFLEET-PASS-<hook> (the accepts of rules at that hook)
    goes first; a non-empty problems means the host must fail before its tunnel is brought up. trusted lists
    chains ("family table chain") the user made accept the traffic (wireguard_firewall_trusted_chains).
    """
    trusted = _trusted_chains(trusted)
    facts = facts if isinstance(facts, dict) else {}
    backend, problems = choose_backend(backend, facts)
    result = {"backend": backend, "hooks": [], "problems": problems, "notes": [], "rule_count": len(rules or ())}
    if backend == "none" or problems or not rules:
        return result
    hooks = _accepted_families(rules)
    for chain in facts.get("chains") or ():
        if isinstance(chain, dict) and not chain.get("drops") and chain.get("conditional_drop_rules") and hooks.get(
                chain.get("hook")):
            result["notes"].append("%s has %s conditional drop/reject rule(s) (e.g. fail2ban): wirefleet assumes they "
                                   "do not match WireGuard traffic" % (_chain_id(chain), chain["conditional_drop_rules"]))
    for chain, families in _foreign_drops(facts, hooks):
        name = _chain_id(chain)
        if _owned_by(backend, chain):
            continue
        if name in trusted:
            result["notes"].append("%s (%s) is trusted to accept the WireGuard traffic itself" % (name, _why(chain)))
        elif chain.get("tool") in ("iptables", "ip6tables") and chain.get("chain") == BUILTIN_CHAINS[chain["hook"]]:
            _place(result, chain, families, backend, facts.get("docker_user"))
        else:
            problems.append(_nft_problem(chain))
    return result


def _place(result, chain, families, backend, docker_user):
    if backend == "iptables":
        # the iptables backend's own chains are jumped to from the top of INPUT/FORWARD already
        return
    target = PASS_CHAINS[chain["hook"]]
    for family in families:
        result["hooks"].append({"family": family, "hook": chain["hook"], "chain": chain["chain"], "target": target})
    docker = ", Docker's DOCKER-USER present" if chain["hook"] == "forward" and docker_user else ""
    result["notes"].append("%s %s drops (%s%s): wirefleet's %s accepts are placed in %s, jumped to from its top"
                           % (_fact(chain, "tool"), _fact(chain, "chain"), _why(chain), docker, chain["hook"], target))


def _is_exit_accept(rule):
    """The exit gateway's `iif wg0 accept`: anything from the tunnel, wherever it goes."""
    narrowed = rule.oif or rule.not_iif or rule.saddr or rule.daddr or rule.proto or rule.ct
    return rule.chain == "forward" and rule.verdict == "accept" and bool(rule.iif) and not narrowed


def _towards_uplinks(rule, uplinks):
    """Placed in front of another firewall's drops, the exit accept goes only out of the NAT uplinks: placed
    first in FORWARD, `-i wg0 -j ACCEPT` would also open Docker's bridges and unpublished container ports to
    every peer, which Docker's own chains drop."""
    if not _is_exit_accept(rule) or not uplinks:
        return [rule]
    return [Rule(rule.chain, rule.verdict, "%s, out of %s" % (rule.comment, uplink), iif=rule.iif, oif=uplink,
                 family=rule.family) for uplink in uplinks]


def render_pass_iptables(rules, family, hooks):
    """iptables-restore --noflush input with the accepts of rules in WIREFLEET-PASS-* for the placed hooks."""
    wanted = sorted({hook.get("hook") for hook in hooks if hook.get("family") == family} & set(PASS_CHAINS))
    if not wanted:
        return ""
    lines = ["# " + HEADER,
             "# Accepts of wirefleet placed in %s, jumped to first from %s, where another firewall drops."
             % ("ip6tables" if family == 6 else "iptables", " and ".join(BUILTIN_CHAINS[h] for h in wanted)),
             "*filter"]
    lines.extend(":%s - [0:0]" % PASS_CHAINS[hook] for hook in wanted)
    uplinks = sorted({rule.oif for rule in rules if rule.chain == "postrouting" and rule.family == family and rule.oif})
    for rule in rules:
        if rule.chain in wanted and rule.verdict == "accept" and rule.family in (None, family):
            for placed in _towards_uplinks(rule, uplinks):
                lines.append(_iptables_line(placed, family, PASS_CHAINS[rule.chain]))
    lines.append("COMMIT")
    return "\n".join(lines) + "\n"

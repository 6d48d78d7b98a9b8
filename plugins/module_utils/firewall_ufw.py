# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""wirefleet's firewall rules in ufw's own terms (the ufw backend), pure: no command is run here.

- Rule objects of firewall.plan() become `ufw allow|deny|reject ...` and `ufw route ...` argument lists, each
  with the comment 'wirefleet: <what>' by which wirefleet recognises its own rules (and only those) later.
- ufw stores its rules in /etc/ufw/user.rules and user6.rules as `### tuple ###` lines; parse_user_rules reads
  them, and changes() works out what to delete and add so that wirefleet's rules stand in ufw's list in plan
  order (after the user's own rules, which are never touched).
- MASQUERADE lives in ufw's before.rules / before6.rules as a managed block: a `*nat` table declaring the chain
  WIREFLEET-UFW-NAT (declaring a chain in iptables-restore input flushes it, so every ufw reload refills it
  instead of adding a copy). The jump from POSTROUTING, which no restore input can add without duplicating it
  (ufw loads with --noflush and never flushes the nat table), is added once by a managed block in ufw's
  before.init hook: `iptables -C || iptables -A`.

Every value reaching an argument or a file line comes from a Rule that firewall.check_rule passed, or from a
ufw tuple whose fields are checked again here; ValueError names anything else.
"""

from __future__ import annotations

import binascii
import ipaddress
import re

from ansible_collections.wirefleet.wireguard.plugins.module_utils.firewall import check_rule
from ansible_collections.wirefleet.wireguard.plugins.module_utils.names import control_characters, is_interface

COMMENT_PREFIX = "wirefleet: "
NAT_CHAIN = "WIREFLEET-UFW-NAT"
BEGIN = "# BEGIN wirefleet.wireguard (managed by the firewall role; rewritten on every run, do not edit)"
END = "# END wirefleet.wireguard"
ACTIONS = {"accept": "allow", "drop": "deny", "reject": "reject"}
ANY = {4: "0.0.0.0/0", 6: "::/0"}
PORT_RE = re.compile(r"[0-9]{1,5}")
ACTION_RE = re.compile(r"(route:)?(allow|deny|reject|limit)(_log|_log-all)?")


class UfwRule:
    """One rule of wirefleet in ufw: the arguments after `ufw`, and the key of the tuple ufw stores per family."""

    __slots__ = ("args", "keys", "comment")

    def __init__(self, args, keys, comment):
        self.args, self.keys, self.comment = args, keys, comment

    def shown(self):
        return "ufw " + " ".join("'%s'" % arg if " " in arg else arg for arg in self.args)


def _network(text):
    """The canonical text of an address or CIDR (None for any), as compared with ufw's tuples."""
    if text is None:
        return None
    network = ipaddress.ip_network(text, strict=False)
    if network.prefixlen == 0:
        return None
    if network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return str(network)


def _key(route, action, proto=None, dport=None, dst=None, src=None, in_if=None, out_if=None):
    """What makes two ufw rules the same rule to ufw (it updates, rather than adds, a rule with the same key)."""
    return (route, proto, dport, _network(dst), _network(src), in_if, out_if), action


def _comment(rule):
    # check_rule made the comment one line; ufw's own output quotes it in single quotes, so none are kept.
    text = COMMENT_PREFIX + rule.comment.replace("'", "").replace('"', "")
    if control_characters(text):
        raise ValueError("comment %r holds control characters" % text)
    return text


def _families(rule, ipv6):
    """The IP versions ufw keeps a rule for: its family, that of its address, else both (v4 only without IPV6)."""
    family = rule.family
    if family is None and (rule.saddr or rule.daddr):
        family = ipaddress.ip_network(rule.saddr or rule.daddr, strict=False).version
    return tuple(version for version in ((family,) if family else (4, 6)) if version == 4 or ipv6)


def _ufw_rule(rule, ipv6, iif=None, oif=None):
    """The UfwRule of one checked Rule (input: `ufw ACTION ...`, forward: `ufw route ACTION ...`)."""
    families = _families(rule, ipv6)
    if not families:
        return None
    action = ACTIONS[rule.verdict]
    route = rule.chain == "forward"
    proto = rule.proto if rule.proto in ("udp", "tcp") else None
    port = str(rule.dport) if proto else None
    src, dst = _network(rule.saddr), _network(rule.daddr)
    args = ["route", action] if route else [action]
    if route and iif:
        args += ["in", "on", iif]
    if route and oif:
        args += ["out", "on", oif]
    if proto:
        args += ["proto", proto]
    # An address-less rule of one family names that family's "any", so that ufw keeps it to that family.
    only = rule.family if not (src or dst) else None
    args += ["from", src or (ANY[only] if only else "any"), "to", dst or "any"]
    if port:
        args += ["port", port]
    comment = _comment(rule)
    args += ["comment", comment]
    keys = {family: _key(route, action, proto, port, dst, src, iif if route else None, oif if route else None)
            for family in families}
    return UfwRule(args, keys, comment)


def render(rules, ipv6=True):
    """(ufw rules in order, {4: [nat lines], 6: [nat lines]}, notes) for the checked rules of plan().

    What ufw does itself is not written again: its before*.rules accept RELATED,ESTABLISHED traffic (and the
    usual ICMPv6) before any user rule, and its default routed policy drops what no rule allows, which is
    wirefleet's strict "not routed by the topology" drop; a rule of wirefleet's there would also shadow every
    route rule the user adds later (ufw appends new rules).
    """
    ufw_rules, nat, notes, late = [], {4: [], 6: []}, [], []
    uplinks = sorted({rule.oif for rule in rules if rule.chain == "postrouting" and rule.oif})
    for rule in rules:
        check_rule(rule)
        if rule.chain == "postrouting":
            nat[rule.family].append(nat_line(rule))
            continue
        if rule.ct == "established,related" or rule.proto == "icmpv6":
            continue  # ufw's before*.rules accept these already
        if rule.chain == "forward" and rule.verdict == "drop" and not (rule.oif or rule.saddr or rule.daddr):
            notes.append("%s: left to ufw's default routed policy" % rule.comment)
            continue
        if rule.not_iif:
            # ufw cannot say "not in on wg0": the reject goes after wirefleet's accepts of traffic in on wg0.
            late.append(_ufw_rule(rule, ipv6, oif=rule.oif))
            continue
        if rule.chain == "forward" and rule.iif and not (rule.oif or rule.saddr or rule.daddr or rule.proto) \
                and uplinks:
            # The exit gateway's accept goes out of the NAT uplinks only (as firewall._towards_uplinks).
            ufw_rules.extend(_ufw_rule(rule, ipv6, iif=rule.iif, oif=uplink) for uplink in uplinks)
            continue
        ufw_rules.append(_ufw_rule(rule, ipv6, iif=rule.iif, oif=rule.oif))
    ufw_rules = [rule for rule in ufw_rules + late if rule is not None]
    if not ipv6 and nat[6]:
        notes.append("IPv6 NAT not written: IPV6 is not yes in /etc/default/ufw")
        nat[6] = []
    return ufw_rules, nat, notes


def nat_line(rule):
    """The `-A WIREFLEET-UFW-NAT ...` line of a checked masquerade Rule, as iptables -S prints it back."""
    check_rule(rule)
    if rule.verdict != "masquerade" or not rule.saddr or not rule.oif:
        raise ValueError("not a masquerade rule with a source and an out interface: %r" % rule.comment)
    source = ipaddress.ip_network(rule.saddr, strict=False)
    return '-A %s -s %s -o %s -m comment --comment "%s" -j MASQUERADE' % (NAT_CHAIN, source, rule.oif, _comment(rule))


def nat_block(lines):
    """The managed block of before.rules / before6.rules ('' when there is nothing to masquerade)."""
    if not lines:
        return ""
    return "\n".join([BEGIN, "# NAT of wirefleet; jumped to from POSTROUTING by the block in before.init.", "*nat",
                      ":%s - [0:0]" % NAT_CHAIN] + list(lines) + ["COMMIT", END]) + "\n"


def init_block(families):
    """The managed block of before.init: on start, create the chain and jump to it once per family."""
    if not families:
        return ""
    lines = [BEGIN, 'if [ "$1" = start ]; then']
    for family in sorted(families):
        tool = "ip6tables" if family == 6 else "iptables"
        lines.append("    %s -w -t nat -N %s 2>/dev/null || true" % (tool, NAT_CHAIN))
        lines.append("    %s -w -t nat -C POSTROUTING -j %s 2>/dev/null || %s -w -t nat -A POSTROUTING -j %s"
                     % (tool, NAT_CHAIN, tool, NAT_CHAIN))
    lines += ["fi", END]
    return "\n".join(lines) + "\n"


def without_block(text):
    """text without wirefleet's managed block (and the block's text, '' when there was none)."""
    lines = text.splitlines(True)
    begin = next((i for i, line in enumerate(lines) if line.rstrip("\n") == BEGIN), None)
    if begin is None:
        return text, ""
    end = next((i for i in range(begin, len(lines)) if lines[i].rstrip("\n") == END), None)
    if end is None:
        raise ValueError("wirefleet's block has a BEGIN line but no END line: fix the file by hand")
    return "".join(lines[:begin] + lines[end + 1:]), "".join(lines[begin:end + 1])


def with_rules_block(text, block):
    """before.rules / before6.rules with block in place of wirefleet's old one, before the first table."""
    rest, old = without_block(text)
    if not block:
        return rest
    lines = rest.splitlines(True)
    where = next((i for i, line in enumerate(lines) if line.startswith("*")), len(lines))
    # above the comment that belongs to the first table ("# Don't delete these required lines ...")
    while where > 0 and lines[where - 1].startswith("#") and where < len(lines):
        where -= 1
    if old:
        where = len(text[:text.index(old)].splitlines(True))
    return "".join(lines[:where] + [block] + lines[where:])


def with_init_block(text, block):
    """before.init with block after its first line (the #! line; one is added to an empty file)."""
    rest, old = without_block(text)
    if not block:
        return rest
    if not rest.strip():
        rest = "#!/bin/sh\n"
    lines = rest.splitlines(True)
    where = 1 if lines and lines[0].startswith("#!") else 0
    if old:
        where = len(text[:text.index(old)].splitlines(True))
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return "".join(lines[:where] + [block] + lines[where:])


def _direction(text):
    """(in or out, in interface, out interface) from a tuple's direction field (in, in_eth0, in_wg0!out_wg0)."""
    in_if = out_if = None
    parts = text.split("!")
    for part in parts:
        side, _sep, name = part.partition("_")
        if side not in ("in", "out"):
            raise ValueError("direction %r" % text)
        if name:
            if side == "in":
                in_if = name
            else:
                out_if = name
    return parts[0].partition("_")[0], in_if, out_if


def _decoded(hexed):
    try:
        return binascii.unhexlify(hexed).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


def parse_user_rules(text, family):
    """ufw's rules of one family in order, from user.rules (4) or user6.rules (6): dicts with `ours`, `key`."""
    found = []
    for line in text.splitlines():
        if not line.startswith("### tuple ### "):
            continue
        fields = line[len("### tuple ### "):].split(" ")
        comment = None
        if fields and fields[-1].startswith("comment="):
            comment = _decoded(fields.pop()[len("comment="):])
        entry = {"family": family, "line": line, "comment": comment,
                 "ours": isinstance(comment, str) and comment.startswith(COMMENT_PREFIX)}
        try:
            action, proto, dport, dst, sport, src = fields[:6]
            direction, in_if, out_if = _direction(fields[-1])
            apps = fields[6:-1]
        except ValueError:
            entry.update(key=None, parsed=None)
            found.append(entry)
            continue
        route = action.startswith("route:")
        plain = action[len("route:"):] if route else action
        entry["parsed"] = {"route": route, "action": plain, "proto": proto, "dport": dport, "dst": dst,
                           "sport": sport, "src": src, "direction": direction, "in_if": in_if, "out_if": out_if,
                           "apps": apps}
        try:
            entry["key"] = (route, None if proto == "any" else proto, None if dport == "any" else dport,
                            _network(dst), _network(src), in_if, out_if) if not apps and sport == "any" else None
        except ValueError:
            entry["key"] = None
        found.append(entry)
    return found


def _checked_interface(name):
    if not is_interface(name) or "+" in name:
        raise ValueError("interface %r in ufw's rules of wirefleet" % (name,))
    return name


def _checked_address(text):
    if control_characters(text) or "%" in text or text.startswith("-"):
        raise ValueError("address %r in ufw's rules of wirefleet" % (text,))
    return _network(text) or "any"


def delete_args(entry):
    """`ufw [route] delete ...` arguments that delete the rule of a parsed tuple of wirefleet's (checked)."""
    parsed = entry.get("parsed")
    if not entry.get("ours") or not parsed or parsed["apps"] or not ACTION_RE.fullmatch(
            ("route:" if parsed["route"] else "") + parsed["action"]):
        raise ValueError("not a rule of wirefleet's that can be deleted: %r" % entry.get("line"))
    args = ["route", "delete", parsed["action"]] if parsed["route"] else ["delete", parsed["action"]]
    if parsed["route"]:
        if parsed["in_if"]:
            args += ["in", "on", _checked_interface(parsed["in_if"])]
        if parsed["out_if"]:
            args += ["out", "on", _checked_interface(parsed["out_if"])]
    else:
        args.append(parsed["direction"])
        if parsed["in_if"] or parsed["out_if"]:
            args += ["on", _checked_interface(parsed["in_if"] or parsed["out_if"])]
    if parsed["proto"] != "any":
        if parsed["proto"] not in ("udp", "tcp"):
            raise ValueError("protocol %r in ufw's rules of wirefleet" % (parsed["proto"],))
        args += ["proto", parsed["proto"]]
    args += ["from", _checked_address(parsed["src"])]
    for what, port in (("source port", parsed["sport"]), ("port", parsed["dport"])):
        if port != "any" and not PORT_RE.fullmatch(port):
            raise ValueError("%s %r in ufw's rules of wirefleet" % (what, port))
    if parsed["sport"] != "any":
        args += ["port", parsed["sport"]]
    args += ["to", _checked_address(parsed["dst"])]
    if parsed["dport"] != "any":
        args += ["port", parsed["dport"]]
    return args


def changes(wanted, current):
    """(entries to delete, UfwRules to add, UfwRules skipped with the user's rule that decides them instead).

    current is parse_user_rules of both families (4 first). wirefleet's rules must stand in ufw's list in
    wanted's order (ufw: first match wins; the allows of known peers before the deny of anyone else): the
    longest run of wanted rules already in place stays, wirefleet's rules after it are deleted and the rest
    added again (ufw appends). A wanted rule whose key a rule of the user's has is skipped: ufw would update
    the user's rule into ours.
    """
    users = {}
    for entry in current:
        if not entry["ours"] and entry["key"] is not None:
            users.setdefault((entry["family"], entry["key"]), entry)
    kept_wanted, skipped = [], []
    for rule in wanted:
        clash = next((users[(family, key[0])] for family, key in sorted(rule.keys.items())
                      if (family, key[0]) in users), None)
        if clash is None:
            kept_wanted.append(rule)
        else:
            skipped.append((rule, clash))
    ours = {4: [e for e in current if e["ours"] and e["family"] == 4],
            6: [e for e in current if e["ours"] and e["family"] == 6]}
    place = {4: 0, 6: 0}
    in_place = 0
    for rule in kept_wanted:
        if all(place[family] < len(ours[family]) and ours[family][place[family]]["key"] == key[0]
               and ours[family][place[family]]["parsed"]["action"] == key[1]
               and ours[family][place[family]]["comment"] == rule.comment
               for family, key in rule.keys.items()):
            for family in rule.keys:
                place[family] += 1
            in_place += 1
        else:
            break
    deletes = ours[4][place[4]:] + ours[6][place[6]:]
    return deletes, kept_wanted[in_place:], skipped


def shown(entry):
    """One line of text for a parsed tuple (for diffs and messages)."""
    return "%s (v%d)%s" % (entry["line"][len("### tuple ### "):].split(" comment=")[0], entry["family"],
                           " # " + entry["comment"] if entry["comment"] else "")


def parse_defaults(text):
    """The settings of /etc/default/ufw that matter here: IPV6 (bool) and the routed policy (drop/accept/reject)."""
    values = {}
    for line in text.splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and not name.startswith("#"):
            values[name.strip()] = value.strip().strip('"').strip("'")
    return {"ipv6": values.get("IPV6", "yes").lower() == "yes",
            "routed_policy": values.get("DEFAULT_FORWARD_POLICY", "DROP").lower()}

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: firewall_facts
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: Which firewalls are active on the host, and which of their base chains drop
description:
  - Reads the host's firewalls without changing anything, so wirefleet can place its accepts where they take
    effect, or refuse the host with a message naming the chain that would drop its traffic.
  - "Tools: C(nft) (and whether C(nft list ruleset) works), C(iptables) and its variant (C(nft) or C(legacy)),
    whether C(ufw) is active, whether C(firewalld) is running, whether Docker's C(DOCKER-USER) chain exists."
  - "Chains: every base chain at the input, forward and postrouting hooks outside wirefleet's own table
    C(inet wirefleet) and chains C(WIREFLEET-*): nftables base chains of the families ip, ip6 and inet (the tables
    iptables-nft manages are reported once, as iptables chains), and the built-in INPUT, FORWARD (filter) and
    POSTROUTING (nat) chains of iptables and ip6tables, each with its policy and whether it, or a chain it jumps
    to, holds a drop or reject rule (a drop of C(ct state invalid) alone does not count)."
options: {}
extends_documentation_fragment:
  - wirefleet.wireguard.attributes
"""

EXAMPLES = r"""
- name: Look at the firewalls already on the host
  wirefleet.wireguard.firewall_facts:
  register: firewalls
"""

RETURN = r"""
nft:
  description: C(nft) is installed and could list the ruleset.
  type: bool
  returned: always
iptables:
  description: The variant of C(iptables) (C(nft) or C(legacy)), null when it is not installed.
  type: str
  returned: always
ufw_installed:
  description: The C(ufw) command is installed.
  type: bool
  returned: always
ufw_active:
  description: ufw is installed and C(ufw status) says active.
  type: bool
  returned: always
firewalld_installed:
  description: The C(firewall-cmd) command is installed.
  type: bool
  returned: always
firewalld_running:
  description: firewalld is installed and C(firewall-cmd --state) says running.
  type: bool
  returned: always
firewalld_backend:
  description: "firewalld's C(FirewallBackend) setting (C(nftables) or C(iptables), from C(/etc/firewalld/firewalld.conf);
    C(nftables), firewalld's default, when not set); null when firewalld is not installed."
  type: str
  returned: always
firewalld_default_zone:
  description: firewalld's default zone (runtime), null when firewalld is not running.
  type: str
  returned: always
firewalld_zones:
  description: The zone of each interface bound to one at runtime (C(firewall-cmd --get-active-zones)).
  type: dict
  returned: always
docker_user:
  description: The iptables chain C(DOCKER-USER) exists (Docker's place for rules evaluated before its own).
  type: bool
  returned: always
chains:
  description: "Base chains of others at the input, forward and postrouting hooks: C(tool) (nftables, iptables,
    ip6tables), C(family) (ip, ip6, inet), C(table), C(chain), C(hook), C(type), C(policy), C(drops) (bool) and
    C(drop_rules) (how many drop or reject rules it or the chains it jumps to hold)."
  type: list
  elements: dict
  returned: always
"""

import json

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.wirefleet.wireguard.plugins.module_utils.firewall_firewalld import (
    parse_active_zones,
    parse_firewalld_conf,
)

FIREWALLD_CONF = "/etc/firewalld/firewalld.conf"

OWN_TABLE = ("inet", "wirefleet")
HOOKS = ("input", "forward", "postrouting")
# Tables iptables-nft creates in nftables; with that variant they are read through iptables-save instead.
IPTABLES_TABLES = ("filter", "nat", "mangle", "raw", "security")
IPTABLES_BUILTINS = {"filter": {"INPUT": "input", "FORWARD": "forward"}, "nat": {"POSTROUTING": "postrouting"}}
DROP_TARGETS = ("DROP", "REJECT")
# wirefleet's own iptables chains (its iptables backend, the accepts it places): never foreign drops.
OWN_CHAIN_PREFIX = "WIREFLEET-"


def _is_invalid_only(words):
    """A rule matching only `ct state invalid` (or -m state INVALID) cannot drop a valid WireGuard packet."""
    states = [words[i + 1] for i, word in enumerate(words[:-1]) if word in ("--ctstate", "--state")]
    return states == ["INVALID"]


def _iptables_rules(text):
    """{table: {chain: {"policy": str|None, "rules": [[word, ...], ...]}}} from iptables-save output."""
    tables, table = {}, None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("*"):
            table = tables.setdefault(line[1:], {})
        elif table is not None and line.startswith(":"):
            name, policy = (line[1:].split() + ["-"])[:2]
            table.setdefault(name, {"policy": None if policy == "-" else policy.lower(), "rules": []})
        elif table is not None and line.startswith("-A "):
            words = line.split()
            table.setdefault(words[1], {"policy": None, "rules": []})["rules"].append(words[2:])
    return tables


def _target(words):
    for flag in ("-j", "-g"):
        if flag in words[:-1]:
            return words[words.index(flag) + 1]
    return None


def _count_iptables_drops(table, chain, seen):
    if chain in seen or chain not in table:
        return 0
    seen.add(chain)
    count = 0
    for words in table[chain]["rules"]:
        target = _target(words)
        if target in DROP_TARGETS:
            count += 0 if _is_invalid_only(words) else 1
        elif target in table and not target.startswith(OWN_CHAIN_PREFIX):
            count += _count_iptables_drops(table, target, seen)
    return count


def parse_iptables_save(text, tool):
    """The built-in INPUT/FORWARD/POSTROUTING chains of one iptables-save output, and whether DOCKER-USER exists."""
    tables = _iptables_rules(text)
    family = "ip6" if tool == "ip6tables" else "ip"
    chains = []
    for table_name, builtins in IPTABLES_BUILTINS.items():
        table = tables.get(table_name, {})
        for chain, hook in builtins.items():
            if chain not in table:
                continue
            policy = table[chain]["policy"] or "accept"
            drops = _count_iptables_drops(table, chain, set())
            chains.append({"tool": tool, "family": family, "table": table_name, "chain": chain, "hook": hook,
                           "type": "nat" if table_name == "nat" else "filter", "policy": policy,
                           "drops": policy == "drop" or drops > 0, "drop_rules": drops})
    return chains, "DOCKER-USER" in tables.get("filter", {})


def _nft_verdict(expr):
    for item in expr:
        for verdict in ("drop", "reject"):
            if verdict in item:
                return verdict
        for jump in ("jump", "goto"):
            if jump in item and isinstance(item[jump], dict):
                return (jump, item[jump].get("target"))
    return None


def _nft_invalid_only(expr):
    matches = [item["match"] for item in expr if "match" in item]
    return len(matches) == 1 and matches[0].get("left") == {"ct": {"key": "state"}} \
        and matches[0].get("right") in ("invalid", ["invalid"])


def _count_nft_drops(rules, key, seen, conditional=False):
    """(unconditional, conditional) drop/reject rules of a chain and the chains it jumps to.

    A drop behind a match (fail2ban's `ip saddr @set reject`, sshguard, a port of another service) cannot be
    judged from here: it is counted apart, reported, and not taken for a drop of WireGuard traffic.
    """
    if key in seen:
        return 0, 0
    seen.add(key)
    unconditional = conditional_count = 0
    for expr in rules.get(key, ()):
        verdict = _nft_verdict(expr)
        matched = conditional or any("match" in item for item in expr)
        if verdict in ("drop", "reject"):
            if _nft_invalid_only(expr):
                continue
            if matched:
                conditional_count += 1
            else:
                unconditional += 1
        elif isinstance(verdict, tuple):
            inner, inner_conditional = _count_nft_drops(rules, key[:2] + (verdict[1],), seen, matched)
            unconditional += inner
            conditional_count += inner_conditional
    return unconditional, conditional_count


def _skipped_chain(family, table, chain, iptables_variant):
    """Our own table, and the base chains iptables-nft makes (read through iptables-save instead)."""
    if (family, table) == OWN_TABLE or family not in ("ip", "ip6", "inet"):
        return True
    # Only iptables-nft's own upper-case base chains: a user's `table ip filter { chain input ... }` still counts.
    return (iptables_variant == "nft" and family in ("ip", "ip6") and table in IPTABLES_TABLES
            and chain in IPTABLES_BUILTINS.get(table, {}))


def parse_nft_ruleset(text, iptables_variant=None):
    """Base chains of others at the hooks wirefleet uses, from `nft -j list ruleset`."""
    objects = json.loads(text).get("nftables", []) if text.strip() else []
    chains, rules = [], {}
    for item in objects:
        rule = item.get("rule")
        if rule:
            rules.setdefault((rule["family"], rule["table"], rule["chain"]), []).append(rule.get("expr", []))
    for item in objects:
        chain = item.get("chain")
        if not chain or chain.get("hook") not in HOOKS:
            continue
        if _skipped_chain(chain["family"], chain["table"], chain["name"], iptables_variant):
            continue
        drops, conditional = _count_nft_drops(rules, (chain["family"], chain["table"], chain["name"]), set())
        policy = chain.get("policy", "accept")
        chains.append({"tool": "nftables", "family": chain["family"], "table": chain["table"], "chain": chain["name"],
                       "hook": chain["hook"], "type": chain.get("type", "filter"), "policy": policy,
                       "drops": policy == "drop" or drops > 0, "drop_rules": drops,
                       "conditional_drop_rules": conditional})
    return chains


def iptables_variant(version_text):
    """'nft' or 'legacy' from `iptables -V` ('iptables v1.8.9 (nf_tables)'); None when unknown."""
    if "nf_tables" in version_text:
        return "nft"
    return "legacy" if "legacy" in version_text or version_text.startswith("iptables v") else None


def _run(module, name, *args):
    """(rc, stdout) of a tool, or None when it is not installed."""
    path = module.get_bin_path(name)
    if path is None:
        return None
    rc, out, _err = module.run_command([path] + list(args))
    return rc, out


def detect(module):
    facts = {"nft": False, "iptables": None, "ufw_installed": False, "ufw_active": False, "firewalld_installed": False,
             "firewalld_running": False, "firewalld_backend": None, "firewalld_default_zone": None,
             "firewalld_zones": {}, "docker_user": False, "chains": []}
    version = _run(module, "iptables", "-V")
    if version is not None and version[0] == 0:
        facts["iptables"] = iptables_variant(version[1].strip())
    ruleset = _run(module, "nft", "-j", "list", "ruleset")
    if ruleset is not None and ruleset[0] != 0:
        # nft is there but its ruleset cannot be read: never fall back to iptables (that would remove a running
        # inet wirefleet table); the placement refuses the host instead.
        facts["nft"] = True
        facts["nft_unreadable"] = True
    elif ruleset is not None:
        facts["nft"] = True
        facts["chains"].extend(parse_nft_ruleset(ruleset[1], facts["iptables"]))
    for tool in ("iptables", "ip6tables"):
        saved = _run(module, tool + "-save") if facts["iptables"] else None
        if saved is not None and saved[0] == 0:
            chains, docker_user = parse_iptables_save(saved[1], tool)
            facts["chains"].extend(chains)
            facts["docker_user"] = facts["docker_user"] or docker_user
    ufw = _run(module, "ufw", "status")
    facts["ufw_installed"] = ufw is not None
    facts["ufw_active"] = ufw is not None and ufw[0] == 0 and "Status: active" in ufw[1]
    firewalld = _run(module, "firewall-cmd", "--state")
    facts["firewalld_installed"] = firewalld is not None
    facts["firewalld_running"] = firewalld is not None and firewalld[0] == 0 and firewalld[1].strip() == "running"
    if firewalld is not None:
        facts["firewalld_backend"] = parse_firewalld_conf(_read(FIREWALLD_CONF))
    if facts["firewalld_running"]:
        zone = _run(module, "firewall-cmd", "--get-default-zone")
        facts["firewalld_default_zone"] = zone[1].strip() or None if zone[0] == 0 else None
        active = _run(module, "firewall-cmd", "--get-active-zones")
        facts["firewalld_zones"] = parse_active_zones(active[1]) if active[0] == 0 else {}
    return facts


def _read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return ""


def main():
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)
    try:
        facts = detect(module)
    except (ValueError, KeyError, TypeError) as exc:
        module.fail_json(msg="firewall_facts: cannot read the host's ruleset: %s" % exc)
    module.exit_json(changed=False, **facts)


if __name__ == "__main__":
    main()

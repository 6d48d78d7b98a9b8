#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ufw_rules
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: wirefleet's firewall rules in ufw, in ufw's own terms
description:
  - Turns the C(system) part of a host's M(wirefleet.wireguard.fleet) entry into ufw rules (C(ufw allow),
    C(ufw deny), C(ufw route allow), C(ufw route reject)), each with a comment starting V(wirefleet:), and its
    NAT entries into a managed block of C(/etc/ufw/before.rules) (C(before6.rules) for IPv6) filling the chain
    C(WIREFLEET-UFW-NAT), jumped to once from POSTROUTING by a managed block of C(/etc/ufw/before.init).
  - Reads ufw's rules from C(user.rules) and C(user6.rules), deletes the rules whose comment starts V(wirefleet:) that
    are not wanted or out of order, adds the missing ones with the ufw command (argument lists, no shell), and
    runs C(ufw reload) only when a managed block changed or the live NAT chain differs from it. Rules without
    that comment (the user's) are never deleted, changed or reordered; a wanted rule that ufw would merge into
    one of the user's is skipped and reported.
  - With O(state=absent) removes every rule whose comment starts V(wirefleet:), both blocks and the live chain.
  - When ufw is inactive the rules and blocks are written (ufw loads them when it is enabled) and a warning
    says they are not in effect.
options:
  state:
    description: C(present) writes the rules of O(system); C(absent) removes everything of wirefleet's from ufw.
    type: str
    choices: [present, absent]
    default: present
  system:
    description: The C(system) part of the host's entry of M(wirefleet.wireguard.fleet).
    type: dict
    default: {}
  default_interface:
    description: Uplink for IPv4 NAT entries without one.
    type: str
  default_interface6:
    description: Uplink for IPv6 NAT entries without one.
    type: str
  strict:
    description: The topology's strict forwarding drop (left to ufw's default routed policy; a warning when that
      policy is allow).
    type: bool
    default: true
  resolved:
    description: Addresses that peer endpoint names resolved to, for ports open only to known peers.
    type: dict
    default: {}
  rules_dir:
    description: ufw's rules directory.
    type: path
    default: /etc/ufw
  defaults_file:
    description: ufw's settings (IPV6, DEFAULT_FORWARD_POLICY).
    type: path
    default: /etc/default/ufw
attributes:
  diff_mode:
    support: full
extends_documentation_fragment:
  - wirefleet.wireguard.attributes
"""

EXAMPLES = r"""
- name: Apply the rules with ufw
  wirefleet.wireguard.ufw_rules:
    system: "{{ wireguard_fleet.hosts[inventory_hostname].system }}"
    default_interface: "{{ ansible_facts.default_ipv4.interface }}"

- name: Remove wirefleet's rules from ufw
  wirefleet.wireguard.ufw_rules:
    state: absent
"""

RETURN = r"""
active:
  description: ufw is active (C(ufw status)); when not, nothing written is in effect until it is enabled.
  type: bool
  returned: always
added:
  description: The ufw commands run (or, in check mode, that would run) to add rules.
  type: list
  elements: str
  returned: always
deleted:
  description: wirefleet's rules deleted (or that would be), as ufw stores them.
  type: list
  elements: str
  returned: always
skipped:
  description: Wanted rules not added because a rule of the user's with the same match decides them.
  type: list
  elements: str
  returned: always
files:
  description: The files of ufw's rules directory changed (or that would be).
  type: list
  elements: str
  returned: always
reloaded:
  description: C(ufw reload) ran (or would run).
  type: bool
  returned: always
notes:
  description: What ufw does itself instead of a rule of wirefleet's.
  type: list
  elements: str
  returned: always
"""

import os
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wirefleet.wireguard.plugins.module_utils.firewall import plan
from ansible_collections.wirefleet.wireguard.plugins.module_utils.firewall_ufw import (
    NAT_CHAIN,
    changes,
    delete_args,
    init_block,
    nat_block,
    parse_defaults,
    parse_user_rules,
    render,
    shown,
    with_init_block,
    with_rules_block,
)

C_LOCALE = {"LANG": "C", "LC_ALL": "C"}
JUMP = "-A POSTROUTING -j %s" % NAT_CHAIN


def _read(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _run(module, argv, check=True):
    rc, out, err = module.run_command(argv, environ_update=C_LOCALE)
    if check and rc != 0:
        module.fail_json(msg="%s failed (rc %d): %s" % (" ".join(argv), rc, (err or out).strip()))
    return rc, out


def _describe(key, action, family, comment):
    route, proto, port, dst, src, in_if, out_if = key
    return "%s%s%s%s%s from %s to %s%s (v%d) # %s" % (
        "route " if route else "", action, " in on %s" % in_if if in_if else "",
        " out on %s" % out_if if out_if else "",
        " proto %s" % proto if proto else "", src or "any", dst or "any", " port %s" % port if port else "", family,
        comment)


def _listing(rules_by_family):
    return "".join(line + "\n" for family in (4, 6) for line in rules_by_family[family])


def _live_nat(module, tool, lines):
    """Whether the live chain of tool holds exactly lines and POSTROUTING jumps to it once; extra jumps."""
    rc, out = _run(module, [tool, "-w", "-t", "nat", "-S", NAT_CHAIN], check=False)
    have = [line for line in out.splitlines() if line.startswith("-A ")] if rc == 0 else None
    _rc, post = _run(module, [tool, "-w", "-t", "nat", "-S", "POSTROUTING"], check=False)
    jumps = [line for line in post.splitlines() if line.strip() == JUMP]
    return have == list(lines) and len(jumps) == 1, max(len(jumps) - 1, 0)


def _remove_live_nat(module, tool):
    """Removes the jumps to the chain and the chain of tool; whether there was anything."""
    removed = False
    for _attempt in range(64):  # every copy of the jump, however many a hand-made rule left (bounded)
        if _run(module, [tool, "-w", "-t", "nat", "-D", "POSTROUTING", "-j", NAT_CHAIN], check=False)[0] != 0:
            break
        removed = True
    if _run(module, [tool, "-w", "-t", "nat", "-S", NAT_CHAIN], check=False)[0] == 0:
        _run(module, [tool, "-w", "-t", "nat", "-F", NAT_CHAIN])
        _run(module, [tool, "-w", "-t", "nat", "-X", NAT_CHAIN])
        removed = True
    return removed


def _write(module, path, content, validate=None, executable=False):
    """Writes content to path atomically, keeping its mode (0640 for a new file; +x when executable)."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = 0o640
    if executable:
        mode |= 0o750
    fd, temp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".wirefleet-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content)
    os.chmod(temp, mode)
    if validate:
        rc, out, err = module.run_command(validate + [temp], environ_update=C_LOCALE)
        if rc != 0:
            os.unlink(temp)
            problem = (err or out).strip()
            module.fail_json(msg="%s would not load %s with wirefleet's block: %s" % (validate[0], path, problem))
    module.atomic_move(temp, path)
    # atomic_move gives the new file the old one's mode: an executable before.init needs it set again.
    os.chmod(path, mode)


def main():
    module = AnsibleModule(
        argument_spec={
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "system": {"type": "dict", "default": {}},
            "default_interface": {"type": "str"},
            "default_interface6": {"type": "str"},
            "strict": {"type": "bool", "default": True},
            "resolved": {"type": "dict", "default": {}},
            "rules_dir": {"type": "path", "default": "/etc/ufw"},
            "defaults_file": {"type": "path", "default": "/etc/default/ufw"},
        },
        supports_check_mode=True,
    )
    params = module.params
    present = params["state"] == "present"
    ufw = module.get_bin_path("ufw")
    result = {"changed": False, "active": False, "added": [], "deleted": [], "skipped": [], "files": [],
              "reloaded": False, "notes": []}
    if ufw is None:
        if present:
            module.fail_json(msg="ufw is not installed", **result)
        module.exit_json(**result)
    settings = parse_defaults(_read(params["defaults_file"]) or "")
    try:
        wanted, nat, notes = [], {4: [], 6: []}, []
        if present:
            rules = plan(params["system"], params["default_interface"] or None, params["default_interface6"] or None,
                         params["strict"], params["resolved"])
            wanted, nat, notes = render(rules, settings["ipv6"])
        directory = params["rules_dir"]
        current = []
        for family, name in ((4, "user.rules"), (6, "user6.rules")):
            current += parse_user_rules(_read(os.path.join(directory, name)) or "", family)
        deletes, adds, skipped = changes(wanted, current)
        delete_argvs = [delete_args(entry) for entry in deletes]
        files = {}
        for family, name in ((4, "before.rules"), (6, "before6.rules")):
            path = os.path.join(directory, name)
            old = _read(path)
            if old is not None or nat[family]:
                files[path] = (old, with_rules_block(old or "", nat_block(nat[family])),
                               ["ip6tables-restore" if family == 6 else "iptables-restore", "--test", "--noflush"])
        init_path = os.path.join(directory, "before.init")
        old_init = _read(init_path)
        nat_families = [family for family in (4, 6) if nat[family]]
        if old_init is not None or nat_families:
            files[init_path] = (old_init, with_init_block(old_init or "", init_block(nat_families)), ["sh", "-n"])
    except (KeyError, TypeError, ValueError) as exc:
        module.fail_json(msg="ufw_rules: %s" % exc, **result)

    result["notes"] = notes
    result["skipped"] = ["%s: your rule %s decides this" % (rule.shown(), shown(user)) for rule, user in skipped]
    result["deleted"] = [shown(entry) for entry in deletes]
    result["added"] = [rule.shown() for rule in adds]
    changed_files = [path for path, (old, new, _check) in files.items() if (old or "") != new]
    init_not_executable = bool(nat_families) and old_init is not None and not os.access(init_path, os.X_OK)
    if init_not_executable and init_path not in changed_files:
        changed_files.append(init_path)
    result["files"] = changed_files
    status = _run(module, [ufw, "status"], check=False)[1]
    result["active"] = "Status: active" in status

    stale_jumps, nat_ok = {}, True
    tools = {4: module.get_bin_path("iptables") or "iptables", 6: module.get_bin_path("ip6tables") or "ip6tables"}
    if result["active"]:
        for family in nat_families:
            good, extra = _live_nat(module, tools[family], nat[family])
            nat_ok = nat_ok and good
            stale_jumps[family] = extra
    live_leftovers = [family for family in (4, 6) if family not in nat_families and os.path.isabs(tools[family])
                      and _run(module, [tools[family], "-w", "-t", "nat", "-S", NAT_CHAIN], check=False)[0] == 0]
    result["reloaded"] = result["active"] and (bool(changed_files) or not nat_ok)
    result["changed"] = bool(deletes or adds or changed_files or result["reloaded"] or live_leftovers)

    before = {4: [], 6: []}
    for entry in current:
        if entry["ours"]:
            before[entry["family"]].append(_describe(entry["key"], entry["parsed"]["action"], entry["family"],
                                                     entry["comment"]) if entry["key"] else shown(entry))
    after = {4: [], 6: []}
    for rule in [rule for rule in wanted if rule not in [clash[0] for clash in skipped]]:
        for family, (key, action) in sorted(rule.keys.items()):
            after[family].append(_describe(key, action, family, rule.comment))
    result["diff"] = [{"before_header": "ufw rules of wirefleet", "after_header": "ufw rules of wirefleet",
                       "before": _listing(before), "after": _listing(after)}]
    result["diff"] += [{"before_header": path, "after_header": path, "before": old or "", "after": new}
                       for path, (old, new, _check) in files.items() if (old or "") != new]
    if present and params["strict"] and settings["routed_policy"] == "accept":
        module.warn("ufw's default routed policy is allow: forwarded traffic from the tunnel that the topology "
                    "does not route is not dropped (ufw default deny routed drops it)")
    if present and not result["active"] and (wanted or nat_families):
        module.warn("ufw is inactive: wirefleet's rules are written to ufw but not in effect until `ufw enable`")
    if module.check_mode or not result["changed"]:
        module.exit_json(**result)

    for argv in delete_argvs:
        _run(module, [ufw] + argv)
    for rule in adds:
        _run(module, [ufw] + rule.args)
    for path in changed_files:
        old, new, check = files[path]
        _write(module, path, new, validate=check, executable=path == init_path and bool(nat_families))
    for family, extra in stale_jumps.items():
        for _index in range(extra):
            _run(module, [tools[family], "-w", "-t", "nat", "-D", "POSTROUTING", "-j", NAT_CHAIN])
    if result["reloaded"]:
        _run(module, [ufw, "reload"])
    for family in live_leftovers:
        _remove_live_nat(module, tools[family])
    module.exit_json(**result)


if __name__ == "__main__":
    main()

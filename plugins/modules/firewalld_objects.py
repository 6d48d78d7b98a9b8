#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: firewalld_objects
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: wirefleet's firewall rules as firewalld objects (a zone, policies), permanent and runtime
description:
  - Computes the rules of the engine's C(system) needs (C(firewall.plan())) and writes them as firewalld's own
    permanent configuration, C(/etc/firewalld/zones/wirefleet.xml) (the WireGuard interfaces) and
    C(/etc/firewalld/policies/wirefleet-<n>.xml) (rich rules), checks them with C(firewall-cmd --check-config)
    (a failing file is rolled back) and reloads firewalld only when one of these files is new, changed or removed.
  - With O(zone), the WireGuard interfaces are bound to that existing zone of the user instead (permanent and
    runtime, with C(firewall-cmd)); only bindings wirefleet added are recorded, and only those are removed again.
  - "Runtime drift is repaired without a reload: a WireGuard interface taken out of its zone, a rich rule or an
    ingress/egress zone removed from one of wirefleet's policies at runtime is put back with C(firewall-cmd)
    (runtime only); a policy or zone of wirefleet missing at runtime makes it reload."
  - O(state=absent) removes wirefleet's files (reloading when firewalld runs) and the recorded bindings.
  - "ansible.posix.firewalld is not used: it cannot create policies from files, order rich rules, or compare
    the runtime with the permanent configuration, and it would need one task per rich rule."
requirements:
  - firewalld 0.9 or later (policies) running with FirewallBackend=nftables
options:
  system:
    description: The host's C(system) needs from the fleet (listen, forwarding, nat, protect_ipv6).
    type: dict
    default: {}
  default_interface:
    description: Uplink for NAT entries without one.
    type: str
  default_interface6:
    description: Uplink for IPv6 NAT entries without one.
    type: str
  strict:
    description: Drop forwarded traffic from a forwarding WireGuard interface that the topology does not route.
    type: bool
    default: true
  resolved:
    description: Peer endpoint names mapped to their addresses (for ports open only to known peers).
    type: dict
    default: {}
  zone:
    description: An existing zone of the user to bind the WireGuard interfaces to; null for wirefleet's zone.
    type: str
  state:
    description: C(present) writes and loads the objects, C(absent) removes them.
    type: str
    choices: [present, absent]
    default: present
  config_dir:
    description: firewalld's configuration directory.
    type: path
    default: /etc/firewalld
  record:
    description: File recording the bindings wirefleet added to a zone of the user (JSON).
    type: path
    default: /etc/wirefleet/firewalld-bindings.json
extends_documentation_fragment:
  - wirefleet.wireguard.attributes
"""

EXAMPLES = r"""
- name: Apply wirefleet's rules with firewalld
  wirefleet.wireguard.firewalld_objects:
    system: "{{ wireguard_firewall_computed.system }}"
    default_interface: eth0
    zone: "{{ wireguard_firewall_firewalld_zone or omit }}"

- name: Remove them
  wirefleet.wireguard.firewalld_objects:
    state: absent
"""

RETURN = r"""
reloaded:
  description: Whether firewalld was (or, in check mode, would be) reloaded.
  type: bool
  returned: always
written:
  description: Files written (or that would be) under O(config_dir), relative paths.
  type: list
  elements: str
  returned: always
removed:
  description: Files removed (or that would be) under O(config_dir), relative paths.
  type: list
  elements: str
  returned: always
repaired:
  description: Runtime repairs done (or that would be), one line each.
  type: list
  elements: str
  returned: always
zone:
  description: The zone holding the WireGuard interfaces.
  type: str
  returned: when state is present
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.wirefleet.wireguard.plugins.module_utils.firewall import plan
from ansible_collections.wirefleet.wireguard.plugins.module_utils.firewall_firewalld import (
    OWN_ZONE,
    is_own_file,
    parse_lines,
    parse_words,
    policy_names,
    render,
    safe_argv,
    wireguard_interfaces,
    zone_name,
)


class Firewalld:
    """firewall-cmd calls; every argv is checked for control characters first."""

    def __init__(self, module):
        self.module = module
        self.cmd = module.get_bin_path("firewall-cmd")
        self.offline = module.get_bin_path("firewall-offline-cmd")

    def run(self, *args, check=True):
        if self.cmd is None:
            self.module.fail_json(msg="firewalld_objects: firewall-cmd is not installed")
        rc, out, err = self.module.run_command(safe_argv([self.cmd] + list(args)))
        if check and rc != 0:
            detail = (err or out).strip()
            self.module.fail_json(msg="firewall-cmd %s failed (rc %d): %s" % (" ".join(args), rc, detail))
        return rc, out

    def running(self):
        return self.cmd is not None and self.run("--state", check=False)[0] == 0

    def words(self, *args):
        rc, out = self.run(*args, check=False)
        return parse_words(out) if rc == 0 else None

    def lines(self, *args):
        rc, out = self.run(*args, check=False)
        return parse_lines(out) if rc == 0 else None


def _read(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        return ""


def _write(path, text):
    os.makedirs(os.path.dirname(path), mode=0o750, exist_ok=True)
    temporary = path + ".wirefleet-new"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(temporary, 0o640)
    os.replace(temporary, path)


def _remove(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def own_files(config_dir):
    """Relative paths of wirefleet's files under config_dir (and firewalld's .old backups of them)."""
    found = []
    for folder in ("zones", "policies"):
        try:
            names = sorted(os.listdir(os.path.join(config_dir, folder)))
        except FileNotFoundError:
            continue
        for name in names:
            base = name[:-4] if name.endswith(".xml.old") else name
            if is_own_file("%s/%s" % (folder, base)):
                found.append("%s/%s" % (folder, name))
    return found


def _uplink_zones(firewalld, rules, wg_interfaces):
    default = (firewalld.words("--get-default-zone") or ["public"])[0]
    zones = {}
    for rule in rules:
        for name in (rule.iif, rule.oif, rule.not_iif):
            if name and name not in wg_interfaces and name not in zones:
                found = firewalld.words("--get-zone-of-interface=" + name)
                zones[name] = found[0] if found else default
    return default, zones


def _load_record(path):
    text = _read(path)
    try:
        record = json.loads(text) if text else {}
    except ValueError:
        record = {}
    bindings = record.get("bindings") if isinstance(record, dict) else None
    return [b for b in bindings or () if isinstance(b, dict) and isinstance(b.get("zone"), str)
            and isinstance(b.get("interface"), str)]


def _save_record(path, bindings):
    if bindings:
        _write(path, json.dumps({"bindings": bindings}, indent=2, sort_keys=True) + "\n")
    else:
        _remove(path)


def _unbind(module, firewalld, running, binding, result):
    """Take an interface wirefleet bound out of the user's zone, permanent and runtime."""
    result["repaired"].append("unbind %s from zone %s" % (binding["interface"], binding["zone"]))
    if module.check_mode:
        return
    zone_name("recorded zone", binding["zone"])
    if running:
        firewalld.run("--permanent", "--zone=" + binding["zone"], "--remove-interface=" + binding["interface"],
                      check=False)
        firewalld.run("--zone=" + binding["zone"], "--remove-interface=" + binding["interface"], check=False)
    elif firewalld.offline:
        module.run_command(safe_argv([firewalld.offline, "--zone=" + binding["zone"],
                                      "--remove-interface=" + binding["interface"]]))


def _bind(module, firewalld, zone, interfaces, bindings, result):
    """Bind the interfaces to the user's zone (permanent and runtime), recording the bindings wirefleet adds."""
    for name in interfaces:
        permanent = firewalld.words("--permanent", "--get-zone-of-interface=" + name)
        if not permanent or permanent[0] != zone:
            result["repaired"].append("bind %s to zone %s (permanent)" % (name, zone))
            if not module.check_mode:
                firewalld.run("--permanent", "--zone=" + zone, "--change-interface=" + name)
            if {"zone": zone, "interface": name} not in bindings:
                bindings.append({"zone": zone, "interface": name})


def _sync_runtime(module, firewalld, zone, interfaces, policies, result):
    """Put wirefleet's runtime state back to its permanent one without a reload; True when a reload is needed."""
    runtime_policies = firewalld.words("--get-policies") or []
    if any(name not in runtime_policies for name in policies) or zone not in (firewalld.words("--get-zones") or []):
        result["repaired"].append("objects missing at runtime: reload")
        return True
    for name in interfaces:
        current = firewalld.words("--get-zone-of-interface=" + name)
        if not current or current[0] != zone:
            result["repaired"].append("runtime: %s back into zone %s" % (name, zone))
            if not module.check_mode:
                firewalld.run("--zone=" + zone, "--change-interface=" + name)
    for name in policies:
        for listing, add, remove in (("--list-rich-rules", "--add-rich-rule=", "--remove-rich-rule="),
                                     ("--list-ingress-zones", "--add-ingress-zone=", "--remove-ingress-zone="),
                                     ("--list-egress-zones", "--add-egress-zone=", "--remove-egress-zone=")):
            parse = firewalld.lines if listing == "--list-rich-rules" else firewalld.words
            wanted = parse("--permanent", "--policy=" + name, listing) or []
            current = parse("--policy=" + name, listing) or []
            for item in [item for item in wanted if item not in current]:
                result["repaired"].append("runtime: policy %s %s%s" % (name, add, item))
                if not module.check_mode:
                    firewalld.run("--policy=" + name, add + item)
            for item in [item for item in current if item not in wanted]:
                result["repaired"].append("runtime: policy %s %s%s" % (name, remove, item))
                if not module.check_mode:
                    firewalld.run("--policy=" + name, remove + item)
    return False


def _apply_files(module, firewalld, config_dir, wanted, result, running):
    """Write wanted (and remove our other files), check the configuration, roll back on failure."""
    before = {path: _read(os.path.join(config_dir, path)) for path in own_files(config_dir)}
    changes = {path: text for path, text in wanted.items() if before.get(path) != text}
    gone = [path for path in before if path not in wanted]
    result["written"], result["removed"] = sorted(changes), sorted(gone)
    for path in sorted(set(changes) | set(gone)):
        result["diff"].append({"before_header": os.path.join(config_dir, path), "before": before.get(path) or "",
                               "after_header": os.path.join(config_dir, path), "after": wanted.get(path, "")})
    # firewalld's .old backups of our files go too, but alone they change nothing loaded: no reload for them
    loaded = bool(changes or [path for path in gone if not path.endswith(".old")])
    if module.check_mode or not (changes or gone):
        return loaded
    for path, text in changes.items():
        _write(os.path.join(config_dir, path), text)
    for path in gone:
        _remove(os.path.join(config_dir, path))
    if running:
        rc, out = firewalld.run("--check-config", check=False)
        if rc != 0:
            for path in set(changes) | set(gone):
                if before.get(path) is None:
                    _remove(os.path.join(config_dir, path))
                else:
                    _write(os.path.join(config_dir, path), before[path])
            module.fail_json(msg="firewall-cmd --check-config refused wirefleet's files (rolled back): %s"
                             % out.strip(), **result)
    return loaded


def present(module, firewalld, result):
    params = module.params
    if not firewalld.running():
        module.fail_json(msg="firewalld_objects: firewalld is not running (firewall-cmd --state)")
    system = params["system"] or {}
    rules = plan(system, params["default_interface"], params["default_interface6"], params["strict"],
                 params["resolved"])
    interfaces = wireguard_interfaces(system)
    default_zone, uplink_zones = _uplink_zones(firewalld, rules, interfaces)
    user_zone = params["zone"] if params["zone"] not in (None, "", OWN_ZONE) else None
    if user_zone:
        zone_name("zone", user_zone)
        if user_zone not in (firewalld.words("--permanent", "--get-zones") or []):
            module.fail_json(msg="wireguard_firewall_firewalld_zone %s is not a zone of firewalld on this host "
                             "(firewall-cmd --permanent --get-zones)" % user_zone)
    objects = render(rules, interfaces, user_zone, uplink_zones, default_zone)
    result["zone"] = objects["zone"]
    record = params["record"]
    bindings = _load_record(record)
    recorded = list(bindings)
    for binding in [b for b in bindings if b["zone"] != user_zone or b["interface"] not in interfaces]:
        _unbind(module, firewalld, True, binding, result)
        bindings.remove(binding)
    if user_zone:
        # before the files: firewalld takes the interface out of the zone it had (wirefleet's, moving from it),
        # rewriting that zone's file, which _apply_files then removes
        _bind(module, firewalld, user_zone, interfaces, bindings, result)
    files_changed = _apply_files(module, firewalld, params["config_dir"], objects["files"], result, True)
    if bindings != recorded and not module.check_mode:
        _save_record(record, bindings)
    policies = policy_names(objects["files"])
    if files_changed:
        result["reloaded"] = True
        if not module.check_mode:
            firewalld.run("--reload")
    if not (files_changed and module.check_mode):
        # after a reload, runtime equals permanent: this still binds a user zone's interface at runtime
        if _sync_runtime(module, firewalld, objects["zone"], interfaces, policies, result):
            result["reloaded"] = True
            if not module.check_mode:
                firewalld.run("--reload")
    result["changed"] = bool(result["written"] or result["removed"] or result["repaired"] or result["reloaded"])


def absent(module, firewalld, result):
    running = firewalld.running()
    for binding in _load_record(module.params["record"]):
        _unbind(module, firewalld, running, binding, result)
    if not module.check_mode:
        _remove(module.params["record"])
    if _apply_files(module, firewalld, module.params["config_dir"], {}, result, running) and running:
        result["reloaded"] = True
        if not module.check_mode:
            firewalld.run("--reload")
    result["changed"] = bool(result["removed"] or result["repaired"])


def main():
    module = AnsibleModule(
        argument_spec={
            "system": {"type": "dict", "default": {}},
            "default_interface": {"type": "str"},
            "default_interface6": {"type": "str"},
            "strict": {"type": "bool", "default": True},
            "resolved": {"type": "dict", "default": {}},
            "zone": {"type": "str"},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "config_dir": {"type": "path", "default": "/etc/firewalld"},
            "record": {"type": "path", "default": "/etc/wirefleet/firewalld-bindings.json"},
        },
        supports_check_mode=True,
    )
    firewalld = Firewalld(module)
    result = {"changed": False, "reloaded": False, "written": [], "removed": [], "repaired": [], "diff": []}
    try:
        if module.params["state"] == "present":
            present(module, firewalld, result)
        else:
            absent(module, firewalld, result)
    except ValueError as exc:
        module.fail_json(msg="firewalld_objects: %s" % exc, **result)
    if not module._diff:
        result.pop("diff")
    module.exit_json(**result)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: wg_config
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: Write a host's wg-quick configuration with its private key, validated and atomically
description:
  - Renders one interface of the M(wirefleet.wireguard.fleet) result as C(<config_dir>/<name>.conf)
    (root, 0600), with the private key read on the host from O(private_key_file) and the preshared
    keys given in O(preshared_keys). Peers whose public key is not known yet are left out; in check mode
    the diff shows them with placeholder keys, and a missing private key is no error.
  - Every value of O(entry) is checked before it is written (a value can never add a line of its own).
  - The new file is checked before it replaces the current one, so a broken, empty or foreign configuration
    never replaces a working one; the replacement is an atomic rename. The raw text must hold only what
    wirefleet writes (no C(PreUp), C(PostUp), C(PreDown), C(PostDown), C(SaveConfig), C(Table), C(FwMark),
    only [Interface] and [Peer] sections), and C(wg-quick strip) must accept it.
  - The diff (C(--diff)) and every returned value have private and preshared keys masked.
  - Tells which [Interface] settings changed, whether peers changed, and which changes wg-quick only
    applies when the interface is brought up again (RV(restart_reasons)), for M(wirefleet.wireguard.wg_live).
requirements:
  - wireguard-tools (C(wg-quick)) on the host
options:
  name:
    description: Interface name, e.g. C(wg0).
    type: str
    required: true
  host:
    description: Name of the host, for the header comment.
    type: str
    required: true
  entry:
    description: The interface's entry of C(fleet.hosts[host].interfaces).
    type: dict
    required: true
  private_key_file:
    description: File holding the interface's private key; default C(<config_dir>/<name>.key).
    type: path
  preshared_keys:
    description: Map of C(preshared_key_id) to preshared key for this interface's peers.
    type: dict
    default: {}
  config_dir:
    description: Directory of wg-quick configurations.
    type: path
    default: /etc/wireguard
  validate:
    description:
      - Also check the new file with C(wg-quick strip) before it replaces the current one.
      - The raw text is always checked for what wirefleet never writes (hooks, foreign sections and lines).
    type: bool
    default: true
attributes:
  diff_mode:
    support: full
extends_documentation_fragment:
  - wirefleet.wireguard.attributes
"""

EXAMPLES = r"""
- name: Write wg0
  wirefleet.wireguard.wg_config:
    name: wg0
    host: "{{ inventory_hostname }}"
    entry: "{{ wireguard_fleet.hosts[inventory_hostname].interfaces.wg0 }}"
  register: wg0_config
"""

RETURN = r"""
path:
  description: The configuration file.
  type: str
  returned: always
interface_changed:
  description: "[Interface] settings whose values changed (e.g. C(Address), C(ListenPort), C(MTU), C(DNS))."
  type: list
  elements: str
  returned: always
peers_changed:
  description: Whether the [Peer] sections changed.
  type: bool
  returned: always
restart_reasons:
  description: Changed settings that wg-quick applies only when it brings the interface up (e.g. C(DNS), a new default route).
  type: list
  elements: str
  returned: always
peers:
  description: Number of peers written.
  type: int
  returned: always
taken_over:
  description: "When the file replaced was not written by wirefleet (a network adopted with C(playbooks/adopt.yml)):
    C(backup), where the old file is kept (0600), C(hooks_run) and C(hooks_left), its PreDown/PostDown commands
    run once (what C(wg-quick down) would have run, so the rules its PostUp added go) or left because they would
    take an interface down, and C(hook_failures)."
  type: dict
  returned: when a hand-made config was replaced
skipped_peers:
  description: Peers left out because their public key is not known yet.
  type: list
  elements: str
  returned: always
"""

import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wirefleet.wireguard.plugins.module_utils.files import read_text, write_atomic
from ansible_collections.wirefleet.wireguard.plugins.module_utils.names import INTERFACE_RULE, is_interface
from ansible_collections.wirefleet.wireguard.plugins.module_utils.wgconf import (
    changes,
    down_hooks,
    mask,
    parse,
    problems,
    written_by_wirefleet,
)
from ansible_collections.wirefleet.wireguard.plugins.module_utils.wgquick import render


def _refuse(module, name, found):
    module.fail_json(msg="wg_config: the new %s.conf %s; the current file is kept" % (name, "; ".join(found)))


def _validate(module, folder, name, text):
    """Refuse text unless wg-quick reads it: written as <tmpdir>/<name>.conf (wg-quick takes the interface
    name from the file name) and stripped, what `wg` would get is checked again.

    The raw text was checked before (main): `wg-quick strip` drops PreUp/PostUp/... (which run as root),
    so its output alone would hide a hook.
    """
    wg_quick = module.get_bin_path("wg-quick", required=True)
    temp_dir = tempfile.mkdtemp(dir=folder, prefix=".wirefleet-check-")
    try:
        candidate = os.path.join(temp_dir, name + ".conf")
        with open(os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8") as stream:
            stream.write(text)
        rc, out, err = module.run_command([wg_quick, "strip", candidate])
        if rc != 0 or "[Interface]" not in out or "PrivateKey" not in out:
            module.fail_json(msg="wg_config: wg-quick strip rejected the new %s.conf; the current file is kept: %s"
                             % (name, (err or out).strip()), rc=rc)
        found = problems(out)
        if found:
            _refuse(module, name, found)
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)


# Hooks a takeover deals with itself (their down part run once, below): no reason to restart the interface.
TAKEOVER_HOOKS = ("PreUp", "PostUp", "PreDown", "PostDown", "SaveConfig")
BACKUP_SUFFIX = ".pre-wirefleet"


def _take_over(module, path, name, old_text):
    """Keep the hand-made config beside the new one and run its down hooks once, as wg-quick down would.

    Runs after the new file is written and after the firewall role put wirefleet's own rules in place, so the
    NAT the old PostUp set up is replaced, not interrupted. The hooks are the host's own root-owned file,
    never inventory values; one that would take an interface or WireGuard down is left and reported.
    """
    backup = path + BACKUP_SUFFIX
    if not os.path.exists(backup):
        write_atomic(backup, old_text, 0o600, root_owned=True, durable=True)
    interface, _peers = parse(old_text)
    run, left = down_hooks(interface, name)
    failures = []
    bash = module.get_bin_path("bash", required=True)
    for command in run:
        rc, _out, err = module.run_command([bash, "-c", command])
        if rc != 0:
            failures.append("%s: exit %d %s" % (command, rc, err.strip()))
    return {"backup": backup, "hooks_run": run, "hooks_left": left, "hook_failures": failures}


def _render(module, params, private_key, placeholders):
    """The config text; placeholders: peers without a known public key shown (check mode), else left out."""
    name, key_file = params["name"], params["private_key_file"]
    # Check mode before the keys role ran: no key yet, so the diff says where it will be.
    note = "not made yet; the wirefleet.wireguard.wireguard_keys role makes it on the host (%s)" % key_file
    try:
        return render(params["host"], name, params["entry"], private_key, params["preshared_keys"],
                      skip_unknown_peers=not placeholders, private_key_note=note)
    except KeyError as exc:
        why = "the entry is not an interface entry of the fleet: it has no %s" % exc
    except (TypeError, ValueError) as exc:
        why = str(exc)
    return module.fail_json(msg="wg_config: host %r, interface %r: %s; the current file is kept"
                            % (params["host"], name, why))


def main():
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "host": {"type": "str", "required": True},
            "entry": {"type": "dict", "required": True},
            "private_key_file": {"type": "path"},
            "preshared_keys": {"type": "dict", "default": {}, "no_log": True},
            "config_dir": {"type": "path", "default": "/etc/wireguard"},
            "validate": {"type": "bool", "default": True},
        },
        supports_check_mode=True,
    )
    params = module.params
    name, folder, entry = params["name"], params["config_dir"], params["entry"]
    if not is_interface(name):
        module.fail_json(msg="wg_config: %r is not an interface name (%s)" % (name, INTERFACE_RULE))
    path = os.path.join(folder, name + ".conf")
    params["private_key_file"] = params["private_key_file"] or os.path.join(folder, name + ".key")
    private_key = read_text(params["private_key_file"], strip=True) or None
    if private_key is None and not module.check_mode:
        module.fail_json(msg="wg_config: no private key in %s; run the wirefleet.wireguard.wireguard_keys role first"
                         % params["private_key_file"])

    # What a real run writes: peers whose public key is not known yet are left out (the live config must parse).
    text = _render(module, params, private_key, placeholders=False)
    skipped = [peer["name"] for peer in entry.get("peers", []) if not peer.get("public_key")]
    written = len(entry.get("peers", [])) - len(skipped)

    current = read_text(path)
    stat = os.stat(path) if os.path.exists(path) else None
    content_changed = current != text
    attrs_changed = stat is not None and (stat.st_mode & 0o7777 != 0o600 or stat.st_uid != 0 or stat.st_gid != 0)
    settings, peers_changed, reasons = ([], False, [])
    if current is not None and content_changed:
        settings, peers_changed, reasons = changes(current, text)
    if current is None:
        settings, peers_changed = ["created"], written > 0
    hand_made = current is not None and content_changed and not written_by_wirefleet(current)
    if hand_made:
        reasons = [reason for reason in reasons if reason not in TAKEOVER_HOOKS]

    # The raw text, always (also in check mode, whatever the missing key): nothing wirefleet never writes.
    found = problems(text, require_private_key=not module.check_mode) if content_changed else []
    if found:
        _refuse(module, name, found)
    taken_over = None
    if not module.check_mode:
        if content_changed:
            os.makedirs(folder, mode=0o700, exist_ok=True)
            if params["validate"]:
                _validate(module, folder, name, text)
            write_atomic(path, text, 0o600, root_owned=True, durable=True)
            if hand_made:
                taken_over = _take_over(module, path, name, current)
        elif attrs_changed:
            os.chmod(path, 0o600)
            os.chown(path, 0, 0)

    result = {
        "changed": content_changed or attrs_changed,
        "path": path,
        "interface_changed": settings,
        "peers_changed": peers_changed,
        "restart_reasons": reasons,
        "peers": written,
        "skipped_peers": skipped,
    }
    if taken_over is not None:
        result["taken_over"] = taken_over
        if taken_over["hooks_left"] or taken_over["hook_failures"]:
            module.warn("wg_config: %s was made by hand; kept as %s. Down hooks not run (they would take an interface "
                        "down): %s. Failed: %s" % (path, taken_over["backup"], taken_over["hooks_left"] or "none",
                                                   taken_over["hook_failures"] or "none"))
    if module._diff and content_changed:
        # --check --diff on a fleet never converged shows every peer, with placeholders for keys not made yet.
        shown = _render(module, params, private_key, placeholders=True) if module.check_mode else text
        result["diff"] = {"before_header": path, "after_header": path,
                          "before": mask(current or ""), "after": mask(shown)}
    module.exit_json(**result)


if __name__ == "__main__":
    main()

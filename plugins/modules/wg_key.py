#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: wg_key
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: Make a WireGuard private key on the host once and return its public key
description:
  - Creates O(path) with C(wg genkey) under umask 077 (root, 0600) when it does not exist, and never
    regenerates an existing key.
  - With O(private_key) the file holds exactly that key instead (a user-supplied, typically vaulted, key).
  - With O(in_use_config), a key file that does not exist yet takes the PrivateKey of that wg-quick config (a
    hand-made network being adopted keeps its keys, so no peer has to learn a new one).
  - The private key is never returned; only the public key is.
requirements:
  - wireguard-tools (C(wg)) on the host
options:
  path:
    description: Private key file, e.g. C(/etc/wireguard/wg0.key).
    type: path
    required: true
  private_key:
    description: Use this private key instead of generating one; replaces a different key in O(path).
    type: str
  in_use_config:
    description: A wg-quick config whose PrivateKey becomes the key when O(path) does not exist yet (and
      O(private_key) is not given), e.g. C(/etc/wireguard/wg0.conf) of a network made by hand.
    type: path
  next_key:
    description:
      - Key rotation (C(playbooks/rotate.yml)). V(prepare) makes the next key C(<path>.next) (0600) once and reuses
        it while it exists, so an interrupted rotation goes on with the same key; RV(next_public_key) is its public
        key. V(switch) renames C(<path>.next) over O(path) (atomic) when it exists, and does nothing otherwise (an
        earlier run switched already); RV(public_key) is then the new key. The running interface is not touched;
        the interface role applies the rewritten configuration.
      - O(path) itself is neither made nor checked for its owner and mode here.
    type: str
    choices: [prepare, switch]
extends_documentation_fragment:
  - wirefleet.wireguard.attributes
"""

EXAMPLES = r"""
- name: Private key of wg0, made on the host
  wirefleet.wireguard.wg_key:
    path: /etc/wireguard/wg0.key
  register: wg0_key

- name: Make the next key of wg0 (rotation), or reuse the one an interrupted run made
  wirefleet.wireguard.wg_key:
    path: /etc/wireguard/wg0.key
    next_key: prepare
  register: wg0_next

- name: A vaulted key instead
  wirefleet.wireguard.wg_key:
    path: /etc/wireguard/wg0.key
    private_key: "{{ vault_wg0_private_key }}"
"""

RETURN = r"""
public_key:
  description: The public key; null in check mode when the key does not exist yet.
  type: str
  returned: always
adopted:
  description: Whether the key was taken from O(in_use_config).
  type: bool
  returned: unless O(next_key) is given
created:
  description: Whether a key was (or in check mode would be) written; owner and mode are also repaired when needed.
  type: bool
  returned: always
next_public_key:
  description: The public key of C(<path>.next); null in check mode when it does not exist yet.
  type: str
  returned: when O(next_key=prepare)
switched:
  description: Whether C(<path>.next) replaced O(path) (or would, in check mode).
  type: bool
  returned: when O(next_key=switch)
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wirefleet.wireguard.plugins.module_utils.files import read_text, write_atomic
from ansible_collections.wirefleet.wireguard.plugins.module_utils.keys import is_key
from ansible_collections.wirefleet.wireguard.plugins.module_utils.wgconf import read_existing


def _write_private(path, key):
    # umask 077 also keeps parent directories made on the way (e.g. /etc/wireguard) private.
    old_umask = os.umask(0o077)
    try:
        write_atomic(path, key + "\n", 0o600, root_owned=True, durable=True)
    finally:
        os.umask(old_umask)


def _key_in_use(path):
    """The PrivateKey of a wg-quick config, or None (no file, no key, several keys or an invalid one)."""
    if not path:
        return None
    keys = read_existing(read_text(path) or "")["interface"].get("privatekey", [])
    return keys[0] if len(keys) == 1 and is_key(keys[0]) else None


def _public(module, key):
    rc, out, err = module.run_command([module.get_bin_path("wg", required=True), "pubkey"], data=key)
    if rc != 0:
        module.fail_json(msg="wg_key: wg pubkey failed: %s" % err.strip())
    return out.strip()


def _read_key(module, path):
    key = read_text(path, encoding="ascii", strip=True)
    if key is not None and not is_key(key):
        module.fail_json(msg="wg_key: %s exists but does not hold a WireGuard key; move it away to have a new one made" % path)
    return key


def _next_key(module, path):
    """prepare: <path>.next made once (a rerun after an interruption reuses it); switch: it replaces path."""
    next_path = path + ".next"
    upcoming = _read_key(module, next_path)
    if module.params["next_key"] == "switch":
        switched = upcoming is not None
        if switched and not module.check_mode:
            # same directory: rename(2) replaces the key atomically; fsync makes the rename survive a crash
            os.replace(next_path, path)
            folder = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)
        key = upcoming if switched else _read_key(module, path)
        module.exit_json(changed=switched, created=False, switched=switched,
                         public_key=_public(module, key) if key else None)
    created = upcoming is None
    if created and not module.check_mode:
        rc, out, err = module.run_command([module.get_bin_path("wg", required=True), "genkey"])
        if rc != 0 or not is_key(out.strip()):
            module.fail_json(msg="wg_key: wg genkey failed: %s" % err.strip())
        upcoming = out.strip()
        _write_private(next_path, upcoming)
    current = _read_key(module, path)
    module.exit_json(changed=created, created=created, public_key=_public(module, current) if current else None,
                     next_public_key=_public(module, upcoming) if upcoming else None)


def main():
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "private_key": {"type": "str", "no_log": True},
            "in_use_config": {"type": "path"},
            "next_key": {"type": "str", "choices": ["prepare", "switch"]},
        },
        mutually_exclusive=[("private_key", "next_key")],
        supports_check_mode=True,
    )
    path = module.params["path"]
    if module.params["next_key"]:
        _next_key(module, path)
    wanted = module.params["private_key"]
    if wanted is not None:
        wanted = wanted.strip()
        if not is_key(wanted):
            module.fail_json(msg="wg_key: private_key for %s is not a WireGuard key (44 characters of base64)" % path)
    current = read_text(path, encoding="ascii", strip=True)
    if current is not None and not is_key(current):
        module.fail_json(msg="wg_key: %s exists but does not hold a WireGuard key; move it away to have a new one made" % path)

    created = fixed = adopted = False
    key = current
    in_use = _key_in_use(module.params["in_use_config"]) if current is None and wanted is None else None
    if wanted is not None and wanted != current:
        created = True
        key = wanted
    elif in_use is not None:
        created = adopted = True
        key = in_use
    elif current is None:
        created = True
        if not module.check_mode:
            rc, out, err = module.run_command([module.get_bin_path("wg", required=True), "genkey"])
            if rc != 0 or not is_key(out.strip()):
                module.fail_json(msg="wg_key: wg genkey failed: %s" % err.strip())
            key = out.strip()
    if created and not module.check_mode:
        _write_private(path, key)
    elif current is not None:
        # Keep the key private even if someone loosened it.
        stat = os.stat(path)
        if stat.st_mode & 0o7777 != 0o600 or stat.st_uid != 0:
            fixed = True
            if not module.check_mode:
                os.chmod(path, 0o600)
                os.chown(path, 0, 0)

    public_key = None
    if key is not None:
        if module.get_bin_path("wg") is None and module.check_mode:
            module.exit_json(changed=created or fixed, created=created, adopted=adopted, public_key=None)
        rc, out, err = module.run_command([module.get_bin_path("wg", required=True), "pubkey"], data=key)
        if rc != 0:
            module.fail_json(msg="wg_key: wg pubkey failed: %s" % err.strip())
        public_key = out.strip()
    module.exit_json(changed=created or fixed, created=created, adopted=adopted, public_key=public_key)


if __name__ == "__main__":
    main()

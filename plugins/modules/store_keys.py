#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: store_keys
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: Make the controller-side keys of a fleet once and keep them
description:
  - Runs on the controller (with C(delegate_to=localhost)) against the wirefleet store directory.
  - Makes every preshared key of O(preshared_key_ids) that does not exist yet, as
    C(<store>/psk/<network>/<a>--<b>.psk) (32 random bytes, base64, mode 0600), so both ends of a peer
    pair use the same key. Existing keys are never replaced.
  - Makes the private key of every unmanaged device of O(devices) once, as C(<store>/private/<host>/<network>.key)
    (0600), and records its public key as C(<store>/public/<host>/<network>.pub).
  - Needs no C(wg) binary; public keys are computed with the C(cryptography) library ansible-core depends on.
requirements:
  - cryptography (a dependency of ansible-core)
options:
  store:
    description: The store directory.
    type: path
    required: true
  preshared_key_ids:
    description: Preshared key ids (C(<network>/<a>--<b>), the engine's C(preshared_key_id)).
    type: list
    elements: str
    default: []
  devices:
    description: Unmanaged devices as C(<host>/<network>) whose private key the controller keeps.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - wirefleet.wireguard.attributes
"""

EXAMPLES = r"""
- name: Keys kept on the controller
  wirefleet.wireguard.store_keys:
    store: "{{ wireguard_store_dir }}"
    preshared_key_ids: [wg0/hub--laptop]
    devices: [phone/wg0]
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
created_preshared_keys:
  description: Preshared key ids made in this run.
  type: list
  elements: str
  returned: always
created_devices:
  description: Devices (C(<host>/<network>)) whose private key was made in this run.
  type: list
  elements: str
  returned: always
public_keys_written:
  description: Devices whose public key file was written or corrected.
  type: list
  elements: str
  returned: always
"""

import base64
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wirefleet.wireguard.plugins.module_utils.files import read_text, write_atomic
from ansible_collections.wirefleet.wireguard.plugins.module_utils.keys import (
    HAS_CRYPTOGRAPHY,
    new_private_key,
    preshared_key_id_parts,
    public_key,
)
from ansible_collections.wirefleet.wireguard.plugins.module_utils.names import NAME_RULE, is_name


def _read(path):
    # Key files in the store are plain base64 (ASCII); anything else counts as no key.
    return read_text(path, encoding="ascii", strip=True)


def _write(path, content, mode):
    # One key per file, newline-terminated like `wg genkey` output.
    write_atomic(path, content + "\n", mode)


def _psk_parts(module, psk_id):
    """(network, '<a>--<b>') of a preshared key id: the folder and file name below psk/."""
    parts = preshared_key_id_parts(psk_id)
    if parts is None:
        module.fail_json(msg="store_keys: %r is not a valid preshared key id (<network>/<a>--<b>, %s)"
                             % (psk_id, NAME_RULE))
    return parts[0], "%s--%s" % parts[1:]


def _device_parts(module, device):
    """(host, network) of '<host>/<network>': the folder and file name below private/ and public/."""
    host, slash, network = device.partition("/")
    if not (slash and is_name(host) and is_name(network)):
        module.fail_json(msg="store_keys: %r is not a valid device (<host>/<network>, %s)" % (device, NAME_RULE))
    return host, network


def main():
    module = AnsibleModule(
        argument_spec={
            "store": {"type": "path", "required": True},
            "preshared_key_ids": {"type": "list", "elements": "str", "default": [], "no_log": False},
            "devices": {"type": "list", "elements": "str", "default": []},
        },
        supports_check_mode=True,
    )
    store = module.params["store"]
    created_psk, created_devices, public_written = [], [], []
    for psk_id in sorted(set(module.params["preshared_key_ids"])):
        network, pair = _psk_parts(module, psk_id)
        path = os.path.join(store, "psk", network, pair + ".psk")
        if _read(path):
            continue
        created_psk.append(psk_id)
        if not module.check_mode:
            _write(path, base64.b64encode(os.urandom(32)).decode("ascii"), 0o600)

    if module.params["devices"] and not HAS_CRYPTOGRAPHY:
        module.fail_json(msg="store_keys: the controller's Python lacks the cryptography library (needed for device keys)")
    for device in sorted(set(module.params["devices"])):
        host, network = _device_parts(module, device)
        private_path = os.path.join(store, "private", host, network + ".key")
        public_path = os.path.join(store, "public", host, network + ".pub")
        private = _read(private_path)
        if not private:
            created_devices.append(device)
            private = new_private_key()
            if not module.check_mode:
                _write(private_path, private, 0o600)
        public = public_key(private)
        if _read(public_path) != public:
            public_written.append(device)
            if not module.check_mode:
                _write(public_path, public, 0o644)

    module.exit_json(changed=bool(created_psk or created_devices or public_written),
                     created_preshared_keys=created_psk, created_devices=created_devices,
                     public_keys_written=public_written)


if __name__ == "__main__":
    main()

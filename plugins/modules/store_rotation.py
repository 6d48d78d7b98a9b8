#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: store_rotation
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: Begin and finish key rotations in the controller store
description:
  - Runs on the controller (with C(delegate_to=localhost)) against the wirefleet store directory, for
    C(playbooks/rotate.yml); the plan comes from M(wirefleet.wireguard.rotation_plan).
  - Replaces the preshared keys of O(preshared_key_ids) with new ones (32 random bytes, 0600).
  - Gives every unmanaged device of O(devices) a new private key (C(private/<host>/<network>.key), 0600) and
    records its public key.
  - For every rotation of O(begin) records the public key the host has now as its previous key
    (C(previous/<host>/<network>.pub)), unless one is recorded already (an interrupted rotation keeps the
    key it began with). Written last, so a run killed before it starts the rotation again from the beginning.
  - Records the public keys of O(public_keys) (a managed host's key after its switch).
  - Forgets the previous key of every rotation of O(finish) (all its peers have the new key).
  - No key is returned.
requirements:
  - cryptography (a dependency of ansible-core), for O(devices)
options:
  store:
    description: The store directory.
    type: path
    required: true
  begin:
    description: Rotations that begin, as C(<host>/<network>).
    type: list
    elements: str
    default: []
  devices:
    description: Unmanaged devices (C(<host>/<network>)) that get a new private key.
    type: list
    elements: str
    default: []
  preshared_key_ids:
    description: Preshared key ids (C(<network>/<a>--<b>)) to replace.
    type: list
    elements: str
    default: []
  finish:
    description: Finished rotations (C(<host>/<network>)) whose previous key is forgotten.
    type: list
    elements: str
    default: []
  public_keys:
    description: New public keys of managed hosts after their switch, C(<host>/<network>) to key, recorded in C(public/).
    type: dict
    default: {}
extends_documentation_fragment:
  - wirefleet.wireguard.attributes
"""

EXAMPLES = r"""
- name: Begin the rotation of the hub and the phone
  wirefleet.wireguard.store_rotation:
    store: "{{ wireguard_store_dir }}"
    begin: [hub/wg0, phone/wg0]
    devices: [phone/wg0]
    preshared_key_ids: [wg0/hub--laptop, wg0/hub--phone]
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
renewed_preshared_keys:
  description: Preshared key ids replaced.
  type: list
  elements: str
  returned: always
renewed_devices:
  description: Devices that got a new private key.
  type: list
  elements: str
  returned: always
begun:
  description: Rotations whose previous key was recorded now.
  type: list
  elements: str
  returned: always
finished:
  description: Rotations whose previous key was forgotten.
  type: list
  elements: str
  returned: always
public_keys_written:
  description: Hosts and networks (C(<host>/<network>)) whose public key file was written.
  type: list
  elements: str
  returned: always
"""

import base64
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wirefleet.wireguard.plugins.module_utils.files import has_content, read_text, write_atomic
from ansible_collections.wirefleet.wireguard.plugins.module_utils.keys import (
    HAS_CRYPTOGRAPHY,
    is_key,
    is_preshared_key_id,
    new_private_key,
    public_key,
)
from ansible_collections.wirefleet.wireguard.plugins.module_utils.names import NAME_RULE, is_name
from ansible_collections.wirefleet.wireguard.plugins.module_utils.store import (
    preshared_key_path,
    previous_key_path,
    private_key_path,
    public_key_path,
)


def _key_id(module, text):
    """(host, network) of '<host>/<network>': both become path parts below the store."""
    host, slash, network = text.partition("/")
    if not (slash and is_name(host) and is_name(network)):
        module.fail_json(msg="store_rotation: %r is not <host>/<network> (%s)" % (text, NAME_RULE))
    return host, network


def _read(path):
    return read_text(path, encoding="ascii", strip=True)


def _write(path, content, mode):
    write_atomic(path, content + "\n", mode)


def main():
    module = AnsibleModule(
        argument_spec={
            "store": {"type": "path", "required": True},
            "begin": {"type": "list", "elements": "str", "default": []},
            "devices": {"type": "list", "elements": "str", "default": []},
            "preshared_key_ids": {"type": "list", "elements": "str", "default": [], "no_log": False},
            "finish": {"type": "list", "elements": "str", "default": []},
            "public_keys": {"type": "dict", "default": {}, "no_log": False},
        },
        supports_check_mode=True,
    )
    params, store, check = module.params, module.params["store"], module.check_mode
    begin = [_key_id(module, text) for text in sorted(set(params["begin"]))]
    devices = [_key_id(module, text) for text in sorted(set(params["devices"]))]
    finish = [_key_id(module, text) for text in sorted(set(params["finish"]))]
    public = {_key_id(module, text): key for text, key in sorted(params["public_keys"].items())}
    for key_id, key in public.items():
        if not is_key(key):
            module.fail_json(msg="store_rotation: the public key of %s/%s is not a WireGuard key" % key_id)
    for psk_id in params["preshared_key_ids"]:
        if not is_preshared_key_id(psk_id):
            module.fail_json(msg="store_rotation: %r is not a preshared key id (<network>/<a>--<b>, %s)" % (psk_id, NAME_RULE))
    if devices and not HAS_CRYPTOGRAPHY:
        module.fail_json(msg="store_rotation: the controller's Python lacks the cryptography library (needed for device keys)")

    # The keys the hosts had, read before anything is replaced: the devices' public keys change below.
    previous = {key_id: _read(public_key_path(store, *key_id)) for key_id in begin}
    renewed_psks = sorted(set(params["preshared_key_ids"]))
    for psk_id in renewed_psks:
        if not check:
            _write(preshared_key_path(store, psk_id), base64.b64encode(os.urandom(32)).decode("ascii"), 0o600)
    for host, network in devices:
        if not check:
            private = new_private_key()
            _write(private_key_path(store, host, network), private, 0o600)
            _write(public_key_path(store, host, network), public_key(private), 0o644)
    begun = []
    for key_id, key in sorted(previous.items()):
        path = previous_key_path(store, *key_id)
        # A host without a recorded key (never converged) has nothing its peers could still use.
        if key and _read(path) is None:
            begun.append("%s/%s" % key_id)
            if not check:
                _write(path, key, 0o644)
    written = []
    for key_id, key in public.items():
        path = public_key_path(store, *key_id)
        # Byte for byte as the keys role writes it (no newline), so that site.yml finds nothing to change.
        if not has_content(path, key, 0o644):
            written.append("%s/%s" % key_id)
            if not check:
                write_atomic(path, key, 0o644)
    finished = []
    for key_id in finish:
        path = previous_key_path(store, *key_id)
        if os.path.exists(path):
            finished.append("%s/%s" % key_id)
            if not check:
                os.unlink(path)
                folder = os.path.dirname(path)
                if not os.listdir(folder):
                    os.rmdir(folder)
    module.exit_json(changed=bool(renewed_psks or devices or begun or written or finished),
                     renewed_preshared_keys=renewed_psks, renewed_devices=["%s/%s" % key_id for key_id in devices],
                     begun=begun, finished=finished, public_keys_written=written)


if __name__ == "__main__":
    main()

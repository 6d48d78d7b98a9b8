#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: wg_existing
author: wirefleet contributors (@wirefleet)
version_added: 0.2.0
short_description: Read the WireGuard configs already on a host, for adopting them
description:
  - Reads every C(<config_dir>/<interface>.conf) and returns what wirefleet needs to take the network over
    (addresses, port, peers with their public keys, AllowedIPs and endpoints, the settings wirefleet does not
    write), changing nothing.
  - The private key never leaves the host; only its public key (C(wg pubkey)) is returned. Preshared keys are
    reported as present, not returned.
  - Values are returned as written; the controller validates them (M(wirefleet.wireguard.wg_existing) runs on
    hosts whose configs may hold anything).
requirements:
  - wireguard-tools (C(wg)) on the host, to derive the public keys
options:
  config_dir:
    description: Where the wg-quick configs are.
    type: path
    default: /etc/wireguard
notes:
  - Key-shaped text inside any other value (a hook passing a key) is replaced by C(<key hidden>) on the host.
extends_documentation_fragment:
  - wirefleet.wireguard.attributes
attributes:
  check_mode:
    support: full
"""

EXAMPLES = r"""
- name: Read the existing WireGuard configs
  wirefleet.wireguard.wg_existing:
  register: existing
"""

RETURN = r"""
interfaces:
  description: One entry per config file, sorted by name.
  type: list
  elements: dict
  returned: always
  contains:
    name: {description: Interface name (the file name without C(.conf)), type: str}
    wirefleet: {description: Whether wirefleet wrote the file, type: bool}
    public_key: {description: Public key of the PrivateKey in use (null when there is none or it is invalid), type: str}
    key_file: {description: Whether wirefleet's key file C(<interface>.key) exists already, type: bool}
    active: {description: Whether C(wg-quick@<interface>) is active, type: bool}
    up: {description: Whether the interface exists, type: bool}
    interface: {description: "[Interface] settings other than PrivateKey: lower-case key to list of values", type: dict}
    peers: {description: "[Peer] sections: settings (PresharedKey replaced by C(present)) and the name from comments", type: list}
"""

import glob
import os
import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wirefleet.wireguard.plugins.module_utils.files import read_text
from ansible_collections.wirefleet.wireguard.plugins.module_utils.keys import is_key
from ansible_collections.wirefleet.wireguard.plugins.module_utils.names import is_interface
from ansible_collections.wirefleet.wireguard.plugins.module_utils.wgconf import read_existing, written_by_wirefleet


def _public_key(module, wg, values):
    if len(values) != 1 or not is_key(values[0]) or wg is None:
        return None
    rc, out, _err = module.run_command([wg, "pubkey"], data=values[0])
    return out.strip() if rc == 0 and is_key(out.strip()) else None


# Anything shaped like a WireGuard key inside a value (a hook's `wg set %i private-key <(echo ...)`) never leaves
# the host; public keys are only ever read from PublicKey and from `wg pubkey`.
_KEY_SHAPED = re.compile(r"[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=")
_SECRET_SETTINGS = ("privatekey", "presharedkey")


def _shown(settings, keep=()):
    """Settings with secrets replaced: PrivateKey/PresharedKey by 'present', key-shaped text in values masked."""
    shown = {}
    for key, values in settings.items():
        if key in _SECRET_SETTINGS:
            shown[key] = ["present"]
        elif key in keep:
            shown[key] = list(values)
        else:
            shown[key] = [_KEY_SHAPED.sub("<key hidden>", value) for value in values]
    return shown


def _interface(module, wg, path):
    name = os.path.basename(path)[:-len(".conf")]
    text = read_text(path) or ""
    found = read_existing(text)
    public_key = _public_key(module, wg, found["interface"].get("privatekey", []))
    settings = _shown(found["interface"])
    settings.pop("privatekey", None)
    peers = [{"settings": _shown(peer["settings"], keep=("publickey",)), "name": peer["name"]}
             for peer in found["peers"]]
    systemctl = module.get_bin_path("systemctl")
    active = bool(systemctl) and module.run_command([systemctl, "is-active", "--quiet", "wg-quick@%s.service" % name])[0] == 0
    return {
        "name": name,
        "wirefleet": written_by_wirefleet(text),
        "public_key": public_key,
        "key_file": os.path.exists(os.path.join(os.path.dirname(path), name + ".key")),
        "active": active,
        "up": os.path.isdir("/sys/class/net/%s" % name),
        "interface": settings,
        "peers": peers,
    }


def main():
    module = AnsibleModule(argument_spec={"config_dir": {"type": "path", "default": "/etc/wireguard"}},
                           supports_check_mode=True)
    wg = module.get_bin_path("wg")
    paths = sorted(glob.glob(os.path.join(module.params["config_dir"], "*.conf")))
    interfaces = [_interface(module, wg, path) for path in paths
                  if is_interface(os.path.basename(path)[:-len(".conf")])]
    module.exit_json(changed=False, interfaces=interfaces)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: device_configs
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: Render the configs of unmanaged devices, with QR codes, into a private directory on the controller
description:
  - Runs on the controller (with C(delegate_to=localhost)). For every interface of every device in O(devices)
    (hosts of the M(wirefleet.wireguard.fleet) result with C(managed=false)) writes
    C(<dest>/<host>/<interface>.conf) with the device's private key and preshared keys from the store,
    plus C(<interface>.png) (a QR code for the WireGuard mobile apps) and C(<interface>.txt)
    (the same QR code for a terminal), when O(qr) is set.
  - Directories are 0700 and files 0600; files are rewritten only when their content changes.
  - Files of devices or interfaces that are no longer in O(devices) are removed.
  - A device whose public key comes from the inventory (its private key is not in the store) gets its
    config without C(PrivateKey), to be completed on the device.
  - Device, interface and network names and preshared key ids are checked before any store path is built
    from them, and every value before it is written (no value can add a line to a config or QR code); a
    failure names the device and interface, and nothing is written.
requirements:
  - segno (on the controller, for O(qr))
options:
  dest:
    description: Output directory, e.g. C(<store>/devices).
    type: path
    required: true
  store:
    description: The wirefleet store directory (private keys of devices, preshared keys).
    type: path
    required: true
  devices:
    description: Map of device host name to its entry of C(fleet.hosts).
    type: dict
    required: true
  qr:
    description: Also write the QR codes.
    type: bool
    default: true
  qr_scale:
    description: Pixels per QR module in the PNG.
    type: int
    default: 6
extends_documentation_fragment:
  - wirefleet.wireguard.attributes
"""

EXAMPLES = r"""
- name: Configs and QR codes of phones and other unmanaged devices
  wirefleet.wireguard.device_configs:
    dest: "{{ wireguard_store_dir }}/devices"
    store: "{{ wireguard_store_dir }}"
    devices: "{{ wireguard_fleet.hosts | dict2items | rejectattr('value.managed') | items2dict }}"
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
devices:
  description: One entry per device interface.
  type: list
  elements: dict
  returned: always
  contains:
    host:
      description: Device name.
      type: str
    interface:
      description: Interface name.
      type: str
    config:
      description: Path of the config file.
      type: str
    qr_png:
      description: Path of the QR code image (when O(qr)).
      type: str
    qr_text:
      description: Path of the QR code for a terminal (when O(qr)).
      type: str
    private_key:
      description: Whether the config holds the private key (false when the key lives only on the device).
      type: bool
written:
  description: Files created or changed, relative to O(dest).
  type: list
  elements: str
  returned: always
removed:
  description: Files removed, relative to O(dest).
  type: list
  elements: str
  returned: always
"""

import io
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wirefleet.wireguard.plugins.module_utils.files import has_content, read_text, write_atomic
from ansible_collections.wirefleet.wireguard.plugins.module_utils.keys import (
    HAS_CRYPTOGRAPHY,
    is_preshared_key_id,
    public_key,
)
from ansible_collections.wirefleet.wireguard.plugins.module_utils.names import (
    INTERFACE_RULE,
    NAME_RULE,
    is_interface,
    is_name,
)
from ansible_collections.wirefleet.wireguard.plugins.module_utils.wgquick import render

try:
    import segno
    HAS_SEGNO = True
except ImportError:
    HAS_SEGNO = False

SUFFIXES = (".conf", ".png", ".txt")


def _write(path, content):
    # A device folder holds its private key: tighten it even when someone loosened an existing one.
    folder = os.path.dirname(path)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    os.chmod(folder, 0o700)
    write_atomic(path, content, 0o600)


def _qr_payload(text):
    """The config without comments and blank lines: what the apps need, in the smallest QR code."""
    return "\n".join(line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")) + "\n"


def _fail(module, host, interface, why):
    module.fail_json(msg="device_configs: device %r, interface %r: %s; nothing was written" % (host, interface, why))


def _check_names(module, host, interface, data):
    """The store paths and output files are built from these names: refuse any that could leave their folder."""
    if not is_name(host):
        _fail(module, host, interface, "the device name is not a host name (%s)" % NAME_RULE)
    if not is_interface(interface):
        _fail(module, host, interface, "not an interface name (%s)" % INTERFACE_RULE)
    if not isinstance(data, dict):
        _fail(module, host, interface, "the entry is not an interface entry of the fleet")
    network = data.get("network", interface)
    if not is_name(network):
        _fail(module, host, interface, "network %r is not a network name (%s)" % (network, NAME_RULE))
    peers = data.get("peers") or []
    if not isinstance(peers, list) or not all(isinstance(peer, dict) for peer in peers):
        _fail(module, host, interface, "peers is not a list of peer entries")
    for number, peer in enumerate(peers, 1):
        psk_id = peer.get("preshared_key_id")
        if psk_id and not is_preshared_key_id(psk_id):
            _fail(module, host, interface, "peer %d preshared_key_id %r is not <network>/<a>--<b>" % (number, psk_id))
    return network


def _keys(store, host, network, data):
    """(private key or None, note for the config when it is None, {psk id: key}) from the store."""
    relative = os.path.join("private", host, network + ".key")
    private = read_text(os.path.join(store, relative), strip=True) or None
    note = "not made yet; the keys role makes it in the controller store (%s)" % relative
    if private and data.get("public_key") and HAS_CRYPTOGRAPHY and public_key(private) != data["public_key"]:
        private = None  # the inventory gives another public key: the private key lives on the device
    if not private and data.get("public_key"):
        note = "the device's own key, not in the controller store (%s); add it here" % relative
    psks = {}
    for peer in data.get("peers") or []:
        psk_id = peer.get("preshared_key_id")
        if psk_id:
            value = read_text(os.path.join(store, "psk", psk_id + ".psk"), strip=True)
            if value:
                psks[psk_id] = value
    return private, note, psks


def _config(module, store, host, interface, data):
    """(config text, private key or None) of one device interface; fails naming device and interface."""
    network = _check_names(module, host, interface, data)
    private, note, psks = _keys(store, host, network, data)
    try:
        return render(host, interface, data, private, psks, private_key_note=note), private
    except KeyError as exc:
        why = "the entry is not an interface entry of the fleet: it has no %s" % exc
    except (TypeError, ValueError) as exc:
        why = str(exc)
    return _fail(module, host, interface, why)


def main():
    module = AnsibleModule(
        argument_spec={
            "dest": {"type": "path", "required": True},
            "store": {"type": "path", "required": True},
            "devices": {"type": "dict", "required": True},
            "qr": {"type": "bool", "default": True},
            "qr_scale": {"type": "int", "default": 6},
        },
        supports_check_mode=True,
    )
    params = module.params
    dest, store = params["dest"], params["store"]
    if params["qr"] and not HAS_SEGNO:
        module.fail_json(msg="device_configs: segno is missing in the controller's Python (pip install segno), "
                             "or set qr: false")
    wanted = {}
    report = []
    for host in sorted(params["devices"]):
        entry = params["devices"][host] or {}
        for interface, data in sorted((entry.get("interfaces") or {}).items()):
            text, private = _config(module, store, host, interface, data)
            base = os.path.join(host, interface)
            wanted[base + ".conf"] = text.encode("utf-8")
            item = {"host": host, "interface": interface, "config": os.path.join(dest, base + ".conf"),
                    "private_key": bool(private)}
            if params["qr"]:
                code = segno.make(_qr_payload(text), error="m", micro=False)
                png = io.BytesIO()
                code.save(png, kind="png", scale=params["qr_scale"], border=4)
                terminal = io.StringIO()
                code.terminal(out=terminal, compact=True, border=2)
                wanted[base + ".png"] = png.getvalue()
                wanted[base + ".txt"] = terminal.getvalue().encode("utf-8")
                item.update(qr_png=os.path.join(dest, base + ".png"), qr_text=os.path.join(dest, base + ".txt"))
            report.append(item)

    written, removed = [], []
    if not module.check_mode and wanted:
        os.makedirs(dest, mode=0o700, exist_ok=True)
        if os.stat(dest).st_mode & 0o7777 != 0o700:
            os.chmod(dest, 0o700)
            written.append(".")
    for relative, content in sorted(wanted.items()):
        path = os.path.join(dest, relative)
        if has_content(path, content, 0o600):
            continue
        written.append(relative)
        if not module.check_mode:
            _write(path, content)
    # Only <dest>/<host>/<interface>.{conf,png,txt} are ours to remove.
    for host in sorted(os.listdir(dest)) if os.path.isdir(dest) else []:
        folder = os.path.join(dest, host)
        if not os.path.isdir(folder) or os.path.islink(folder):
            continue
        for name in sorted(os.listdir(folder)):
            relative = os.path.join(host, name)
            if name.endswith(SUFFIXES) and not name.startswith(".") and relative not in wanted:
                removed.append(relative)
                if not module.check_mode:
                    os.unlink(os.path.join(folder, name))
        if not module.check_mode and not os.listdir(folder):
            os.rmdir(folder)
    module.exit_json(changed=bool(written or removed), devices=report, written=written, removed=removed)


if __name__ == "__main__":
    main()

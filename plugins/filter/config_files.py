# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: config_files
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: Every wg-quick config of a fleet, keyed by "<host>/<interface>.conf"
description:
  - Renders the whole M(wirefleet.wireguard.fleet) result in plan mode, for M(wirefleet.wireguard.write_files).
  - Private keys are never included; unknown public keys become readable placeholders.
  - Fails naming host, interface and field when a value is not what it must be (e.g. holds a line break),
    so no value can add a line of its own to a config.
options:
  _input:
    description: The result of M(wirefleet.wireguard.fleet).
    type: dict
    required: true
  hosts:
    description: Only render these hosts (default all).
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Files of the whole fleet
  ansible.builtin.debug:
    msg: "{{ wireguard_fleet | wirefleet.wireguard.config_files | list }}"
"""

RETURN = r"""
_value:
  description: Map of relative path to configuration text.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wirefleet.wireguard.plugins.module_utils.wgquick import render


# Plan mode never reads private keys; an unmanaged device's key is made on the controller, not on the device.
DEVICE_KEY_NOTE = ("kept in the controller store (private/{host}/{network}.key); "
                   "the device gets it in its config or QR code")


def _render(host, interface, entry, managed=True):
    note = None if managed else DEVICE_KEY_NOTE.format(host=host, network=entry.get("network"))
    try:
        return render(host, interface, entry, private_key_note=note)
    except ValueError as exc:
        # A value that could end a line of the config (or is not what its field must be): never written.
        raise AnsibleFilterError("config_files: host %r, interface %r: %s" % (host, interface, exc)) from exc


def config_files(fleet, hosts=None):
    try:
        wanted = set(hosts) if hosts is not None else None
        return {
            "%s/%s.conf" % (host, interface): _render(host, interface, entry, data.get("managed", True))
            for host, data in fleet["hosts"].items() if wanted is None or host in wanted
            for interface, entry in data["interfaces"].items()
        }
    except (KeyError, TypeError, AttributeError) as exc:
        raise AnsibleFilterError("config_files: input is not a fleet computed by wirefleet.wireguard.fleet: %s"
                                 % exc) from exc


class FilterModule:
    def filters(self):
        return {"config_files": config_files}

# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: controller_keys
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: The keys a fleet needs the controller to keep
description:
  - From a M(wirefleet.wireguard.fleet) result, lists every preshared key id (one per peer pair) and
    every unmanaged device (C(<host>/<network>)) that has no public key yet, for M(wirefleet.wireguard.store_keys).
  - With O(host), lists only the preshared key ids that host's interfaces use.
options:
  _input:
    description: The result of M(wirefleet.wireguard.fleet).
    type: dict
    required: true
  host:
    description: Only the preshared keys of this host.
    type: str
"""

EXAMPLES = r"""
- name: Make the controller-side keys
  wirefleet.wireguard.store_keys:
    store: "{{ wireguard_store_dir }}"
    preshared_key_ids: "{{ (wireguard_fleet | wirefleet.wireguard.controller_keys).preshared_keys }}"
    devices: "{{ (wireguard_fleet | wirefleet.wireguard.controller_keys).devices }}"

- name: The preshared key ids of this host
  ansible.builtin.debug:
    msg: "{{ (wireguard_fleet | wirefleet.wireguard.controller_keys(host=inventory_hostname)).preshared_keys }}"
"""

RETURN = r"""
_value:
  description: Sorted lists.
  type: dict
  contains:
    preshared_keys:
      description: Preshared key ids (C(<network>/<a>--<b>)).
      type: list
      elements: str
    devices:
      description: Unmanaged devices without a public key, as C(<host>/<network>).
      type: list
      elements: str
"""

from ansible.errors import AnsibleFilterError


def controller_keys(fleet, host=None):
    try:
        hosts = fleet["hosts"]
        selected = {host: hosts.get(host) or {"interfaces": {}}} if host is not None else hosts
        psks, devices = set(), set()
        for name, data in selected.items():
            for entry in data["interfaces"].values():
                psks.update(peer["preshared_key_id"] for peer in entry["peers"] if peer.get("preshared_key_id"))
                if host is None and not data.get("managed", True) and not entry.get("public_key"):
                    devices.add("%s/%s" % (name, entry["network"]))
        return {"preshared_keys": sorted(psks), "devices": sorted(devices)}
    except (KeyError, TypeError, AttributeError) as exc:
        raise AnsibleFilterError("controller_keys: input is not a fleet computed by wirefleet.wireguard.fleet: %s" % exc) from exc


class FilterModule:
    def filters(self):
        return {"controller_keys": controller_keys}

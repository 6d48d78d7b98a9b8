# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: wg_quick_config
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: Render one computed interface as a wg-quick configuration
description:
  - Turns one interface of the M(wirefleet.wireguard.fleet) result into the text of
    C(/etc/wireguard/<interface>.conf).
  - Without O(private_key) the private key is left out with a comment (plan mode), because it is made on,
    and never leaves, its host.
  - Fails naming the field when a value is not what it must be (e.g. holds a line break), so no value can
    add a line of its own to the config.
options:
  _input:
    description: One entry of C(fleet.hosts[host].interfaces).
    type: dict
    required: true
  host:
    description: The host the configuration is for.
    type: str
    required: true
  interface:
    description: The interface name (the key of the entry).
    type: str
    required: true
  private_key:
    description: The interface's private key, for configs written on the host or for unmanaged devices.
    type: str
  preshared_keys:
    description: Map of C(preshared_key_id) to key.
    type: dict
    default: {}
  skip_unknown_peers:
    description: Leave out peers whose public key is not known yet instead of writing a placeholder.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Write the plan of one host
  ansible.builtin.copy:
    content: "{{ item.value | wirefleet.wireguard.wg_quick_config(inventory_hostname, item.key) }}"
    dest: "/tmp/plan/{{ inventory_hostname }}-{{ item.key }}.conf"
    mode: "0600"
  loop: "{{ wireguard_fleet.hosts[inventory_hostname].interfaces | dict2items }}"
"""

RETURN = r"""
_value:
  description: The configuration text, ending in a newline.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wirefleet.wireguard.plugins.module_utils.wgquick import render


def wg_quick_config(entry, host, interface, private_key=None, preshared_keys=None, skip_unknown_peers=False):
    try:
        return render(host, interface, entry, private_key, preshared_keys, skip_unknown_peers)
    except (KeyError, TypeError) as exc:
        raise AnsibleFilterError("wg_quick_config: host %r, interface %r: malformed interface entry: %s"
                                 % (host, interface, exc)) from exc
    except ValueError as exc:
        # A value that could end a line of the config (or is not what its field must be): never written.
        raise AnsibleFilterError("wg_quick_config: host %r, interface %r: %s" % (host, interface, exc)) from exc


class FilterModule:
    def filters(self):
        return {"wg_quick_config": wg_quick_config}

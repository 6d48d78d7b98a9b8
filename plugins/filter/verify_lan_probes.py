# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: verify_lan_probes
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: The LAN addresses each host must reach across the tunnels
description:
  - From a M(wirefleet.wireguard.fleet) result and the C(wireguard_lan_probe) of the gateways (an address on a LAN
    behind it, or a list) read from O(hostvars), the addresses every managed host must reach, with the peer that
    carries them.
  - A host probes an address when one of its peers' AllowedIPs carries it (a LAN prefix, or a full tunnel's default
    route whose peer routes the LAN itself). An address that no host routes, or a value that is not an IP address, is
    an error naming the gateway and the variable.
options:
  _input:
    description: The result of M(wirefleet.wireguard.fleet).
    type: dict
    required: true
  hostvars:
    description: The variables of the fleet's hosts (C(hostvars)); only C(wireguard_lan_probe) is read.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Work out the LAN probes of every host
  ansible.builtin.set_fact:
    lan_probes: "{{ wireguard_fleet | wirefleet.wireguard.verify_lan_probes(hostvars) }}"
"""

RETURN = r"""
_value:
  description: "{host: [{address, gateway, interface, via}]} for every managed host"
  type: dict
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.wirefleet.wireguard.plugins.module_utils.verify import lan_probes
from ansible_collections.wirefleet.wireguard.plugins.plugin_utils.hostvars import fleet_host_values


def verify_lan_probes(fleet, hostvars):
    if not isinstance(hostvars, Mapping):
        raise AnsibleFilterError("verify_lan_probes: hostvars must map hosts to their variables")
    try:
        return lan_probes(fleet, fleet_host_values(fleet, hostvars, "wireguard_lan_probe"))
    except ValueError as exc:
        raise AnsibleFilterError("verify_lan_probes: %s" % exc) from exc
    except (KeyError, TypeError, AttributeError) as exc:
        raise AnsibleFilterError("verify_lan_probes: input is not a fleet computed by wirefleet.wireguard.fleet: %s"
                                 % exc) from exc


class FilterModule:
    def filters(self):
        return {"verify_lan_probes": verify_lan_probes}

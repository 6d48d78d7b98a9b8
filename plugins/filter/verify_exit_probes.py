# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: verify_exit_probes
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: What each full-tunnel client fetches to prove its traffic leaves with its exit gateway's address
description:
  - From a M(wirefleet.wireguard.fleet) result and O(hostvars), for every managed host with a full tunnel
    (C(wireguard_full_tunnel)) and a C(wireguard_exit_probe_url) (an http(s) URL of a service that answers with
    the caller's address), the URL and the addresses its exit gateway's traffic must leave with.
  - The expected addresses are the gateway's C(wireguard_exit_probe_address) (an address or a list), else its
    endpoint when that is an IP address. A URL that is not strictly an http(s) URL (user or password, fragment,
    spaces, control characters, a bad host or port), an address that is not one, or an exit gateway whose
    endpoint is a name and that has no C(wireguard_exit_probe_address) is an error naming the host and the
    variable.
options:
  _input:
    description: The result of M(wirefleet.wireguard.fleet).
    type: dict
    required: true
  hostvars:
    description: The variables of the fleet's hosts (C(hostvars)); only C(wireguard_exit_probe_url) and
      C(wireguard_exit_probe_address) are read.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Work out the exit probes of the full-tunnel clients
  ansible.builtin.set_fact:
    exit_probes: "{{ wireguard_fleet | wirefleet.wireguard.verify_exit_probes(hostvars) }}"
"""

RETURN = r"""
_value:
  description: "{host: [{client, interface, gateway, url, expected}]} for every managed host (empty lists for
    hosts that probe nothing)"
  type: dict
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.wirefleet.wireguard.plugins.module_utils.verify import exit_probes
from ansible_collections.wirefleet.wireguard.plugins.plugin_utils.hostvars import fleet_host_values


def verify_exit_probes(fleet, hostvars):
    if not isinstance(hostvars, Mapping):
        raise AnsibleFilterError("verify_exit_probes: hostvars must map hosts to their variables")
    try:
        return exit_probes(fleet, fleet_host_values(fleet, hostvars, "wireguard_exit_probe_url"),
                           fleet_host_values(fleet, hostvars, "wireguard_exit_probe_address"))
    except ValueError as exc:
        raise AnsibleFilterError("verify_exit_probes: %s" % exc) from exc
    except (KeyError, TypeError, AttributeError) as exc:
        raise AnsibleFilterError("verify_exit_probes: input is not a fleet computed by wirefleet.wireguard.fleet: %s"
                                 % exc) from exc


class FilterModule:
    def filters(self):
        return {"verify_exit_probes": verify_exit_probes}

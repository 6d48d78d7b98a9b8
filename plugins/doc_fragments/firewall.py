# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Options of the nftables_ruleset and iptables_rules filters: both render the same
    # module_utils.firewall.plan(), so they take the same input and the same plan options.
    DOCUMENTATION = r"""
options:
  _input:
    description: The host's C(system) entry.
    type: dict
    required: true
  default_interface:
    description: The interface of the IPv4 default route, used where the engine leaves the uplink open (C(null)).
    type: str
  default_interface6:
    description: The interface of the IPv6 default route (defaults to O(default_interface)).
    type: str
  strict:
    description: Drop forwarded traffic arriving from a WireGuard interface that the topology does not route.
    type: bool
    default: true
  resolved:
    description: Map of peer endpoint host name to its addresses, for ports restricted to known peers.
    type: dict
    default: {}
"""

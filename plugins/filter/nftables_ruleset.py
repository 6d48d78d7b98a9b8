# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: nftables_ruleset
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: A host's WireGuard firewall rules as an nftables file for its own table
description:
  - Turns the C(system) part of a host's M(wirefleet.wireguard.fleet) entry into a file for C(nft -f) that
    atomically replaces the table C(inet wirefleet) and touches nothing else of the ruleset.
  - "Rules: the listen port (only from known peer endpoints when the network restricts it), forwarding per
    C(forwarding) (between peers, to and from the LANs, to the uplink), MASQUERADE per C(nat), and the
    IPv6 protection of C(protect_ipv6) (established/related and ICMPv6 in, new connections from outside rejected)."
  - Returns an empty string when the host needs no rules.
extends_documentation_fragment:
  - wirefleet.wireguard.firewall
"""

EXAMPLES = r"""
- name: Write the rules of this host
  ansible.builtin.copy:
    content: "{{ wireguard_fleet.hosts[inventory_hostname].system
                 | wirefleet.wireguard.nftables_ruleset(default_interface=ansible_facts.default_ipv4.interface) }}"
    dest: /etc/wirefleet/firewall.nft
    mode: "0600"
"""

RETURN = r"""
_value:
  description: The nftables file, or an empty string.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wirefleet.wireguard.plugins.module_utils.firewall import plan, render_nftables


def nftables_ruleset(system, default_interface=None, default_interface6=None, strict=True, resolved=None):
    try:
        return render_nftables(plan(system, default_interface, default_interface6, strict, resolved))
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError("nftables_ruleset: %s" % exc) from exc


class FilterModule:
    def filters(self):
        return {"nftables_ruleset": nftables_ruleset}

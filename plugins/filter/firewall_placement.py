# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: firewall_placement
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: Where a host's WireGuard accepts must go so that the firewalls already there do not drop them
description:
  - Given the C(system) part of a host's M(wirefleet.wireguard.fleet) entry and the host's
    M(wirefleet.wireguard.firewall_facts), picks the backend (C(auto) - firewalld when it runs, else ufw when it is
    active, else nftables, else iptables) and decides, for every foreign base chain that drops at a hook where wirefleet accepts
    traffic, how the traffic passes it.
  - An iptables built-in chain (Docker's FORWARD policy DROP, ufw's chains, a hand-made REJECT) gets a jump at its
    top into C(WIREFLEET-PASS-INPUT) / C(WIREFLEET-PASS-FORWARD), which hold wirefleet's accepts of that hook.
  - A drop in any other table (a user's nftables table; firewalld's unless the backend is firewalld) is a problem
    naming the table and chain, unless the chain is listed in O(trusted); wirefleet never edits other tables.
options:
  facts:
    description: The result of M(wirefleet.wireguard.firewall_facts) on the host.
    type: dict
    required: true
  backend:
    description: C(auto), C(firewalld), C(ufw), C(nftables), C(iptables) or C(none).
    type: str
    default: auto
  trusted:
    description: Foreign chains, as C(family table chain), that the user made accept the WireGuard traffic.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - wirefleet.wireguard.firewall
"""

EXAMPLES = r"""
- name: Decide where this host's accepts go
  ansible.builtin.set_fact:
    placement: "{{ wireguard_fleet.hosts[inventory_hostname].system
                   | wirefleet.wireguard.firewall_placement(facts=firewalls, backend='auto') }}"
"""

RETURN = r"""
_value:
  description: "C(backend) (firewalld, ufw, nftables, iptables or none), C(hooks) (C(family), C(hook), C(chain), C(target) of each
    jump to place), C(problems) (non-empty: fail the host), C(notes) (what was placed, for the run's report),
    C(pass_iptables) and C(pass_ip6tables) (iptables-restore --noflush input for the placed chains, or empty)."
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wirefleet.wireguard.plugins.module_utils.firewall import (
    placement,
    plan,
    render_pass_iptables,
)


def firewall_placement(system, facts, backend="auto", trusted=None, default_interface=None, default_interface6=None,
                       strict=True, resolved=None):
    try:
        rules = plan(system, default_interface, default_interface6, strict, resolved)
        result = placement(rules, facts, backend, trusted)
        result["pass_iptables"] = render_pass_iptables(rules, 4, result["hooks"])
        result["pass_ip6tables"] = render_pass_iptables(rules, 6, result["hooks"])
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError("firewall_placement: %s" % exc) from exc
    return result


class FilterModule:
    def filters(self):
        return {"firewall_placement": firewall_placement}

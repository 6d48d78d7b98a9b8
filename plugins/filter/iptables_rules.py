# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: iptables_rules
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: A host's WireGuard firewall rules for iptables-restore, in wirefleet's own chains
description:
  - Turns the C(system) part of a host's M(wirefleet.wireguard.fleet) entry into C(iptables-restore --noflush)
    (or C(ip6tables-restore)) input that fills the chains C(WIREFLEET-INPUT), C(WIREFLEET-FORWARD) and
    C(WIREFLEET-POSTROUTING); jumps to them are inserted at the top of INPUT, FORWARD and POSTROUTING,
    so they come before an existing REJECT.
  - Same rules as M(wirefleet.wireguard.nftables_ruleset). Returns an empty string when the host needs no rules.
options:
  family:
    description: 4 for iptables, 6 for ip6tables.
    type: int
    default: 4
extends_documentation_fragment:
  - wirefleet.wireguard.firewall
"""

EXAMPLES = r"""
- name: IPv4 rules of this host
  ansible.builtin.copy:
    content: "{{ wireguard_fleet.hosts[inventory_hostname].system
                 | wirefleet.wireguard.iptables_rules(family=4, default_interface=ansible_facts.default_ipv4.interface) }}"
    dest: /etc/wirefleet/iptables.rules
    mode: "0600"
"""

RETURN = r"""
_value:
  description: The iptables-restore input, or an empty string.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wirefleet.wireguard.plugins.module_utils.firewall import plan, render_iptables


def iptables_rules(system, family=4, default_interface=None, default_interface6=None, strict=True, resolved=None):
    if family not in (4, 6):
        raise AnsibleFilterError("iptables_rules: family must be 4 or 6, not %r" % (family,))
    try:
        return render_iptables(plan(system, default_interface, default_interface6, strict, resolved), family)
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError("iptables_rules: %s" % exc) from exc


class FilterModule:
    def filters(self):
        return {"iptables_rules": iptables_rules}

# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: store
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: Read the controller-side wirefleet store
description:
  - Returns the public keys and address leases kept in the controller-side store directory,
    so every run (including C(--limit) runs and runs with unreachable hosts) computes complete peer lists.
  - A missing directory is an empty store.
  - The playbooks locate the store first with M(wirefleet.wireguard.controller_store), which keeps it where Ansible
    never reads it as inventory (default C(<inventory dir>/.wirefleet-store)).
options:
  _terms:
    description: The store directory (C(wireguard_store_dir)).
    required: true
    type: list
    elements: path
"""

EXAMPLES = r"""
- name: Load what earlier runs recorded
  ansible.builtin.set_fact:
    wireguard_store_content: "{{ lookup('wirefleet.wireguard.store', wireguard_store_dir) }}"
"""

RETURN = r"""
_raw:
  description: One mapping per store directory.
  type: list
  elements: dict
  contains:
    public_keys:
      description: "{host: {network: public key}}"
      type: dict
    leases:
      description: "{network: {host: {ipv4: address, ipv6: address}}}"
      type: dict
    converged:
      description: "{host: digest of its configuration at its last converge}"
      type: dict
    previous_keys:
      description: "{host: {network: public key}}: the keys of hosts whose rotation is not finished (rotate.yml)"
      type: dict
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.wirefleet.wireguard.plugins.module_utils.store import read_store


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        results = []
        for term in terms:
            try:
                results.append(read_store(term))
            except (OSError, ValueError) as exc:
                raise AnsibleLookupError("store: cannot read %s: %s" % (term, exc)) from exc
        return results

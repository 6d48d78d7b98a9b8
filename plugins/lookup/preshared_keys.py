# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: preshared_keys
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: Read preshared keys from the controller-side wirefleet store
description:
  - Returns one mapping of preshared key id to key for the given ids, read from C(<store>/psk/<id>.psk).
  - Ids without a key file yet (e.g. in check mode before the first real run) are left out.
  - The keys are secrets; use the result only in tasks with C(no_log) or in module options marked no_log.
options:
  _terms:
    description: Preshared key ids (C(<network>/<a>--<b>)).
    type: list
    elements: str
    required: true
  store:
    description: The store directory.
    type: path
    required: true
"""

EXAMPLES = r"""
- name: The preshared keys of this host's peers
  ansible.builtin.set_fact:
    psks: "{{ query('wirefleet.wireguard.preshared_keys', *ids, store=wireguard_store_dir) | first }}"
  no_log: true
"""

RETURN = r"""
_raw:
  description: A list with one mapping of id to key.
  type: list
  elements: dict
"""

import os

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.wirefleet.wireguard.plugins.module_utils.keys import is_preshared_key_id


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        store = self.get_option("store")
        keys = {}
        for term in terms:
            # The id becomes a path below psk/: only <network>/<a>--<b> of plain names (no '..', no line break).
            if not is_preshared_key_id(term):
                raise AnsibleLookupError("preshared_keys: %r is not a preshared key id (<network>/<a>--<b>)" % (term,))
            path = os.path.join(store, "psk", "%s.psk" % term)
            try:
                with open(path, encoding="ascii") as handle:
                    value = handle.read().strip()
            except FileNotFoundError:
                continue
            except (OSError, UnicodeDecodeError) as exc:
                raise AnsibleLookupError("preshared_keys: cannot read %s: %s" % (path, exc)) from exc
            if value:
                keys[str(term)] = value
        return [keys]

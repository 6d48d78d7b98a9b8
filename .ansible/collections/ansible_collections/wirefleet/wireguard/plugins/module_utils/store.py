# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller-side store: what must outlive a run and must not depend on reaching a host.

Layout below the store directory:
  public/<host>/<network>.pub   public keys, written when a host's key is made (or rendered)
  leases.json                   tunnel addresses handed out automatically, so nobody is renumbered
  private/<host>/<network>.key  private keys of devices Ansible cannot reach (0600)
  psk/<network>/<a>--<b>.psk    preshared keys, one per peer pair (0600)
"""

from __future__ import annotations

import json
import os


def read_public_keys(store):
    keys = {}
    base = os.path.join(store, "public")
    if not os.path.isdir(base):
        return keys
    for host in sorted(os.listdir(base)):
        folder = os.path.join(base, host)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            if name.endswith(".pub"):
                with open(os.path.join(folder, name), encoding="ascii") as handle:
                    keys.setdefault(host, {})[name[:-4]] = handle.read().strip()
    return keys


def read_leases(store):
    path = os.path.join(store, "leases.json")
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def read_store(store):
    return {"public_keys": read_public_keys(store), "leases": read_leases(store)}

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# Documentation only: the action plugin of the same name (plugins/action/controller_store.py) does the work,
# on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
module: controller_store
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: Locate the controller store where Ansible never reads it as inventory
description:
  - Resolves the wirefleet controller store directory and returns its absolute path. Without O(path) it is
    C(<inventory dir>/.wirefleet-store), where C(<inventory dir>) is the first inventory source (a directory)
    or the directory holding it (a file). Ansible's inventory loader never enters a name starting with C(.).
  - Fails, naming the store, the inventory source and the fix, when Ansible would read the store as
    inventory (every key file in it would become a host named after the key). That is when the store lies below a
    directory inventory source and no step on the way is a name the loader skips (C(INVENTORY_IGNORE_PATTERNS)
    and C(INVENTORY_IGNORE_EXTS) are taken into account, symbolic links too), when an inventory source lies
    inside the store, or when the store is below the C(group_vars) or C(host_vars) next to a source.
  - Moves the old default C(<inventory dir>/wirefleet-store) to the new place when only the old one exists,
    with a warning saying that this run's inventory still contained its key files as hosts. Fails when both
    exist. In check mode it moves nothing and fails with the C(mv) command to run.
  - Warns when O(path) is set and the old default directory is still read as inventory.
  - Runs on the controller only; no module is sent to any host.
options:
  path:
    description:
      - The store directory (C(wireguard_store_dir)); relative paths are taken from the working directory.
      - Unset or empty for the default location.
    type: str
  inventory_sources:
    description: The inventory sources of the run; when unset, the magic variable C(ansible_inventory_sources).
    type: list
    elements: str
  create:
    description: Make the directory (and its parents) if it is missing, and make it mode 0700.
    type: bool
    default: false
extends_documentation_fragment:
  - wirefleet.wireguard.attributes
attributes:
  check_mode:
    support: partial
    details: Reports whether the directory would be made or its mode changed; fails instead of moving the old store.
  action:
    description: Runs on the controller as an action plugin.
    support: full
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
notes:
  - See C(docs/store.md) in the collection for the layout, the migration and why the store lives there.
seealso:
  - plugin: wirefleet.wireguard.store
    plugin_type: lookup
"""

EXAMPLES = r"""
- name: Locate the controller store
  wirefleet.wireguard.controller_store:
    path: "{{ wireguard_store_dir | default(omit) }}"
  register: store

- name: Keep the controller store private
  wirefleet.wireguard.controller_store:
    path: "{{ store.path }}"
    create: true
"""

RETURN = r"""
path:
  description: The absolute path of the store directory.
  type: str
  returned: success
  sample: /home/me/fleet/inventories/prod/.wirefleet-store
moved_from:
  description: The old default directory the store was moved from in this run.
  type: str
  returned: when the store was moved
  sample: /home/me/fleet/inventories/prod/wirefleet-store
"""

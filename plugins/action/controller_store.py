# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Locate the controller store, refuse one Ansible reads as inventory, move it from the old default.

Runs on the controller only (no module on any host); documented in plugins/modules/controller_store.py.
Where the store lives and why: docs/store.md. The path rules are plugins/module_utils/store.py.
"""

from __future__ import annotations

import os
import shlex
import stat

from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.wirefleet.wireguard.plugins.module_utils.store import (
    StoreLocationError,
    inventory_problem,
    loader_ignores,
    old_default_store,
    store_location,
)

ARGUMENT_SPEC = {
    "path": {"type": "str"},
    "inventory_sources": {"type": "list", "elements": "str"},
    "create": {"type": "bool", "default": False},
}
STORE_MODE = 0o700


# What the old place meant for this run: Ansible parsed it when the inventory source is a directory.
EXPOSED = ("it was inside the inventory directory, so this run's inventory still contained the store's key files "
           "as hosts named after the keys (and leases.json's networks as groups)")
HARMLESS = "Ansible did not read it as inventory (the inventory source is a file), but it is no longer the default"


def _migration_warning(old, new, exposed):
    if not exposed:
        return "controller store: moved %s to %s, the default location: %s." % (old, new, HARMLESS)
    return ("controller store: moved %s to %s, where Ansible never reads it as inventory. The old place was read: "
            "%s. Those names, the private keys of unmanaged devices among them, may be in this run's output and "
            "logs, and in those of earlier runs. If such output was kept or shared, regard the keys in %s as "
            "exposed: delete them and run site.yml again to make new ones."
            % (old, new, EXPOSED, os.path.join(new, "private")))


def _check_mode_refusal(old, new, exposed):
    return ("controller store: the store at %s belongs at %s (%s). Check mode changes nothing, so it was not moved: "
            "run `mv %s %s` (or a run without --check moves it), then run again."
            % (old, new, EXPOSED if exposed else HARMLESS, shlex.quote(old), shlex.quote(new)))


def _both_exist_refusal(old, new, exposed):
    return ("controller store: both %s, the old place (%s), and %s, the new one, exist. Keep the one holding the "
            "fleet's current keys at %s and move the other out of the inventory directory, then run again."
            % (old, EXPOSED if exposed else HARMLESS, new, new))


def _leftover_warning(old, store):
    return ("controller store: %s (the old default place) is inside the inventory directory, so Ansible reads its "
            "files as inventory: every key file in it is a host named after the key. This run's store is %s "
            "(wireguard_store_dir): move the old directory out of the inventory directory, or delete it, then run again."
            % (old, store))


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]  # (validation result, checked args)
        sources = args["inventory_sources"]
        if sources is None:
            sources = list((task_vars or {}).get("ansible_inventory_sources") or [])
        check_mode = bool(self._task.check_mode)
        ignored = loader_ignores(C.INVENTORY_IGNORE_PATTERNS, C.INVENTORY_IGNORE_EXTS)
        path, old = self._locate(args["path"], sources, ignored)
        self._refuse_leftovers(args["path"], path, sources, ignored)
        warnings = []
        changed = False
        if old:
            exposed = inventory_problem(old, sources, ignored) is not None
            if check_mode:
                raise AnsibleActionFail(_check_mode_refusal(old, path, exposed))
            self._move(old, path)
            warnings.append(_migration_warning(old, path, exposed))
            result["moved_from"] = old
            changed = True
        if args["create"]:
            changed = self._make_private(path, check_mode) or changed
        result.update(changed=changed, path=path)
        if warnings:
            result["warnings"] = warnings
        return result

    @staticmethod
    def _locate(configured, sources, ignored):
        """(store path, old default to move from or None), refusing a store Ansible would read as inventory."""
        try:
            path, old = store_location(configured, sources)
        except StoreLocationError as exc:
            raise AnsibleActionFail("controller store: %s" % exc) from exc
        if old and os.path.lexists(path):
            exposed = inventory_problem(old, sources, ignored) is not None
            raise AnsibleActionFail(_both_exist_refusal(old, path, exposed))
        problem = inventory_problem(path, sources, ignored)
        if problem:
            raise AnsibleActionFail(problem)
        return path, old

    @staticmethod
    def _refuse_leftovers(configured, path, sources, ignored):
        """wireguard_store_dir points elsewhere but the old default is still read as inventory: its keys are hosts."""
        old = old_default_store(sources) if configured else None
        if old and os.path.realpath(old) != os.path.realpath(path) and inventory_problem(old, sources, ignored):
            raise AnsibleActionFail(_leftover_warning(old, path))

    @staticmethod
    def _move(old, new):
        # Same parent directory, so rename is atomic: the store is never half here, half there.
        try:
            os.rename(old, new)
        except OSError as exc:
            raise AnsibleActionFail("controller store: cannot move %s to %s: %s" % (old, new, exc)) from exc

    @staticmethod
    def _make_private(path, check_mode):
        """Make the store directory 0700 (parents as needed); True when it was (or, in check mode, would be) changed."""
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except FileNotFoundError:
            mode = None
        if mode == STORE_MODE:
            return False
        if check_mode:
            return True
        try:
            if mode is None:
                os.makedirs(path, mode=STORE_MODE)
            os.chmod(path, STORE_MODE)  # makedirs' mode is reduced by the umask
        except OSError as exc:
            raise AnsibleActionFail("controller store: cannot make %s private: %s" % (path, exc)) from exc
        return True

# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""write_files runs on the controller: the files are written by this process, so their text (a whole fleet's
configs in plan mode) is never sent to a module process, never echoed back in the result's invocation and
never copied through Ansible's results again. Documentation: plugins/modules/write_files.py."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.wirefleet.wireguard.plugins.module_utils.files import write_tree

ARGUMENT_SPEC = {
    "dest": {"type": "path", "required": True},
    "files": {"type": "dict", "required": True},
    "mode": {"type": "str", "default": "0600"},
    "purge_pattern": {"type": "str", "default": ""},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]
        try:
            mode = int(args["mode"], 8)
        except ValueError as exc:
            raise AnsibleActionFail("write_files: mode %r is not an octal mode" % args["mode"]) from exc
        try:
            written, removed = write_tree(args["dest"], args["files"], mode, args["purge_pattern"],
                                          check_mode=bool(self._task.check_mode))
        except (OSError, ValueError) as exc:
            raise AnsibleActionFail("write_files: %s" % exc) from exc
        result.update(changed=bool(written or removed), written=written, removed=removed)
        return result

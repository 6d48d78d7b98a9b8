#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: write_files
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: Write many small private files in one task
description:
  - Writes every file of O(files) below O(dest) atomically, with mode O(mode), touching only files whose
    content differs, and removes other files matching O(purge_pattern) so hosts that left the inventory leave no config behind.
  - One task for a whole fleet, where a loop of M(ansible.builtin.copy) would cost a round trip per file.
  - Runs on the controller (an action plugin), whatever the task's host; the files' text is never sent to a
    module process nor echoed back in the result, so a whole fleet's configs are not copied through Ansible again.
options:
  dest:
    description: Directory to write into; created with mode 0700.
    type: path
    required: true
  files:
    description: Map of path relative to O(dest) to file content.
    type: dict
    required: true
  mode:
    description: Mode of the files.
    type: str
    default: "0600"
  purge_pattern:
    description: Glob below O(dest) of files to delete when not in O(files); empty keeps everything.
    type: str
    default: ""
attributes:
  check_mode:
    description: Reports which files would be written or removed without touching them.
  diff_mode:
    description: Shows no diff; the files may hold keys.
extends_documentation_fragment:
  - wirefleet.wireguard.attributes
"""

EXAMPLES = r"""
- name: Write rendered configs
  wirefleet.wireguard.write_files:
    dest: /tmp/plan
    files:
      hub/wg0.conf: "[Interface]\n..."
    purge_pattern: "*/*.conf"
"""

RETURN = r"""
written:
  description: Files created or changed, relative to O(dest).
  type: list
  elements: str
  returned: always
removed:
  description: Files deleted because they were no longer in O(files).
  type: list
  elements: str
  returned: always
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wirefleet.wireguard.plugins.module_utils.files import write_tree


def main():
    """The same as the action plugin (plugins/action/write_files.py), which is what tasks run: kept for the docs."""
    module = AnsibleModule(
        argument_spec={
            "dest": {"type": "path", "required": True},
            "files": {"type": "dict", "required": True, "no_log": True},
            "mode": {"type": "str", "default": "0600"},
            "purge_pattern": {"type": "str", "default": ""},
        },
        supports_check_mode=True,
    )
    params = module.params
    try:
        written, removed = write_tree(params["dest"], params["files"], int(params["mode"], 8), params["purge_pattern"],
                                      check_mode=module.check_mode)
    except (OSError, ValueError) as exc:
        module.fail_json(msg="write_files: %s" % exc)
    module.exit_json(changed=bool(written or removed), written=written, removed=removed)


if __name__ == "__main__":
    main()

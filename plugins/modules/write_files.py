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

import glob
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wirefleet.wireguard.plugins.module_utils.files import has_content, write_atomic


def main():
    module = AnsibleModule(
        argument_spec={
            "dest": {"type": "path", "required": True},
            "files": {"type": "dict", "required": True},
            "mode": {"type": "str", "default": "0600"},
            "purge_pattern": {"type": "str", "default": ""},
        },
        supports_check_mode=True,
    )
    dest = module.params["dest"]
    mode = int(module.params["mode"], 8)
    files = module.params["files"]
    written, removed = [], []
    for relative in sorted(files):
        path = os.path.normpath(os.path.join(dest, relative))
        if not path.startswith(os.path.normpath(dest) + os.sep):
            module.fail_json(msg="write_files: %s escapes %s" % (relative, dest))
        content = str(files[relative])
        if has_content(path, content, mode):
            continue
        written.append(relative)
        if not module.check_mode:
            write_atomic(path, content, mode)
    if module.params["purge_pattern"] and os.path.isdir(dest):
        keep = {os.path.normpath(os.path.join(dest, rel)) for rel in files}
        for path in sorted(glob.glob(os.path.join(dest, module.params["purge_pattern"]))):
            if os.path.normpath(path) not in keep and os.path.isfile(path):
                removed.append(os.path.relpath(path, dest))
                if not module.check_mode:
                    os.unlink(path)
    module.exit_json(changed=bool(written or removed), written=written, removed=removed)


if __name__ == "__main__":
    main()

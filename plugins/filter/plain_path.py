# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: plain_path
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: A plain absolute path, safe inside a systemd unit or a shell script, or an error
description:
  - Returns the path unchanged when it is absolute and made of plain characters only
    (C(a-z A-Z 0-9 _ . + @ -) between slashes, no C(.) or C(..) step), so it can be written into a
    systemd unit (no line break, no C(%) specifier, no space) or a shell script (nothing to expand or quote).
  - Fails naming the variable otherwise, before any file is written.
options:
  _input:
    description: The path.
    type: str
    required: true
  what:
    description: The variable the path comes from, for the error message.
    type: str
    default: path
"""

EXAMPLES = r"""
- name: A unit that loads a file from a configurable directory
  ansible.builtin.copy:
    content: >-
      ExecStart=/usr/sbin/nft -f
      {{- ' ' ~ wireguard_firewall_dir | wirefleet.wireguard.plain_path('wireguard_firewall_dir') }}/firewall.nft
    dest: /etc/systemd/system/example.service
    mode: "0644"
"""

RETURN = r"""
_value:
  description: The path, unchanged.
  type: str
"""

import re

from ansible.errors import AnsibleFilterError

PLAIN_PATH = re.compile(r"(?:/[A-Za-z0-9_.+@-]+)+/?")


def is_plain_path(path):
    """Whether path is absolute, of plain characters, without '.' or '..' steps."""
    return (isinstance(path, str) and PLAIN_PATH.fullmatch(path) is not None
            and not any(step in (".", "..") for step in path.split("/")))


def plain_path(path, what="path"):
    if not is_plain_path(path):
        raise AnsibleFilterError("plain_path: %s %r is not a plain absolute path (a-z A-Z 0-9 _ . + @ - between "
                                 "slashes, no '.' or '..' step): it is written into units and scripts" % (what, path))
    return path


class FilterModule:
    def filters(self):
        return {"plain_path": plain_path}

# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: one_line
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: A value as text that stays on its line of a file, or an error
description:
  - Returns the value as text when it holds no control, format or line-separator character (no
    newline, carriage return, NUL, tab, C(\x85), C(\u2028) ...) and none of O(forbid), so writing it
    into a line of a file (a sysctl setting, a unit) can never add a line of its own.
  - Fails naming O(what) otherwise, before the file is written.
options:
  _input:
    description: The value (strings, numbers and booleans are turned into text).
    type: raw
    required: true
  what:
    description: What the value is, for the error message.
    type: str
    default: value
  forbid:
    description: Further characters the value must not contain (e.g. C(=) and a space for a sysctl key).
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: A sysctl line
  ansible.builtin.copy:
    content: >-
      {{ key | wirefleet.wireguard.one_line('sysctl key', forbid='= ') }} =
      {{ value | wirefleet.wireguard.one_line('sysctl value') }}
    dest: /etc/sysctl.d/90-example.conf
    mode: "0644"
"""

RETURN = r"""
_value:
  description: The value as text.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wirefleet.wireguard.plugins.module_utils.names import control_characters


def one_line(value, what="value", forbid=""):
    if isinstance(value, bool):
        value = int(value)
    if not isinstance(value, (str, int, float)):
        raise AnsibleFilterError("one_line: %s %r is not text or a number" % (what, value))
    text = str(value)
    bad = control_characters(text) + sorted(repr(char)[1:-1] for char in set(forbid) if char in text)
    if bad or not text:
        raise AnsibleFilterError("one_line: %s %r %s, so it cannot be written into one line of a file"
                                 % (what, text, "holds %s" % ", ".join(bad) if bad else "is empty"))
    return text


class FilterModule:
    def filters(self):
        return {"one_line": one_line}

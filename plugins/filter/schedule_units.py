# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter: the systemd service and timer of the scheduled converge."""

from __future__ import annotations

DOCUMENTATION = r"""
name: schedule_units
author: wirefleet contributors (@wirefleet)
version_added: 0.1.0
short_description: The systemd service and timer that run site.yml on a schedule
description:
  - Renders C(<name>.service) (oneshot, runs the wrapper C(wirefleet-converge) with a lock and a run report, then
    ansible-playbook with the inventory, extra arguments and playbook) and C(<name>.timer) (C(OnCalendar),
    C(RandomizedDelaySec), C(Persistent=true)).
  - Every value is checked (no control characters; unit and user names, time spans) and every ExecStart argument is
    quoted for systemd, so an inventory path or extra argument stays one argument and expands nothing.
options:
  _input:
    description: "Settings: C(name), C(user), C(on_calendar), C(randomized_delay), C(timeout), C(working_directory),
      C(python), C(wrapper), C(lock), C(report), C(ansible_playbook), C(inventory), C(extra_args), C(playbook)."
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Render the units
  ansible.builtin.set_fact:
    units: "{{ settings | wirefleet.wireguard.schedule_units }}"
"""

RETURN = r"""
_value:
  description: C(service) and C(timer), the texts of the two unit files.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wirefleet.wireguard.plugins.module_utils.schedule import units


def schedule_units(settings):
    if not isinstance(settings, dict):
        raise AnsibleFilterError("schedule_units: settings must be a mapping")
    try:
        return units(settings)
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError("schedule_units: %s" % exc) from exc


class FilterModule:
    def filters(self):
        return {"schedule_units": schedule_units}

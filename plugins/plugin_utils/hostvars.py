# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading one variable of the fleet's hosts out of Ansible's hostvars (controller only)."""

from __future__ import annotations

from collections.abc import Mapping


def fleet_host_values(fleet, hostvars, variable):
    """{host: value} of the fleet's hosts that set variable; hostvars is read lazily, host by host."""
    found = {}
    for name in fleet["hosts"]:
        variables = hostvars.get(name) if isinstance(hostvars, Mapping) else None
        value = variables.get(variable) if isinstance(variables, Mapping) else None
        if value is not None:
            found[name] = value
    return found

# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors of the topology engine: every one names the host (or network) and the variable."""

from __future__ import annotations


class TopologyError(ValueError):
    """One problem in the inventory model, tied to where the user must fix it."""

    def __init__(self, where, variable, message):
        self.where = where
        self.variable = variable
        self.message = message
        super().__init__(str(self))

    def __str__(self):
        return "%s, variable '%s': %s" % (self.where, self.variable, self.message)


class TopologyErrors(ValueError):
    """All problems found in one validation pass, so users fix them in one go."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__(str(self))

    def __str__(self):
        count = len(self.errors)
        lines = ["%d problem%s in the WireGuard topology:" % (count, "" if count == 1 else "s")]
        lines.extend("- %s" % error for error in self.errors)
        return "\n".join(lines)


def host(name):
    return "host '%s'" % name


def network(name):
    return "network '%s'" % name

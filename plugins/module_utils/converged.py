# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What each host was last converged to, so a partial run can name the hosts it left behind.

A `--limit newhost` run brings up the new host, but its hub is not in the play and does not know the new
peer yet: the tunnel cannot come up. The store keeps a digest of every host's computed configuration as
of its last successful converge (<store>/converged.json); a host outside the run whose digest differs from
what the fleet now says (or that was never converged) is left behind.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence


def _plain(value):
    """Plain dicts, lists and scalars: Ansible hands facts over in its own container types, whose text form
    (repr) would differ from run to run."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return str(value)


def host_digest(entry):
    """sha256 of what a host runs: its interfaces (peers, keys, routes) and system needs; hints left out."""
    wanted = _plain({"interfaces": entry.get("interfaces") or {}, "system": entry.get("system") or {}})
    text = json.dumps(wanted, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _expected(fleet):
    """{host: digest, or None for an absent host whose removal is still to be done}."""
    expected = {host: host_digest(entry) for host, entry in (fleet.get("hosts") or {}).items() if entry.get("managed")}
    expected.update((host, None) for host in fleet.get("absent") or ())
    return expected


def left_behind(fleet, converged_hosts, previous):
    """Hosts the fleet changed (or never converged, or still to remove) that this run did not converge."""
    previous = previous if isinstance(previous, dict) else {}
    if not previous:
        # No record yet (a fleet converged before wirefleet kept one): nothing to compare with, and naming every
        # host would be noise. The first whole run writes the record.
        return []
    done = set(converged_hosts or ())
    behind = []
    for host, digest in sorted(_expected(fleet).items()):
        if host in done:
            continue
        if digest is None and host not in previous:
            continue  # absent and already removed by an earlier run
        if digest is None or previous.get(host) != digest:
            behind.append(host)
    return behind


def record(fleet, converged_hosts, previous):
    """The new converged.json: converged hosts take their digest, removed ones go, others keep theirs."""
    previous = previous if isinstance(previous, dict) else {}
    expected = _expected(fleet)
    done = set(converged_hosts or ())
    result = {}
    for host in sorted(set(previous) | done):
        if host not in expected:
            continue  # no longer in the fleet, or unmanaged
        if host in done:
            if expected[host] is not None:
                result[host] = expected[host]
        elif host in previous:
            result[host] = previous[host]
    return result

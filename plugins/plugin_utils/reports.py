# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the roles report about a host, made from their registered results (controller only).

The reports are what run_summary and drift_report read (wireguard_interface_report, ...); building them here
keeps the roles' YAML a sequence of steps.
"""

from __future__ import annotations


def _nth(results, index):
    items = (results or {}).get("results") or []
    return items[index] if index < len(items) and isinstance(items[index], dict) else {}


def interface_report(configs, live=None, services=None, units=None, stale=()):
    """{interface: {network, peers, skipped_peers, config_changed, action, reasons, routes_added, routes_removed,
    would_start}} from the interface role's loops (wg_config, wg_live, the wg-quick service, the check-mode unit
    probe), index by index; interfaces removed as stale read {"action": "removed"}."""
    report = {}
    for index, result in enumerate((configs or {}).get("results") or []):
        item = result.get("item") or {}
        entry = item.get("value") or {}
        applied, service, unit = _nth(live, index), _nth(services, index), _nth(units, index)
        report[item.get("key")] = {
            "network": entry.get("network"),
            "peers": result.get("peers", len(entry.get("peers") or [])),
            "skipped_peers": list(result.get("skipped_peers") or []),
            "config_changed": bool(result.get("changed")),
            "action": "started" if service.get("changed") else applied.get("action", "none"),
            "reasons": list(applied.get("reasons") or []),
            "routes_added": list(applied.get("routes_added") or []),
            "routes_removed": list(applied.get("routes_removed") or []),
            "would_start": unit.get("rc", 0) == 4,
        }
    for name in stale or ():
        report[name] = {"action": "removed"}
    return report

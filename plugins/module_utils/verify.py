# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What verify.yml expects of one host: the peers it must have a recent handshake with, from the fleet."""

from __future__ import annotations


def _tunnel_address(fleet, host, network):
    """The peer's first tunnel address in that network, without prefix ('' when it has none)."""
    for entry in fleet["hosts"][host]["interfaces"].values():
        if entry["network"] == network and entry["addresses"]:
            return entry["addresses"][0].split("/")[0]
    return ""


def expected_peers(fleet, host, include_unmanaged=False):
    """[{interface, name, key, address, managed, required}] for every peer of host whose key is known.

    required: a handshake must be recent; unmanaged devices (phones) only when include_unmanaged.
    """
    expected = []
    for interface, entry in sorted(fleet["hosts"][host]["interfaces"].items()):
        for peer in entry["peers"]:
            if not peer.get("public_key"):
                continue
            managed = fleet["hosts"][peer["name"]]["managed"]
            expected.append({
                "interface": interface, "name": peer["name"], "key": peer["public_key"],
                "address": _tunnel_address(fleet, peer["name"], entry["network"]),
                "managed": managed, "required": bool(managed or include_unmanaged),
            })
    return expected


def stale_peers(expected, handshakes, now, max_age):
    """Names of required peers whose latest handshake (`wg show <if> latest-handshakes` lines) is older than max_age."""
    stamps = {}
    for line in handshakes:
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            stamps[parts[0]] = int(parts[1])
    return [peer["name"] for peer in expected if peer["required"] and stamps.get(peer["key"], 0) <= now - max_age]

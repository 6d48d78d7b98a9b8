# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Renders one computed interface as a wg-quick configuration file."""

from __future__ import annotations

HEADER = "# {host}: {interface} in network '{network}' as {role}. Written by wirefleet.wireguard; local edits are overwritten."


def unknown_key(host):
    """Placeholder for a public key the controller store does not have yet (plan mode)."""
    return "<public key of %s: unknown until it is converged>" % host


def render(host, interface, entry, private_key=None, preshared_keys=None, skip_unknown_peers=False):
    """Return the wg-quick config text.

    private_key None leaves a comment instead (plan mode: keys never leave their host).
    preshared_keys maps preshared_key_id -> key; a missing one is left out with a comment.
    skip_unknown_peers drops peers whose public key is not known yet (live configs must parse).
    """
    preshared_keys = preshared_keys or {}
    lines = [HEADER.format(host=host, interface=interface, network=entry["network"], role=entry["role"]), "[Interface]"]
    if entry["addresses"]:
        lines.append("Address = %s" % ", ".join(entry["addresses"]))
    if entry.get("listen_port"):
        lines.append("ListenPort = %d" % entry["listen_port"])
    if entry.get("mtu"):
        lines.append("MTU = %d" % entry["mtu"])
    if entry.get("dns"):
        lines.append("DNS = %s" % ", ".join(entry["dns"]))
    if private_key:
        lines.append("PrivateKey = %s" % private_key)
    else:
        lines.append("# PrivateKey: generated on %s and kept there (/etc/wireguard/%s.key)" % (host, interface))
    for peer in entry["peers"]:
        key = peer.get("public_key")
        if key is None and skip_unknown_peers:
            continue
        lines.extend(["", "[Peer]", "# %s (%s)" % (peer["name"], peer["role"]), "PublicKey = %s" % (key or unknown_key(peer["name"]))])
        psk_id = peer.get("preshared_key_id")
        if psk_id:
            if preshared_keys.get(psk_id):
                lines.append("PresharedKey = %s" % preshared_keys[psk_id])
            else:
                lines.append("# PresharedKey: %s, kept in the controller store" % psk_id)
        if peer.get("endpoint"):
            lines.append("Endpoint = %s" % peer["endpoint"])
        lines.append("AllowedIPs = %s" % ", ".join(peer["allowed_ips"]))
        if peer.get("keepalive"):
            lines.append("PersistentKeepalive = %d" % peer["keepalive"])
    return "\n".join(lines) + "\n"

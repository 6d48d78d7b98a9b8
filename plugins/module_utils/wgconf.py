# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads wg-quick configuration text back: sections, masking of secrets, and what a change means.

Used on the hosts by the wg_config and wg_live modules (standard library only).
"""

from __future__ import annotations

import ipaddress
import re

SECRET_KEYS = ("privatekey", "presharedkey")
# Interface settings wg-quick only applies when it brings the interface up: changing them needs a restart.
RESTART_KEYS = ("dns", "table", "fwmark", "preup", "postup", "predown", "postdown", "saveconfig")
CANONICAL = {
    "address": "Address", "listenport": "ListenPort", "mtu": "MTU", "dns": "DNS", "privatekey": "PrivateKey",
    "table": "Table", "fwmark": "FwMark", "preup": "PreUp", "postup": "PostUp", "predown": "PreDown",
    "postdown": "PostDown", "saveconfig": "SaveConfig",
}
_LINE = re.compile(r"^\s*([A-Za-z]+)\s*=\s*(.*?)\s*$")


def parse(text):
    """Return (interface, peers): interface maps lower-case key to list of values, peers is a list of such maps."""
    interface = {}
    peers = []
    section = None
    for raw in (text or "").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("["):
            name = line.strip("[]").strip().lower()
            if name == "interface":
                section = interface
            elif name == "peer":
                section = {}
                peers.append(section)
            else:
                section = None
            continue
        match = _LINE.match(line)
        if match and section is not None:
            section.setdefault(match.group(1).lower(), []).append(match.group(2))
    return interface, peers


def split_list(values):
    """['10.0.0.1/24, fd00::1/64', ...] -> ['10.0.0.1/24', 'fd00::1/64', ...]."""
    return [item.strip() for value in values or () for item in value.split(",") if item.strip()]


def normal_cidr(text, strict=False):
    """Canonical text of an address/prefix so live and configured values compare equal."""
    try:
        if "/" in text:
            return str(ipaddress.ip_interface(text)) if not strict else str(ipaddress.ip_network(text, strict=False))
        addr = ipaddress.ip_address(text)
        return "%s/%d" % (addr, addr.max_prefixlen)
    except ValueError:
        return text


def mask(text):
    """The config text with private and preshared keys replaced, for diffs and logs."""
    lines = []
    for raw in (text or "").splitlines():
        match = _LINE.match(raw.split("#", 1)[0])
        if match and match.group(1).lower() in SECRET_KEYS:
            raw = "%s = <hidden>" % match.group(1)
        lines.append(raw)
    return "\n".join(lines) + ("\n" if text and text.endswith("\n") else "")


def _full_tunnel(peers):
    return sorted({cidr for peer in peers for cidr in split_list(peer.get("allowedips"))
                   if cidr.endswith("/0")})


def changes(old_text, new_text):
    """What differs between two configs.

    Returns (interface_settings, peers_changed, restart_reasons): interface_settings lists the
    [Interface] settings whose values differ (canonical names), restart_reasons the ones wg-quick only
    applies when bringing the interface up (plus a default route appearing or going away).
    """
    old_if, old_peers = parse(old_text)
    new_if, new_peers = parse(new_text)
    settings = []
    for key in sorted(set(old_if) | set(new_if)):
        if old_if.get(key) != new_if.get(key):
            settings.append(CANONICAL.get(key, key))
    peers_changed = old_peers != new_peers
    reasons = [CANONICAL.get(key, key) for key in RESTART_KEYS if old_if.get(key) != new_if.get(key)]
    if "mtu" in old_if and "mtu" not in new_if:
        reasons.append("MTU back to automatic")
    if _full_tunnel(old_peers) != _full_tunnel(new_peers):
        reasons.append("default route (full tunnel)")
    return settings, peers_changed, reasons


_KEY = re.compile(r"^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$")
_INTERFACE_KEYS = set(CANONICAL)
_PEER_KEYS = {"publickey", "presharedkey", "allowedips", "endpoint", "persistentkeepalive"}


def _cidr_problem(text):
    try:
        ipaddress.ip_interface(text)
        return None
    except ValueError:
        return "%r is not an address or CIDR" % text


def problems(text):
    """What makes a config unusable, beyond what `wg-quick strip` notices (it only splits lines).

    A config with a problem must never replace a working one: `wg setconf` would reject it when the
    interface next comes up, and the tunnel would stay down.
    """
    interface, peers = parse(text)
    found = []
    if not interface:
        found.append("no [Interface] section")
    if len(interface.get("privatekey", [])) != 1 or not _KEY.match(interface["privatekey"][0]):
        found.append("[Interface] needs exactly one valid PrivateKey")
    found += ["[Interface] has unknown setting %r" % key for key in sorted(set(interface) - _INTERFACE_KEYS)]
    found += [problem for cidr in split_list(interface.get("address")) for problem in [_cidr_problem(cidr)] if problem]
    for port in interface.get("listenport", []):
        if not port.isdigit() or not 0 < int(port) < 65536:
            found.append("ListenPort %r is not a port" % port)
    for number, peer in enumerate(peers, 1):
        where = "[Peer] %d" % number
        found += ["%s has unknown setting %r" % (where, key) for key in sorted(set(peer) - _PEER_KEYS)]
        for key in ("publickey", "presharedkey"):
            values = peer.get(key, [])
            if (key == "publickey" and len(values) != 1) or any(not _KEY.match(value) for value in values):
                found.append("%s needs a valid %s" % (where, "PublicKey" if key == "publickey" else "PresharedKey"))
        found += ["%s: %s" % (where, problem) for cidr in split_list(peer.get("allowedips"))
                  for problem in [_cidr_problem(cidr)] if problem]
        for endpoint in peer.get("endpoint", []):
            host, _sep, port = endpoint.rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                found.append("%s: endpoint %r has no valid port" % (where, endpoint))
        for keepalive in peer.get("persistentkeepalive", []):
            if keepalive != "off" and (not keepalive.isdigit() or int(keepalive) > 65535):
                found.append("%s: PersistentKeepalive %r is neither off nor 0-65535" % (where, keepalive))
    return found

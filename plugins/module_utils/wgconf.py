# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads wg-quick configuration text back: sections, masking of secrets, and what a change means.

Used on the hosts by the wg_config and wg_live modules (standard library only).
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.wirefleet.wireguard.plugins.module_utils.keys import is_key
from ansible_collections.wirefleet.wireguard.plugins.module_utils.names import control_characters

SECRET_KEYS = ("privatekey", "presharedkey")
# Interface settings wg-quick only applies when it brings the interface up: changing them needs a restart.
RESTART_KEYS = ("dns", "table", "fwmark", "preup", "postup", "predown", "postdown", "saveconfig")
CANONICAL = {
    "address": "Address", "listenport": "ListenPort", "mtu": "MTU", "dns": "DNS", "privatekey": "PrivateKey",
    "table": "Table", "fwmark": "FwMark", "preup": "PreUp", "postup": "PostUp", "predown": "PreDown",
    "postdown": "PostDown", "saveconfig": "SaveConfig",
}
_LINE = re.compile(r"\s*([A-Za-z]+)\s*=\s*(.*?)\s*")


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
        match = _LINE.fullmatch(line)
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
        match = _LINE.fullmatch(raw.split("#", 1)[0])
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


_INTERFACE_KEYS = {"address", "listenport", "mtu", "dns", "privatekey"}
_PEER_KEYS = {"publickey", "presharedkey", "allowedips", "endpoint", "persistentkeepalive"}
SECTIONS = ("[Interface]", "[Peer]")
# Settings wgquick.render never writes: hooks wg-quick runs as root, and settings that change routing or
# overwrite the file. A config carrying one was not written by wirefleet, or carries an injected line.
NEVER_WRITTEN = {key: CANONICAL[key]
                 for key in ("preup", "postup", "predown", "postdown", "saveconfig", "table", "fwmark")}
_SETTING = re.compile(r"[A-Za-z]+\s*=.*")
_WHITESPACE = re.compile(r"\s+")


def _cidr_problem(text):
    try:
        if "%" in text:  # an IPv6 scope id: ipaddress takes any characters in it
            raise ValueError(text)
        ipaddress.ip_interface(text)
        return None
    except ValueError:
        return "%r, which is not an address or CIDR" % text


def _line_problems(text):
    """What wirefleet never writes, line by line, as wg-quick reads the file (lines end only at '\\n').

    wg-quick cuts a line at its first '#', takes the key before the first '=' and, for hooks, runs the
    value; `wg` drops all whitespace inside a line and ignores case. So a key is compared without any
    whitespace and in any case, and every line must be blank, a comment, [Interface], [Peer] or Key = value.
    """
    found, hooks, interfaces, section = [], [], 0, None
    for number, line in enumerate((text or "").split("\n"), 1):
        if control_characters(line):
            found.append("has the control character(s) %s in line %d" % (", ".join(control_characters(line)), number))
        content = line.split("#", 1)[0].strip()
        if not content:
            continue
        key = _WHITESPACE.sub("", content.split("=", 1)[0]).lower()
        if key in NEVER_WRITTEN:
            if NEVER_WRITTEN[key] not in hooks:
                hooks.append(NEVER_WRITTEN[key])
        elif content.startswith("["):
            if content not in SECTIONS:
                found.append("has the section %r (line %d), which is neither [Interface] nor [Peer]"
                             % (content, number))
            interfaces += content == "[Interface]"
            section = content
        elif not _SETTING.fullmatch(content):
            found.append("has line %d, which is neither Key = value, a section, a comment nor blank" % number)
        elif section is None:
            found.append("has a setting before the first section (line %d)" % number)
    if interfaces > 1:
        found.append("has %d [Interface] sections" % interfaces)
    return ["carries %s, which wirefleet never writes" % hook for hook in hooks] + found


def _interface_problems(interface, require_private_key):
    found = []
    if not interface:
        found.append("has no [Interface] section")
    keys = interface.get("privatekey", [])
    if (require_private_key or keys) and (len(keys) != 1 or not is_key(keys[0])):
        found.append("needs exactly one valid PrivateKey in [Interface]")
    found += ["has unknown setting %r in [Interface]" % key
              for key in sorted(set(interface) - _INTERFACE_KEYS - set(NEVER_WRITTEN))]
    found += ["has Address " + problem for cidr in split_list(interface.get("address"))
              for problem in [_cidr_problem(cidr)] if problem]
    for port in interface.get("listenport", []):
        if not (port.isascii() and port.isdigit()) or not 0 < int(port) < 65536:
            found.append("has ListenPort %r, which is not a port" % port)
    return found


def _peer_problems(where, peer):
    found = ["has %s with unknown setting %r" % (where, key)
             for key in sorted(set(peer) - _PEER_KEYS - set(NEVER_WRITTEN))]
    publics, preshared = peer.get("publickey", []), peer.get("presharedkey", [])
    if len(publics) != 1 or not is_key(publics[0]):
        found.append("has %s without exactly one valid PublicKey" % where)
    if len(preshared) > 1 or not all(is_key(value) for value in preshared):
        found.append("has %s with an invalid PresharedKey" % where)
    found += ["has %s with AllowedIPs %s" % (where, problem) for cidr in split_list(peer.get("allowedips"))
              for problem in [_cidr_problem(cidr)] if problem]
    for endpoint in peer.get("endpoint", []):
        host, _sep, port = endpoint.rpartition(":")
        if not host or not (port.isascii() and port.isdigit()) or not 0 < int(port) < 65536:
            found.append("has %s with endpoint %r, which has no valid port" % (where, endpoint))
    for keepalive in peer.get("persistentkeepalive", []):
        if keepalive != "off" and (not (keepalive.isascii() and keepalive.isdigit()) or int(keepalive) > 65535):
            found.append("has %s with PersistentKeepalive %r, neither off nor 0-65535" % (where, keepalive))
    return found


def problems(text, require_private_key=True):
    """What makes a config unusable or not wirefleet's, beyond what `wg-quick strip` notices.

    Each problem reads after "the new wg0.conf ...". Run it on the raw text: `wg-quick strip` drops
    the hooks (PostUp runs as root), so its output no longer shows them. A config with a problem must
    never replace a working one. require_private_key False accepts a config without PrivateKey (check
    mode before the keys role made one); a PrivateKey that is there must still be valid.
    """
    interface, peers = parse(text)
    found = _line_problems(text) + _interface_problems(interface, require_private_key)
    for number, peer in enumerate(peers, 1):
        found += _peer_problems("[Peer] %d" % number, peer)
    return found


# What adopting a hand-made config reads (wg_existing, wg_config's takeover). A config wirefleet wrote starts
# with wgquick.HEADER, which names the writer.
WIREFLEET_MARK = "Written by wirefleet.wireguard"
DOWN_HOOKS = ("predown", "postdown")
# Down hooks adopting never runs: they would take the interface (or WireGuard) down, which a takeover must not.
_UNSAFE_HOOK = re.compile(r"\b(ip\s+(-\S+\s+)*link\s+(del|delete|set)\b|wg-quick\b|systemctl\b|reboot\b|shutdown\b)")
_NAME_CHARACTERS = re.compile(r"[^A-Za-z0-9_.-]+")


def written_by_wirefleet(text):
    """Whether a config carries wirefleet's header (its first line)."""
    first = (text or "").split("\n", 1)[0]
    return first.startswith("#") and WIREFLEET_MARK in first


def _comment_name(comments):
    """A peer's name from the comments around its [Peer]: '# Name = phone', '### Client laptop' -> 'client-laptop'."""
    for comment in comments:
        match = re.fullmatch(r"\s*(?:friendly_?)?name\s*[=:]\s*(.+)", comment, re.IGNORECASE)
        if match:
            comments = [match.group(1)]
            break
    for comment in reversed(comments):
        name = _NAME_CHARACTERS.sub("-", comment.strip()).strip("-.").lower()
        if name:
            return name[:100].strip("-.")
    return None


def read_existing(text):
    """A hand-made wg-quick config as adopting reads it.

    Returns {"interface": {key: [values]}, "peers": [{"settings": {key: [values]}, "name": str or None}]}:
    keys lower-case, values as written (the caller validates them), each peer's name taken from the comment
    lines just above its [Peer] or the first ones inside it (None when there are none).
    """
    interface, peers, section, comments = {}, [], None, []
    for raw in (text or "").splitlines():
        content, _hash, comment = raw.partition("#")
        content = content.strip()
        if not content:
            if comment.strip(" #"):
                comments.append(comment.strip(" #"))
                if section is not None and section is not interface and peers[-1]["name"] is None:
                    peers[-1]["name"] = _comment_name(comments)
            elif not comment:
                comments = []
            continue
        if content.startswith("["):
            name = content.strip("[]").strip().lower()
            section = interface if name == "interface" else ({} if name == "peer" else None)
            if name == "peer":
                peers.append({"settings": section, "name": _comment_name(comments) if comments else None})
            comments = []
            continue
        comments = []
        match = _LINE.fullmatch(content)
        if match and section is not None:
            section.setdefault(match.group(1).lower(), []).append(match.group(2))
    return {"interface": interface, "peers": peers}


def down_hooks(interface, name):
    """(commands to run, commands left) of a config's PreDown and PostDown, %i replaced by the interface name.

    Replacing a hand-made config runs what wg-quick down would have run, so the rules its PostUp added do not
    outlive it; a hook that would take an interface or WireGuard down is left (and reported).
    """
    run, left = [], []
    for key in DOWN_HOOKS:
        for command in interface.get(key, []):
            command = command.replace("%i", name)
            (left if _UNSAFE_HOOK.search(command) or control_characters(command) else run).append(command)
    return run, left

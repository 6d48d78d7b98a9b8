# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The character sets of every name that becomes part of a file, a file name or a command line.

One owner for these contracts: the model boundary (inputs.py) checks inventory values with them, the
renderers (wg-quick configs, firewall rules, units) refuse control characters with them whatever the
value's origin, and the store builds its ids from names these checks passed. Standard library only:
modules on the hosts use it too. Every pattern is applied with fullmatch, so a trailing newline never
slips through (re.match with `$` accepts one).
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata

# Host and network names: used in store paths (public/<host>/<network>.pub, psk/<network>/<a>--<b>.psk),
# config comments and file names. Letters, digits, '_', '.', '-'; starting and ending with a letter or
# digit; no '..' (a path step) and no '--' (the separator of preshared key ids).
NAME_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,98}[A-Za-z0-9])?")
NAME_RULE = "1-100 of a-z A-Z 0-9 _ . -, starting and ending with a letter or digit, without '..' or '--'"
# Linux IFNAMSIZ is 16 including the NUL byte; wg-quick accepts exactly this set.
INTERFACE_RE = re.compile(r"[A-Za-z0-9_=+.-]{1,15}")
INTERFACE_RULE = "1-15 of a-z A-Z 0-9 _ = + . -, not starting with '-', not '.' or '..'"
# RFC 1123 host names (also used for search domains): labels of letters, digits and inner hyphens.
LABEL_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
HOSTNAME_RULE = "an RFC 1123 host name: dot-separated labels of 1-63 letters, digits and inner hyphens, 253 at most"
# Unicode categories that end or hide a line: controls (\n, \r, NUL, tab, \x85), format characters
# (zero-width, bidi overrides) and the line/paragraph separators str.splitlines() also splits on.
_UNSAFE_CATEGORIES = frozenset(("Cc", "Cf", "Zl", "Zp"))


def control_characters(text):
    """The control, format and line-separator characters in text, as escaped strings (empty: safe)."""
    return sorted({repr(char)[1:-1] for char in str(text) if unicodedata.category(char) in _UNSAFE_CATEGORIES})


def is_safe_text(text):
    """Whether text can be written inside one line of a file (a comment, a value) without ending it."""
    return isinstance(text, str) and not control_characters(text)


def is_name(text):
    """Whether text is a valid host or network name (see NAME_RULE)."""
    return (isinstance(text, str) and NAME_RE.fullmatch(text) is not None
            and ".." not in text and "--" not in text)


def is_interface(text):
    """Whether Linux and wg-quick accept text as an interface name (see INTERFACE_RULE)."""
    # A leading '-' would read as an option where the name is an argument (wg, ip, iptables -i).
    return (isinstance(text, str) and INTERFACE_RE.fullmatch(text) is not None and text not in (".", "..")
            and not text.startswith("-"))


def is_hostname(text):
    """Whether text is an RFC 1123 host name; all-numeric names must be valid IPv4 addresses instead."""
    if not isinstance(text, str) or not 0 < len(text) <= 253:
        return False
    labels = text[:-1].split(".") if text.endswith(".") else text.split(".")
    if not all(LABEL_RE.fullmatch(label) for label in labels):
        return False
    # 300.1.1.1 or 10.0.0 look like addresses, not names: refuse them rather than send them to DNS.
    return not labels[-1].isdigit()


def ip_address(text):
    """The ipaddress object for an IPv4/IPv6 literal, or None (never raises)."""
    # Scoped addresses (fe80::1%eth0) name a local interface: never an endpoint or a resolver here.
    if not isinstance(text, str) or not text or text != text.strip() or "%" in text:
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None

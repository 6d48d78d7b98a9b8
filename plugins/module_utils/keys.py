# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""WireGuard (Curve25519) keys in Python, so the controller needs no `wg` binary.

Public keys come from the cryptography library, which ansible-core depends on; callers check
HAS_CRYPTOGRAPHY and tell the user when it is missing.
"""

from __future__ import annotations

import base64
import binascii
import os

from ansible_collections.wirefleet.wireguard.plugins.module_utils.names import is_name

try:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    HAS_CRYPTOGRAPHY = True
except ImportError:
    HAS_CRYPTOGRAPHY = False


def is_key(text):
    """Whether text is a WireGuard key: the canonical base64 (44 characters) of 32 bytes.

    Canonical means encoding the decoded bytes gives the text back: `wg` refuses a key whose last
    character carries bits outside the 32 bytes (e.g. ...Q= is valid, ...R= decodes to the same bytes).
    """
    if not isinstance(text, str) or len(text) != 44 or not text.isascii():
        return False
    try:
        raw = base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        return False
    return len(raw) == 32 and base64.b64encode(raw).decode("ascii") == text


def preshared_key_id_parts(text):
    """(network, host_a, host_b) of a preshared key id '<network>/<a>--<b>' (a < b), or None when it is not one.

    The id names the store file psk/<network>/<a>--<b>.psk, so every part must be a plain name (no '/',
    no '..') and the pair is split on the one '--' that names cannot contain.
    """
    if not isinstance(text, str):
        return None
    network, slash, pair = text.partition("/")
    first, dashes, second = pair.partition("--")
    if not (slash and dashes and is_name(network) and is_name(first) and is_name(second)):
        return None
    return network, first, second


def is_preshared_key_id(text):
    """Whether text is a preshared key id '<network>/<a>--<b>' of plain names."""
    return preshared_key_id_parts(text) is not None


def new_private_key():
    """32 random bytes clamped like `wg genkey` (Curve25519), base64."""
    raw = bytearray(os.urandom(32))
    raw[0] &= 248
    raw[31] = (raw[31] & 127) | 64
    return base64.b64encode(bytes(raw)).decode("ascii")


def public_key(private_key):
    """The public key of a base64 private key, like `wg pubkey`."""
    raw = base64.b64decode(private_key)
    public = X25519PrivateKey.from_private_bytes(raw).public_key()
    return base64.b64encode(public.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode("ascii")

# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""WireGuard (Curve25519) keys in Python, so the controller needs no `wg` binary.

Public keys come from the cryptography library, which ansible-core depends on; callers check
HAS_CRYPTOGRAPHY and tell the user when it is missing.
"""

from __future__ import annotations

import base64
import os

try:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    HAS_CRYPTOGRAPHY = True
except ImportError:
    HAS_CRYPTOGRAPHY = False


def is_key(text):
    """Whether text looks like a WireGuard key: 44 characters of base64 holding 32 bytes."""
    try:
        return len(text) == 44 and len(base64.b64decode(text, validate=True)) == 32
    except (ValueError, TypeError):
        return False


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

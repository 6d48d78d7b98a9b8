# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/keys.py: key checks and Curve25519 keys made without the wg binary."""

from __future__ import annotations

import base64

import pytest

from ansible_collections.wirefleet.wireguard.plugins.module_utils.keys import HAS_CRYPTOGRAPHY, is_key, new_private_key, public_key

# RFC 7748, section 6.1: Alice's private and public key.
RFC7748_PRIVATE = bytes.fromhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
RFC7748_PUBLIC = bytes.fromhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")


def b64(raw):
    return base64.b64encode(raw).decode("ascii")


def test_is_key_accepts_44_characters_of_base64_holding_32_bytes(wg_key):
    assert is_key(wg_key("hub")) is True
    assert is_key(b64(RFC7748_PUBLIC)) is True


@pytest.mark.parametrize("text", [
    "",
    "A" * 44,                          # 44 characters, but 33 bytes
    b64(bytes(31)),                    # 31 bytes
    b64(bytes(32))[:-1],               # 43 characters
    b64(bytes(32))[:-2] + "!=",        # not base64
    " " + b64(bytes(32))[1:],          # whitespace is not trimmed here
    None,
])
def test_is_key_rejects(text):
    assert is_key(text) is False


@pytest.mark.skipif(not HAS_CRYPTOGRAPHY, reason="the cryptography library is not installed")
def test_public_key_matches_rfc7748():
    assert public_key(b64(RFC7748_PRIVATE)) == b64(RFC7748_PUBLIC)


def test_new_private_key_is_clamped_like_wg_genkey():
    keys = {new_private_key() for _attempt in range(20)}
    assert len(keys) == 20
    for key in keys:
        raw = base64.b64decode(key)
        assert is_key(key)
        assert raw[0] & 7 == 0
        assert raw[31] & 128 == 0 and raw[31] & 64 == 64

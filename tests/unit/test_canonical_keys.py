# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""keys.is_key accepts only canonical base64 of 32 bytes (what `wg` accepts), and preshared key ids
are '<network>/<a>--<b>' of plain names (they become paths in the store)."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.wirefleet.wireguard.plugins.module_utils.keys import is_key, preshared_key_id_parts


@given(st.binary(min_size=32, max_size=32))
def test_every_32_byte_key_is_accepted_only_in_its_canonical_spelling(raw):
    key = base64.b64encode(raw).decode("ascii")
    assert is_key(key)
    # The last character before '=' carries 2 bits outside the 32 bytes: the other three spellings decode
    # to the same bytes, and wg refuses them.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    index = alphabet.index(key[-2])
    for other in range(index & ~3, (index & ~3) + 4):
        spelling = key[:-2] + alphabet[other] + "="
        assert base64.b64decode(spelling) == raw
        assert is_key(spelling) is (spelling == key)


@given(st.text())
def test_is_key_refuses_text_that_is_not_a_key(text):
    if is_key(text):
        assert base64.b64encode(base64.b64decode(text)).decode("ascii") == text and len(text) == 44


@pytest.mark.parametrize("ender", ["\n", "\r", "\x00", "\t", " "])
def test_is_key_refuses_a_trailing_character(ender):
    key = base64.b64encode(bytes(range(32))).decode("ascii")
    assert not is_key(key + ender) and not is_key(key[:-1] + ender)


@pytest.mark.parametrize("psk_id, parts", [
    ("wg0/laptop--vps", ("wg0", "laptop", "vps")),
    ("home.net/a-b--c_d", ("home.net", "a-b", "c_d")),
    ("wg0/laptop--vps\n", None),
    ("wg0/laptop--vps--x", None),
    ("../laptop--vps", None),
    ("wg0/..--vps", None),
    ("wg0/laptop", None),
    ("wg0/sub/laptop--vps", None),
    ("wg0\\laptop--vps", None),
    (None, None),
])
def test_preshared_key_ids(psk_id, parts):
    assert preshared_key_id_parts(psk_id) == parts
